# The safety review's defects (issue 8), one or more tests each, through the public scenario format on the
# core-only bench and on the virtual Pico. Each failed on the main branch before the fix. Plain asserts:
# runs under MicroPython too (tools/mptest.py) and on the webassembly port.
import json
import os

from evse.charger import TICK_MS
from evse.duty import CHANGE_INTERVAL_MS
from host_tests.core_rig import OPEN_LIMIT_MS, energised_unlocked, last_at, repo_path, rows_of
from host_tests.fakes import remove, tmp_path
from tools.sim.scenario import ScenarioError, load, parse
from tools.vboard.run import make_run

BOARDS = ("bench", "pico")


def _run(obj, board):
    """Run a scenario object on board; (rows as dicts, the run)."""
    o = dict(obj)
    o["board"] = board
    lines = []
    run = make_run(parse(o), lines.append)
    run.run()
    return [json.loads(x) for x in lines], run


def _values(run):
    """The setting values the run's firmware uses now (bench: the runner's; virtual board: the firmware's)."""
    app = getattr(run, "app", None)
    return (app.settings if app is not None else run.settings).values


def _closed_at(rows, t):
    return last_at(rows, t, "relay", "closed")


def _locked_at(rows, t):
    return last_at(rows, t, "lock", "locked")


def _max_amps_after(rows, t):
    """The largest current the PWM advertised at or after t (the pilot row in force at t included)."""
    best = 0
    cur = None
    for r in rows:
        if r["event"] != "pilot":
            continue
        if r["t_ms"] <= t:
            cur = r
            continue
        if cur is not None and cur["amps"] is not None and cur["amps"] > best:
            best = cur["amps"]
        cur = r
    if cur is not None and cur["amps"] is not None and cur["amps"] > best:
        best = cur["amps"]
    return best


def _console(rows, line):
    for r in rows_of(rows, "console"):
        if r["in"] == line:
            return r["out"]
    raise AssertionError("no console line " + line)


# -- defect 1: installation settings changed during a session -----------------------------------------

_D1 = {"settings": {"socket": "type2", "max_current_a": 63}, "duration_ms": 14000,
       "events": [{"t_ms": 1000, "ev": "B"}, {"t_ms": 2000, "ev": "C"},
                  {"t_ms": 6000, "console": "set socket tethered"}, {"t_ms": 12000, "ev": "B"}]}


def test_defect1_socket_type_cannot_change_during_a_session():
    """`set socket tethered` while charging a 32 A-coded cable (PP 220 ohm) in a Type 2 socket: refused
    with ERR 15; the socket stays locked with the contactor closed, the offer never exceeds the cable's
    32 A, charging goes on (IEC 61851-1 / IEC 62196: locked while energised; offer <= min(limits))."""
    for board in BOARDS:
        rows, run = _run(_D1, board)
        assert _console(rows, "set socket tethered").startswith("ERR 15 "), board
        assert _values(run)["socket"] == "type2", board
        assert _closed_at(rows, 11990) and _locked_at(rows, 11990), board
        assert energised_unlocked(rows) is None, board
        assert _max_amps_after(rows, 0) == 32, board


def test_defect1_revert_and_factory_reset_obey_the_same_rules():
    """revert (the bench used to load defaults: tethered) and factory-reset (the virtual board) during a
    session: an installation setting would change, so factory-reset is refused; revert only drops the
    unsaved current limit, the scenario's settings being the flash copy. A limit change is allowed."""
    ev = [{"t_ms": 1000, "ev": "B"}, {"t_ms": 2000, "ev": "C"},
          {"t_ms": 5000, "console": "set max_current_a 20"}, {"t_ms": 6000, "console": "revert"},
          {"t_ms": 7000, "console": "factory-reset"}, {"t_ms": 8000, "console": "set ventilation on"},
          {"t_ms": 9000, "console": "set pp_sense on"}, {"t_ms": 9500, "console": "set cable_current_a 6"},
          {"t_ms": 12000, "ev": "B"}]
    for board in BOARDS:
        rows, run = _run({"settings": {"socket": "type2", "max_current_a": 63}, "duration_ms": 14000,
                          "events": ev}, board)
        assert _console(rows, "set max_current_a 20").startswith("OK "), board
        assert _console(rows, "revert").startswith("OK "), board
        for line in ("factory-reset", "set ventilation on", "set pp_sense on", "set cable_current_a 6"):
            assert _console(rows, line).startswith("ERR 15 "), (board, line)
        v = _values(run)
        assert v["socket"] == "type2" and v["max_current_a"] == 63 and not v["ventilation"], (board, v)
        assert energised_unlocked(rows) is None, board
        assert _closed_at(rows, 11990), board
        # the limit went down to 20 A at once, and back up to the cable's 32 A no sooner than 5 s later
        pwm = [(r["t_ms"], r["amps"]) for r in rows_of(rows, "pilot", 2000) if r["mode"] == "pwm"]
        assert pwm[0][1] == 20 and 5000 <= pwm[0][0] <= 5000 + TICK_MS, (board, pwm)
        assert pwm[1][1] == 32 and pwm[1][0] - pwm[0][0] >= CHANGE_INTERVAL_MS, (board, pwm)


def test_defect1_the_same_changes_are_accepted_with_no_vehicle():
    """In state A with the contactor open, installation settings change as before."""
    ev = [{"t_ms": 500, "console": "set socket tethered"}, {"t_ms": 600, "console": "factory-reset"},
          {"t_ms": 700, "console": "set ventilation on"}]
    for board in BOARDS:
        rows, run = _run({"settings": {"socket": "type2"}, "duration_ms": 1000, "events": ev}, board)
        for r in rows_of(rows, "console"):
            assert r["out"].startswith("OK "), (board, r)
        assert _values(run)["ventilation"] is True, board


def test_defect1_core_ignores_installation_changes_that_bypass_the_command_layer():
    """Defence in depth: a Config changed directly under a live session (no command layer) changes
    nothing in force until the vehicle leaves: the lock holds, the offer keeps to the cable coding."""
    from host_tests.core_rig import Rig

    from evse.iodata import SOCKET_TETHERED

    rig = Rig([{"t_ms": 1000, "ev": "B"}, {"t_ms": 2000, "ev": "C"}, {"t_ms": 9000, "ev": "A"}],
              settings={"socket": "type2", "max_current_a": 63}, duration_ms=14000)
    rig.advance(6000)
    cfg = rig.ch.config
    cfg.socket = SOCKET_TETHERED
    cfg.cable_ma = 80000
    cfg.ventilation = True
    rig.advance(8990)
    assert rig.io.relay and rig.io.lock and rig.ch.offered_ma == 32000
    rig.finish()
    assert rig.ch.inst.socket == SOCKET_TETHERED and not rig.io.lock  # in force once the vehicle left


# -- defect 2: the temperature sensor vanishes (virtual Pico: it reads -50 C) ------------------------


def test_defect2_lost_sensor_on_the_virtual_pico_keeps_the_over_temperature_stop():
    """On the virtual Pico a lost sensor reads -50 C: temp_sensor, and over_temperature holds."""
    obj = {"duration_ms": 15000, "events": [{"t_ms": 1000, "ev": "B"}, {"t_ms": 2000, "ev": "C"},
                                            {"t_ms": 6000, "temp_c": 80}, {"t_ms": 7000, "temp_c": None}]}
    for board in BOARDS:
        rows, run = _run(obj, board)
        assert rows_of(rows, "fault", code="over_temperature"), board
        assert rows_of(rows, "fault", 7000, code="temp_sensor"), board
        assert not rows_of(rows, "fault_cleared", code="over_temperature"), board
        assert not rows_of(rows, "relay", 6000, closed=True), board


# -- defect 3: a lower Type 2 cable coding while charging ---------------------------------------------


def test_defect3_cable_coding_drop_while_charging_stops_at_once():
    """PP 220 -> 1500 ohm (32 A -> 13 A coding) while charging: stop as when PP is lost, within the
    Table A.6 100 ms (here the next tick), pp_invalid; never 32 A into a 13 A cable for seconds. The
    session stays stopped until the vehicle leaves (a coding cannot change under a locked plug)."""
    obj = {"settings": {"socket": "type2"}, "duration_ms": 14000,
           "events": [{"t_ms": 1000, "ev": "B"}, {"t_ms": 2000, "ev": "C"}, {"t_ms": 2500, "pp_ohm": 1500},
                      {"t_ms": 12000, "ev": "B"}]}
    for board in BOARDS:
        rows, run = _run(obj, board)
        opened = rows_of(rows, "relay", 2500, closed=False)
        assert opened and opened[0]["t_ms"] - 2500 <= 2 * TICK_MS, (board, opened[:1])
        assert rows_of(rows, "fault", 2500, code="pp_invalid")[0]["t_ms"] == opened[0]["t_ms"], board
        assert _max_amps_after(rows, 2500 + 2 * TICK_MS) <= 13, board
        assert not rows_of(rows, "relay", 2500, closed=True), board


def test_defect3_lower_coding_before_charging_lowers_the_offer_at_once():
    """In B2 (PWM on, contactor open) a lower coding lowers the offer on the next tick, no 5 s wait:
    the 5 s rule is for rises only."""
    obj = {"settings": {"socket": "type2"}, "duration_ms": 6000,
           "events": [{"t_ms": 1000, "ev": "B"}, {"t_ms": 1500, "pp_ohm": 1500}, {"t_ms": 3000, "ev": "C"}]}
    for board in BOARDS:
        rows, run = _run(obj, board)
        pwm = [(r["t_ms"], r["amps"]) for r in rows_of(rows, "pilot") if r["mode"] == "pwm"]
        assert pwm[0][1] == 32 and pwm[1][1] == 13 and pwm[1][0] - 1500 <= TICK_MS, (board, pwm)
        assert not rows_of(rows, "fault"), board
        assert rows_of(rows, "relay", 3000, closed=True), board


# -- defect 4: NaN in a scenario ------------------------------------------------------------------------


def test_defect4_nan_and_infinity_are_refused_the_same_way_on_both_interpreters():
    p = tmp_path("nan")
    try:
        for text in ('{"duration_ms":1000,"events":[{"t_ms":5,"residual_ma":NaN}]}',
                     '{"duration_ms":1000,"events":[{"t_ms":5,"temp_c":Infinity}]}',
                     '{"duration_ms":1000,"events":[{"t_ms":5,"ev_ohm":-Infinity}]}'):
            with open(p, "w") as f:
                f.write(text)
            try:
                load(p)
                raise AssertionError("accepted: " + text)
            except ScenarioError as e:
                assert "not valid JSON" in str(e), (text, str(e))
    finally:
        remove(p)
    # the same values built in code (not from JSON text) are refused by the range checks
    for v in (float("nan"), float("inf")):
        try:
            parse({"duration_ms": 1000, "events": [{"t_ms": 5, "residual_ma": v}]})
            raise AssertionError("accepted %r" % v)
        except ScenarioError as e:
            assert "residual_ma" in str(e), str(e)


# -- defect 5: fractional resistances -------------------------------------------------------------------


def test_defect5_fractional_ohms_are_rounded_and_run_to_the_end():
    obj = {"settings": {"socket": "type2"}, "duration_ms": 5000,
           "events": [{"t_ms": 500, "pp_ohm": 220.5}, {"t_ms": 1000, "ev_ohm": 2740.4},
                      {"t_ms": 2000, "ev_ohm": 882.5}]}
    for board in BOARDS:
        rows, run = _run(obj, board)
        inputs = rows_of(rows, "input")
        assert [r.get("pp_ohm", r.get("ev_ohm")) for r in inputs] == [221, 2740, 883], (board, inputs)
        assert rows_of(rows, "relay", 2000, closed=True), board  # 883 ohm reads C: it charged


# -- defect 6: a simulation writes no file ---------------------------------------------------------------


def test_defect6_save_and_factory_reset_in_a_scenario_write_no_file():
    before = sorted(os.listdir("."))
    ev = [{"t_ms": 100, "console": "set max_current_a 20"}, {"t_ms": 200, "console": "save"},
          {"t_ms": 300, "console": "factory-reset"}, {"t_ms": 400, "console": "set max_current_a 10"},
          {"t_ms": 500, "console": "save"}, {"t_ms": 600, "console": "revert"}]
    for board in BOARDS:
        rows, run = _run({"duration_ms": 1000, "events": ev}, board)
        for r in rows_of(rows, "console"):
            assert r["out"].startswith("OK "), (board, r)
        assert _values(run)["max_current_a"] == 10, board  # the saved RAM copy, after revert
        assert sorted(os.listdir(".")) == before, board
    for name in ("settings.json", "history.json"):
        assert name not in os.listdir(repo_path(".")) or name in before


# -- defect 7: sleep, then enable before the EV has left C ---------------------------------------------


def test_defect7_resuming_the_pwm_with_the_ev_still_in_c_keeps_the_contactor_closed():
    """sleep at 8 s, enable at 10 s, the EV stays in C: the contactor stays closed through it (EVerest's
    IEC state machine keeps power on), and the low plateau is checked again once the PWM is back."""
    obj = {"duration_ms": 14000, "events": [{"t_ms": 1000, "ev": "B"}, {"t_ms": 3000, "ev": "C"},
                                            {"t_ms": 8000, "console": "sleep"}, {"t_ms": 10000, "console": "enable"}]}
    for board in BOARDS:
        rows, run = _run(obj, board)
        relays = [(r["t_ms"], r["closed"]) for r in rows_of(rows, "relay", 1)]
        assert len(relays) == 1 and relays[0][1] and relays[0][0] < 8000, (board, relays)
        modes = [(r["t_ms"], r["mode"]) for r in rows_of(rows, "pilot", 8000)]
        assert modes[0][1] == "+12V" and modes[1][1] == "pwm" and modes[1][0] - 10000 <= TICK_MS, (board, modes)
        assert not rows_of(rows, "fault"), board


def test_defect7_a_diode_lost_while_sleeping_is_found_once_the_pwm_is_back():
    """The session's diode check stands through the withdrawal, not for ever: a diode gone while the
    pilot was steady +12 V is found within the 100 ms of a pilot change after enable."""
    obj = {"duration_ms": 14000, "events": [{"t_ms": 1000, "ev": "B"}, {"t_ms": 3000, "ev": "C"},
                                            {"t_ms": 8000, "console": "sleep"}, {"t_ms": 9000, "ev_diode": False},
                                            {"t_ms": 10000, "console": "enable"}]}
    for board in BOARDS:
        rows, run = _run(obj, board)
        d = rows_of(rows, "fault", 10000, code="diode")
        assert d and d[0]["t_ms"] - 10000 <= OPEN_LIMIT_MS, (board, d)
        opened = rows_of(rows, "relay", 10000, closed=False)
        assert opened and opened[0]["t_ms"] == d[0]["t_ms"], board


# -- our own probes (issue 8: think of what would break it) ---------------------------------------------


def test_probe_a_flickering_limit_changes_the_duty_at_most_twice_in_any_5s():
    """A front end hammering the limit (6 A / 80 A every 50 ms while charging): every fall is applied at
    once, but rises wait for the 5 s rule, so the EV's charger is stepped at most twice (a fall and a
    rise) in any 5 s window, and the offer never exceeds the limit in force after the tick."""
    ev = [{"t_ms": 1000, "ev": "B"}, {"t_ms": 2000, "ev": "C"}]
    t = 3000
    while t < 13000:
        ev.append({"t_ms": t, "console": "limit 6" if (t // 50) % 2 == 0 else "limit none"})
        t += 50
    for board in BOARDS:
        rows, run = _run({"duration_ms": 15000, "events": ev}, board)
        changes = [r["t_ms"] for r in rows_of(rows, "pilot", 2100)]
        for i in range(len(changes)):
            window = [c for c in changes if changes[i] <= c < changes[i] + CHANGE_INTERVAL_MS]
            assert len(window) <= 2, (board, changes)
        # whenever the limit is 6 A, the PWM offers 6 A one tick later
        limit6 = [r["t_ms"] for r in rows_of(rows, "console") if r["in"] == "limit 6"]
        for lt in limit6:
            cur = None
            for r in rows:
                if r["event"] == "pilot" and r["t_ms"] <= lt + TICK_MS:
                    cur = r
            assert cur is not None and cur["amps"] == 6, (board, lt, cur)


def test_probe_a_vehicle_plugged_in_while_disabled_gets_the_installation_of_the_moment_it_is_seen():
    """disable, a vehicle arrives unseen (-12 V on the pilot), the socket type is changed, enable: the
    session starts on the new installation settings; nothing was energised meanwhile."""
    obj = {"duration_ms": 8000, "events": [{"t_ms": 100, "console": "disable"}, {"t_ms": 500, "ev": "C"},
                                           {"t_ms": 1000, "console": "set socket type2"},
                                           {"t_ms": 1100, "pp_ohm": 680}, {"t_ms": 2000, "console": "enable"}]}
    for board in BOARDS:
        rows, run = _run(obj, board)
        assert not rows_of(rows, "relay", 1, closed=True)[0]["t_ms"] < 2000, board
        assert _max_amps_after(rows, 2000) == 20, board  # the 680 ohm coding of the new socket setting
        assert energised_unlocked(rows) is None, board


def test_probe_a_fault_while_energised_shows_f_even_as_the_ev_leaves():
    """Found by the commands property: PWM withdrawn (limit 0), the EV leaves (A) and the monitor trips
    while the contactor is still closed: the trip opens it, and the pilot shows F for >= 300 ms (a fault
    while charging), though the pilot already reads A by then with the two-reading filter."""
    ev = [{"t_ms": 500, "ev": "B"}, {"t_ms": 1500, "ev": "C"}, {"t_ms": 2000, "residual_dc_ma": 6},
          {"t_ms": 2060, "console": "limit 0"}, {"t_ms": 2081, "ev": "A"}]
    for board in BOARDS:
        rows, run = _run({"duration_ms": 4000, "events": ev}, board)
        f = rows_of(rows, "fault", 2000, code="gfci_trip")
        assert f, board
        modes = [(r["t_ms"], r["mode"]) for r in rows_of(rows, "pilot", f[0]["t_ms"])]
        assert modes[0] == (f[0]["t_ms"], "-12V") and modes[1][0] - modes[0][0] >= 300, (board, modes)
