# The command layer's refusals (issue 8), one scenario file each, through the scenario's `console` input,
# on the core-only bench and on the virtual Pico. Plain asserts: runs under MicroPython too.
import json

from evse.charger import TICK_MS
from evse.duty import CHANGE_INTERVAL_MS
from host_tests.core_rig import energised_unlocked, repo_path, rows_of
from host_tests.vboard_rig import trace

BOARDS = ("bench", "pico")


def _rows(name, board):
    return [json.loads(x) for x in trace(repo_path("scenarios/" + name + ".json"), board=board)]


def _out(rows, t):
    for r in rows:
        if r["event"] == "console" and r["t_ms"] == t:
            return r["out"]
    raise AssertionError("no console line at %d" % t)


def test_scenario_session_refuses_socket():
    for b in BOARDS:
        rows = _rows("session_refuses_socket", b)
        assert _out(rows, 6000).startswith("ERR 15 socket "), b
        assert _out(rows, 13000).startswith("ERR 15 "), b  # EV in B: still a session
        assert _out(rows, 16000) == "OK socket=tethered unsaved", b  # no vehicle: accepted
        assert energised_unlocked(rows) is None, b
        amps = [r["amps"] for r in rows_of(rows, "pilot") if r["mode"] == "pwm"]
        assert amps and max(amps) == 32, (b, amps)
        opens = [r["t_ms"] for r in rows_of(rows, "relay", 1) if not r["closed"]]
        assert opens and opens[0] > 12000, (b, opens)  # charging was never interrupted by the refusal


def test_scenario_session_refuses_installation():
    for b in BOARDS:
        rows = _rows("session_refuses_installation", b)
        for t, name in ((3000, "cable_current_a"), (3100, "pp_sense"), (3200, "ventilation"),
                        (3300, "temp_derate_c"), (3400, "temp_stop_c")):
            assert _out(rows, t).startswith("ERR 15 " + name + " "), (b, t)
        assert _out(rows, 4000).startswith("OK max_current_a=16"), b
        pwm = [(r["t_ms"], r["amps"]) for r in rows_of(rows, "pilot", 3000) if r["mode"] == "pwm"]
        assert pwm[0][1] == 16 and pwm[0][0] - 4000 <= TICK_MS, (b, pwm)  # a fall: at once
        assert pwm[1][1] == 10 and pwm[1][0] - 5000 <= TICK_MS, (b, pwm)  # the runtime limit: at once
        assert pwm[2][1] == 16 and pwm[2][0] - pwm[1][0] >= CHANGE_INTERVAL_MS, (b, pwm)  # a rise: 5 s rule
        assert pwm[2][0] - pwm[1][0] < CHANGE_INTERVAL_MS + TICK_MS, (b, pwm)


def test_scenario_session_refuses_revert_and_factory_reset():
    for b in BOARDS:
        rows = _rows("session_refuses_revert_and_factory_reset", b)
        assert _out(rows, 200) == "OK socket=type2 unsaved", b
        assert _out(rows, 5000).startswith("ERR 15 socket "), b
        assert _out(rows, 6000).startswith("ERR 15 socket "), b
        assert _out(rows, 13000) == "OK reverted", b
        assert energised_unlocked(rows) is None, b
        assert [r["locked"] for r in rows_of(rows, "lock")] == [True, False], b


def test_scenario_session_reset_and_save():
    for b in BOARDS:
        rows = _rows("session_reset_and_save", b)
        assert _out(rows, 3000).startswith("ERR 14 reset refused"), b
        assert _out(rows, 4000) == "OK staged: written when the contactor opens", b
        assert " save=pending" in _out(rows, 4500), b
        assert "save=pending" not in _out(rows, 7000), b  # written once the contactor opened
        assert _out(rows, 8000).startswith("OK faults reset"), b
