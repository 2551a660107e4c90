# Pilot calibration (issue 10, bring-up): the fit (evse/calibration.py), and the whole procedure through
# the console on the bench with a pilot sense chain that is 4 % low and reads 0.2 V high: after
# `calibrate pilot apply` the core reads the truth again. Plain asserts: runs under MicroPython too.
import json

from evse import calibration
from host_tests.core_rig import Rig

SKEW_NUM, SKEW_DEN, SKEW_OFF = 96, 100, 200  # the board's error: raw = true * 0.96 + 200 mV


def test_the_core_applies_the_calibration_as_calibration_apply_mv_does():
    from evse.charger import CAL_GAIN_ONE

    assert CAL_GAIN_ONE == calibration.GAIN_ONE
    for mv, g, o in ((12000, 10214, -18), (-12000, 9800, 150), (5996, 10000, 0)):
        assert mv * g // CAL_GAIN_ONE + o == calibration.apply_mv(mv, g, o)


def test_fit_of_an_ideal_chain_is_no_correction():
    r = {n: calibration.expected_mv(n) for n, _o, _m, _h in calibration.POINTS}
    ok, gain, off, worst, msg = calibration.fit(r)
    assert ok and gain == calibration.GAIN_ONE and off == 0 and worst == 0, (gain, off, worst, msg)


def test_fit_undoes_a_gain_and_offset_error_and_refuses_nonsense():
    r = {}
    for n, _o, _m, _h in calibration.POINTS:
        r[n] = calibration.expected_mv(n) * SKEW_NUM // SKEW_DEN + SKEW_OFF
    ok, gain, off, worst, msg = calibration.fit(r)
    assert ok and worst <= 2, (gain, off, worst, msg)
    for n in r:
        assert abs(calibration.apply_mv(r[n], gain, off) - calibration.expected_mv(n)) <= 2, n
    assert not calibration.fit({"open": 12000, "b": 9000})[0]  # too few points
    bad = dict(r)
    bad["c"] += 800  # a wrong load on one point
    ok, gain, off, worst, msg = calibration.fit(bad)
    assert not ok and "off the fitted line" in msg, msg
    half = {n: v // 2 for n, v in r.items()}  # a divider twice off: a board-file error
    assert not calibration.fit(half)[0]
    same = {n: 5000 for n in r}
    assert not calibration.fit(same)[0]


_STEPS = [
    (100, {"console": "sleep"}), (500, {"console": "calibrate pilot open"}),
    (1000, {"ev_ohm": 2740}), (1500, {"console": "calibrate pilot b"}),
    (2000, {"ev_ohm": 882}), (2500, {"console": "calibrate pilot c"}),
    (2600, {"console": "calibrate pilot apply"}),  # not yet: a point is missing
    (3000, {"ev": "A"}), (3200, {"console": "disable"}), (3300, {"console": "calibrate pilot open"}),
    (3500, {"console": "calibrate pilot neg"}),
    (4000, {"console": "enable"}), (4100, {"ev_ohm": 882}), (4500, {"console": "calibrate pilot apply"}),
    (5000, {"ev": "A"}), (5500, {"console": "calibrate pilot apply"}),
]


def _skewed_rig(steps, duration=9000):
    ev = []
    for t, e in steps:
        d = dict(e)
        d["t_ms"] = t
        ev.append(d)
    rig = Rig(ev, duration_ms=duration, noise=False)
    afe = rig.bench.afe
    true_mv = afe.counts_to_cp_mv

    def skewed(counts):
        return true_mv(counts) * SKEW_NUM // SKEW_DEN + SKEW_OFF

    afe.counts_to_cp_mv = skewed
    return rig


def test_the_console_procedure_calibrates_a_skewed_board():
    rig = _skewed_rig(_STEPS).finish()
    outs = [(r["t_ms"], r["out"]) for r in rig.rows() if r["event"] == "console"]
    o = dict(outs)
    assert o[500].startswith("OK pilot open") and o[1500].startswith("OK pilot b"), outs
    assert o[2600].startswith("ERR 14 calibration not applied: 3 of 4 points"), outs
    assert o[3300].startswith("ERR 14 the pilot must be a steady +12V"), outs  # disabled: -12 V
    assert o[3500].startswith("OK pilot neg") and "4 of 4" in o[3500], outs
    assert o[4500].startswith("ERR 15 cal_cp_gain,cal_cp_offset_mv cannot change"), outs  # a load on it
    assert o[5500].startswith("OK cal_cp_gain="), outs
    v = rig.run.settings.values
    gain, off = v["cal_cp_gain"], v["cal_cp_offset_mv"]
    assert abs(gain - 10000 * SKEW_DEN // SKEW_NUM) <= 30 and abs(off + 208) <= 30, (gain, off)
    assert rig.ch.inst.cp_gain == gain  # in force once the pilot reads A


def test_a_calibrated_skewed_board_charges_and_its_thresholds_are_the_true_ones():
    steps = list(_STEPS) + [(6000, {"console": "save"}), (6500, {"ev": "B"}), (7000, {"ev": "C"})]
    rig = _skewed_rig(steps, duration=10000).finish()
    assert rig.relay_close_at(7000) is not None
    # the raw high plateau in C reads 5.96 V * 0.96 + 0.2; corrected, the core works with ~6.0 V
    io = rig.io
    corrected = calibration.apply_mv(io.cp_high_mv, rig.ch.inst.cp_gain, rig.ch.inst.cp_offset_mv)
    assert abs(corrected - calibration.expected_mv("c")) <= 60, (io.cp_high_mv, corrected)
    lo = calibration.apply_mv(io.cp_low_mv, rig.ch.inst.cp_gain, rig.ch.inst.cp_offset_mv)
    assert abs(lo + 12000) <= 60, lo
    j = [r for r in rig.rows() if r["event"] == "console" and r["in"] == "save"][0]
    assert j["out"] == "OK saved", j
    assert json.loads(rig.run.settings.text())["settings"]["cal_cp_gain"] == rig.ch.inst.cp_gain
