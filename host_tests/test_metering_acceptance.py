# Issue 11, done-when: a one-hour session at 32 A x 230 V single-phase reports 7360 Wh +- 1 % in its session
# event, with each meter type, on every interpreter; the three-phase SDM630 reports each phase. The meters are
# the firmware's own drivers reading simulated meters (Modbus RTU frames, S0 pulses): tools/bench/load.py.
# The vehicle reads 31.98 A from the 53.3 % duty (J1772's 0.6 A per %), so it draws 7355 W: within the 1 %.
# Plain asserts: CPython, the MicroPython unix port and the webassembly port.
import json

from tools.sim.scenario import parse
from tools.vboard.run import make_run

HOUR_MS = 3600000
CLOSE_MS = 2060  # the contactor closes 60 ms after C on the bench (filter, self-test)
EXPECT_WH = 7360  # 32 A x 230 V x 1 h


def _hour(meter, phases=1, board="bench"):
    sc = parse({"duration_ms": HOUR_MS + 30000, "board": board,
                "settings": {"meter": meter, "phases": phases, "max_current_a": 32},
                "events": [{"t_ms": 1000, "ev": "B"}, {"t_ms": 2000, "ev": "C"},
                           {"t_ms": CLOSE_MS + HOUR_MS, "ev": "B"}, {"t_ms": HOUR_MS + 20000, "ev": "A"}]})
    lines = []
    make_run(sc, lines.append).run()
    rows = [json.loads(x) for x in lines]
    sessions = [r for r in rows if r["event"] == "session"]
    assert len(sessions) == 1, sessions
    return sessions[0], [r for r in rows if r["event"] == "meter"]


def _within(wh, expect):
    return abs(wh - expect) * 100 <= expect


def test_one_hour_at_32_a_single_phase_with_each_meter():
    for meter in ("sdm120", "sdm630", "abb_b23", "s0"):
        s, meters = _hour(meter)
        assert s["end"] == "unplug" and 3600 <= s["duration_s"] <= 3620, (meter, s)
        assert _within(s["energy_wh"], EXPECT_WH), (meter, s)
        # a meter event at most every 10 s while closed, and one when it opened
        assert 355 <= len(meters) <= 362, (meter, len(meters))
        ts = [m["t_ms"] for m in meters]
        assert all(b - a >= 10000 for a, b in zip(ts, ts[1:-1])), meter
        last = meters[-1]
        assert last["energy_wh"] == s["energy_wh"], (meter, last, s)
        if meter == "s0":
            assert last["current_ma"] is None  # pulses measure energy only
        else:
            assert abs(last["current_ma"][0] - 32000) <= 320 and abs(last["power_w"] - 7360) <= 74, (meter, last)


def test_one_hour_three_phase_sdm630_reports_each_phase():
    s, meters = _hour("sdm630", phases=3)
    assert _within(s["energy_wh"], 3 * EXPECT_WH), s
    for m in meters[1:]:
        assert len(m["current_ma"]) == 3 and all(abs(c - 32000) <= 320 for c in m["current_ma"]), m
        assert _within(m["power_w"], 3 * 7360), m


def test_one_hour_on_the_virtual_pico_with_its_whole_firmware():
    """The same hour through main.start(), App.step and the board's history: the firmware's own path."""
    s, meters = _hour("sdm120", board="pico")
    assert s["end"] == "unplug" and _within(s["energy_wh"], EXPECT_WH), s
