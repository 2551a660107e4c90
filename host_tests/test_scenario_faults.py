# Scenario tests, one per fault code: scenarios/faults/<code>.json run in-process (tools.sim.scenario.load +
# tools.sim.runner.Run), the JSON-lines trace parsed and checked: the fault event, when the contactor command
# opened relative to the input that caused it, and the F (-12 V) period. Plain asserts.
from evse import faults as F
from evse.charger import CLEAR_HOLD_MS, LOCK_CONFIRM_MS, OVER_CURRENT_MS, TICK_MS
from evse.contactor import FAIL_CLOSE_MS, WELD_MS
from host_tests.core_rig import (
    CLOSE_LIMIT_MS, CP_SHORT_LIMIT_MS, F_MIN_MS, GROUND_LIMIT_MS, OPEN_LIMIT_MS, RCD_LIMIT_MS, WITHDRAW_MS,
    FileRun, repo_path,
)
from meter.task import POLL_MS
from tools.bench.plant import ac_trip_ms

OVER_TEMP_LIMIT_MS = TICK_MS  # no figure in docs/standards.md: the next control tick


def _run(code):
    r = FileRun(repo_path("scenarios/faults/" + code + ".json")).finish()
    assert r.fault_at(code) is not None, "no %s fault in the trace" % code
    return r


def _fault_row(r, code):
    return r.find("fault", code=code)[0]


def _f_then_x1(r, fault_t):
    """docs/standards.md Timing: fault while charging -> F (-12 V) for >= 300 ms, then +12 V (x1)."""
    fp = r.f_period(fault_t)
    assert fp is not None and fp[0] == fault_t, (fault_t, fp)
    assert fp[1] is not None and fp[1] - fp[0] >= F_MIN_MS and fp[2] == "+12V", fp


def _f_until(r, fault_t, until):
    """A latched fault: -12 V from the fault on, until `until` (a service reset) or the end."""
    fp = r.f_period(fault_t)
    assert fp is not None and fp[0] == fault_t, (fault_t, fp)
    if until is None:
        assert fp[1] is None, fp
    else:
        assert fp[1] == until, (fp, until)


def _opens_within(r, cause_t, limit):
    """The contactor was closed before the cause and its command opened within `limit` after it."""
    closed = r.relay_close_at(0)
    assert closed is not None and closed < cause_t, closed
    opened = r.relay_open_at(cause_t)
    assert opened is not None and opened - cause_t <= limit, (cause_t, opened, limit)
    return opened - cause_t


def test_scenario_diode():
    """docs/standards.md Diode check / Table A.6: the diode fails while charging -> open within 100 ms;
    F >= 300 ms then +12 V; no close until unplug clears it."""
    r = _run("diode")
    cause = r.input_at("ev_diode", False)
    _opens_within(r, cause, OPEN_LIMIT_MS)
    ft = r.fault_at("diode")
    _f_then_x1(r, ft)
    unplug = r.input_at("ev", "A", cause)
    assert r.relay_close_at(cause) is None
    cleared = r.first("fault_cleared", code="diode")
    assert cleared is not None and unplug < cleared <= unplug + OPEN_LIMIT_MS


def test_scenario_cp_short():
    """IEC 61851-1 A.4.9: CP short added in C -> open within 3 s (Table A.6 C->E: 100 ms); clears 2 s
    after the short goes; a fresh self-test precedes the next close."""
    r = _run("cp_short")
    cause = r.input_at("cp_short", True)
    lat = _opens_within(r, cause, CP_SHORT_LIMIT_MS)
    assert lat <= OPEN_LIMIT_MS, lat
    _f_then_x1(r, r.fault_at("cp_short"))
    gone = r.input_at("cp_short", False)
    cleared = r.first("fault_cleared", code="cp_short")
    assert CLEAR_HOLD_MS <= cleared - gone <= CLEAR_HOLD_MS + 5 * TICK_MS, (gone, cleared)
    again = r.relay_close_at(cause)
    assert again is not None and r.first("selftest", cleared) <= again and again - cleared <= CLOSE_LIMIT_MS


def test_scenario_vent_required():
    """docs/standards.md: D without ventilation is refused: open within 100 ms (Table A.6), F, +12 V; never
    closed while in D; cleared 2 s after the EV leaves D."""
    r = _run("vent_required")
    cause = r.input_at("ev", "D")
    _opens_within(r, cause, OPEN_LIMIT_MS)
    _f_then_x1(r, r.fault_at("vent_required"))
    assert r.relay_close_at(cause) is None
    back = r.input_at("ev", "B", cause)
    cleared = r.first("fault_cleared", code="vent_required")
    assert CLEAR_HOLD_MS <= cleared - back <= CLEAR_HOLD_MS + 5 * TICK_MS


def test_scenario_gfci_trip():
    """UL 2231-2: the monitor trips on the UL 943 curve; the contactor command opens within 5 ms of its
    signal; F >= 300 ms then +12 V; no reclosure inside 15 min."""
    r = _run("gfci_trip")
    cause = r.input_at("residual_ma", 30)
    signal = cause + ac_trip_ms(30)
    _opens_within(r, cause, ac_trip_ms(30) + RCD_LIMIT_MS)
    opened = r.relay_open_at(cause)
    assert 0 <= opened - signal <= RCD_LIMIT_MS, (signal, opened)
    ft = r.fault_at("gfci_trip")
    assert _fault_row(r, "gfci_trip")["latched"] is False
    _f_then_x1(r, ft)
    assert r.relay_close_at(opened) is None and r.first("fault_cleared", code="gfci_trip") is None


def test_scenario_gfci_selftest():
    """docs/standards.md Residual current: self-test before every close; failure = hard fault, latched, no
    retry: never energised, -12 V until the service reset; then a healthy monitor lets it charge."""
    r = _run("gfci_selftest")
    ask = r.input_at("ev", "C")
    ft = r.fault_at("gfci_selftest")
    assert _fault_row(r, "gfci_selftest")["latched"] is True
    assert ask < ft <= ask + CLOSE_LIMIT_MS  # the verdict comes within the time a close would have had
    reset = r.input_at("console", "reset")
    assert r.relay_close_at(0) >= reset
    _f_until(r, ft, reset)
    assert r.first("fault_cleared", code="gfci_selftest") == reset
    assert r.first("selftest", reset) <= r.relay_close_at(reset)


def test_scenario_no_ground():
    """docs/standards.md Ground: PE lost while closed -> open (within 1 s); F, +12 V; cleared 2 s after PE."""
    r = _run("no_ground")
    cause = r.input_at("ground", False)
    _opens_within(r, cause, GROUND_LIMIT_MS)
    _f_then_x1(r, r.fault_at("no_ground"))
    back = r.input_at("ground", True)
    cleared = r.first("fault_cleared", code="no_ground")
    assert CLEAR_HOLD_MS <= cleared - back <= CLEAR_HOLD_MS + 5 * TICK_MS
    assert r.relay_close_at(cause) >= cleared


def test_scenario_relay_welded():
    """docs/standards.md Ground and contactor: load side live > 1 s after opening -> welded, latched, never
    re-energised (the vehicle asks twice more)."""
    r = _run("relay_welded")
    stop = r.input_at("ev", "B", r.input_at("relay_weld", True))
    _opens_within(r, stop, OPEN_LIMIT_MS)
    opened = r.relay_open_at(stop)
    ft = r.fault_at("relay_welded")
    assert _fault_row(r, "relay_welded")["latched"] is True
    assert WELD_MS < ft - opened <= WELD_MS + 3 * TICK_MS, (opened, ft)
    assert r.relay_close_at(opened) is None
    _f_until(r, ft, None)


def test_scenario_relay_fail_close():
    """docs/standards.md: commanded closed, load side dead -> fails to close (named apart, latched); the
    command opens when it is found (1 s, tag I)."""
    r = _run("relay_fail_close")
    closed = r.relay_close_at(0)
    ft = r.fault_at("relay_fail_close")
    assert FAIL_CLOSE_MS <= ft - closed <= FAIL_CLOSE_MS + 2 * TICK_MS, (closed, ft)
    assert r.relay_open_at(closed + 1) == ft
    assert _fault_row(r, "relay_fail_close")["latched"] is True
    assert r.fault_at("no_ground") is None and r.fault_at("relay_welded") is None
    _f_until(r, ft, None)


def test_scenario_over_temperature():
    """settings temp_stop_c: above it the contactor opens on the next tick; F, +12 V; cleared 2 s after
    the temperature is back below temp_derate_c, then charging resumes."""
    r = _run("over_temperature")
    cause = r.input_at("temp_c", 80)
    _opens_within(r, cause, OVER_TEMP_LIMIT_MS)
    _f_then_x1(r, r.fault_at("over_temperature"))
    cool = r.input_at("temp_c", 25)
    cleared = r.first("fault_cleared", code="over_temperature")
    assert CLEAR_HOLD_MS <= cleared - cool <= CLEAR_HOLD_MS + 5 * TICK_MS
    assert r.relay_close_at(cleared) is not None


def test_scenario_pp_invalid():
    """docs/standards.md Proximity: PP lost during a session -> stop like C->B (within 100 ms); F, +12 V."""
    r = _run("pp_invalid")
    cause = r.input_at("pp_ohm", None)
    _opens_within(r, cause, OPEN_LIMIT_MS)
    _f_then_x1(r, r.fault_at("pp_invalid"))
    assert r.relay_close_at(cause) is None


def test_scenario_lock_failed():
    """docs/standards.md: Type 2 lock: lock and confirm before closing; lock failure -> no energization;
    cleared on unplug, and the lock is released."""
    r = _run("lock_failed")
    lock = r.first("lock", locked=True)
    ft = r.fault_at("lock_failed")
    assert LOCK_CONFIRM_MS <= ft - lock <= LOCK_CONFIRM_MS + 2 * TICK_MS, (lock, ft)
    assert r.relay_close_at(0) is None
    _f_then_x1(r, ft)
    unplug = r.input_at("ev", "A")
    assert unplug < r.first("fault_cleared", code="lock_failed") <= unplug + OPEN_LIMIT_MS
    assert unplug < r.first("lock", unplug, locked=False) <= unplug + OPEN_LIMIT_MS


def test_scenario_ev_not_responding():
    """docs/standards.md Timing: PWM withdrawn, the EV stays in C: open under load at 6 s (not before),
    ev_not_responding; F, +12 V; cleared on unplug."""
    r = _run("ev_not_responding")
    cause = r.input_at("console", "sleep")
    withdrawn = r.first("pilot", cause, mode="+12V")
    assert withdrawn - cause <= TICK_MS
    opened = r.relay_open_at(cause)
    assert WITHDRAW_MS <= opened - withdrawn <= WITHDRAW_MS + TICK_MS, (withdrawn, opened)
    assert r.fault_at("ev_not_responding") == opened
    _f_then_x1(r, opened)
    unplug = r.input_at("ev", "A")
    assert unplug < r.first("fault_cleared", code="ev_not_responding") <= unplug + OPEN_LIMIT_MS


def test_scenario_temp_sensor():
    """Review defect 2: a sensor lost during an over-temperature stop keeps the stop (temp_sensor raised
    at once); both clear 2 s after a real reading below the derate point; then charging resumes."""
    r = _run("temp_sensor")
    hot = r.input_at("temp_c", 80)
    ot = r.fault_at("over_temperature")
    assert ot - hot <= OVER_TEMP_LIMIT_MS
    _f_then_x1(r, ot)
    lost = r.input_at("temp_c", None)
    assert lost <= r.fault_at("temp_sensor") <= lost + TICK_MS
    back = r.input_at("temp_c", 25)
    assert r.relay_close_at(ot) > back + CLEAR_HOLD_MS
    for code in ("over_temperature", "temp_sensor"):
        c = r.first("fault_cleared", code=code)
        assert back + CLEAR_HOLD_MS <= c <= back + CLEAR_HOLD_MS + 50, (code, c)


def test_every_fault_code_has_a_scenario_file_or_a_stated_reason():
    """One scenario per fault code in scenarios/faults/. pilot_fault has none: no bench input can put the
    high plateau outside every window (the bench has no generator fault); test_core_faults.py injects one."""
    import os

    have = [n[:-5] for n in os.listdir(repo_path("scenarios/faults")) if n.endswith(".json")]
    for code in F.NAMES:
        if code == "pilot_fault":
            assert code not in have  # when the bench gains a generator fault, add the file and its test
            continue
        assert code in have, code
        assert ("test_scenario_" + code) in globals(), code


def test_scenario_over_current():
    """docs/metering.md: an EV above offer + 10 % + 0.5 A for 5 s is stopped: the contactor opens, F for
    >= 300 ms, then +12 V; the fault holds until the unplug; the session ends as "fault"."""
    r = _run("over_current")
    cause = r.input_at("ev_draw_a", 40)
    f = r.fault_at("over_current")
    assert OVER_CURRENT_MS <= f - cause <= OVER_CURRENT_MS + POLL_MS + TICK_MS, (cause, f)
    assert r.relay_open_at(cause) == f
    _f_then_x1(r, f)
    unplug = r.input_at("ev", "A")
    assert unplug < r.first("fault_cleared", code="over_current") <= unplug + OPEN_LIMIT_MS
    assert r.find("session")[0]["end"] == "fault"


def test_scenario_meter_lost():
    """docs/metering.md: a meter that stops answering is reported (not latched) and charging goes on; the
    fault clears CLEAR_HOLD_MS after the first good reading."""
    r = _run("meter_lost")
    cause = r.input_at("meter_fail", True)
    f = r.fault_at("meter_lost")
    assert 0 <= f - cause <= 2 * POLL_MS + TICK_MS, (cause, f)
    stop = r.input_at("ev", "B")
    assert r.relay_open_at(2100) > stop  # charging went on until the EV stopped
    assert all(t > stop for t, _ in r.pilot_after(2100))
    back = r.input_at("meter_fail", False)
    c = r.first("fault_cleared", code="meter_lost")
    assert back + CLEAR_HOLD_MS <= c <= back + CLEAR_HOLD_MS + POLL_MS + TICK_MS, (back, c)
    meters = r.find("meter")
    assert all(len(m["current_ma"]) == 3 for m in meters)  # a three-phase meter reports each phase
    assert r.find("session")[0]["end"] == "unplug"
