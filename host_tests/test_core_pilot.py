# Core, pilot.py: state windows, every hysteresis band, pilot-fault ranges, the time filter, diode window.
# Figures: docs/standards.md "State windows" and "Timing" (IEC 61851-1 Table A.4 / A.6). Plain asserts.
from evse.pilot import (
    DEBOUNCE_MS, PS_A, PS_B, PS_C, PS_D, PS_E, PS_F, PS_INVALID, PilotFilter, classify_high,
    low_plateau_ok, since,
)

_ALL = (PS_A, PS_B, PS_C, PS_D, PS_E, PS_F, PS_INVALID)
_TICK = 10
DETECT_BOUND_MS = 50  # docs/standards.md Timing: detection never delayed more than 50 ms
_NOMINAL = {PS_A: 12000, PS_B: 9000, PS_C: 6000, PS_D: 3000, PS_E: 0}


def _window(lo, hi, want):
    """Every mV in [lo, hi] (step 1 at the edges, 37 inside) reads `want` whatever the previous state."""
    mvs = list(range(lo, lo + 5)) + list(range(lo, hi + 1, 37)) + list(range(hi - 4, hi + 1))
    for mv in mvs:
        for prev in _ALL:
            got = classify_high(mv, prev)
            assert got == want, (mv, prev, got, want)


def test_state_windows_a_b_c_d_e_read_their_state_from_any_previous_state():
    """docs/standards.md State windows: A 11..13, B 8..<10, C 5..<7, D 2..<4, E -1..<2 V."""
    _window(11000, 13000, PS_A)
    _window(8000, 9999, PS_B)
    _window(5000, 6999, PS_C)
    _window(2000, 3999, PS_D)
    _window(-1000, 1999, PS_E)


def test_f_window_minus13_to_minus11_reads_f_unless_already_in_a_pilot_fault():
    """docs/standards.md State windows: F -13 .. -11 V (the high plateau there is a pilot fault either way)."""
    for mv in (-13000, -12999, -12000, -11001, -11000):
        for prev in (PS_A, PS_B, PS_C, PS_D, PS_E, PS_F):
            assert classify_high(mv, prev) == PS_F, (mv, prev)
        assert classify_high(mv, PS_INVALID) >= PS_F, mv


def test_above_13v_below_minus13v_and_minus10_to_minus2v_are_pilot_faults():
    """docs/standards.md: above 13 V or between -10 and -2 V (or below -13 V) is a pilot fault."""
    for mv in (13001, 13500, 15000, 20000):
        for prev in _ALL:
            assert classify_high(mv, prev) == PS_INVALID, (mv, prev)
    _window(-9999, -2001, PS_INVALID)
    for mv in (-13001, -14000, -15000):
        for prev in _ALL:
            assert classify_high(mv, prev) == PS_INVALID, (mv, prev)


def _band(lo, hi, upper, lower):
    """In [lo, hi): keep `upper` or `lower` if that was the state; from any other state the nearer half."""
    mid2 = lo + hi  # 2 x midpoint
    for mv in list(range(lo, lo + 3)) + list(range(lo, hi, 41)) + list(range(hi - 3, hi)):
        assert classify_high(mv, upper) == upper, (mv, upper)
        assert classify_high(mv, lower) == lower, (mv, lower)
        for prev in _ALL:
            if prev in (upper, lower):
                continue
            want = upper if 2 * mv >= mid2 else lower
            assert classify_high(mv, prev) == want, (mv, prev)


def test_hysteresis_band_10_to_11v_keeps_a_or_b():
    """docs/standards.md: the band 10-11 V keeps the previous state (A or B)."""
    _band(10000, 11000, PS_A, PS_B)


def test_hysteresis_band_7_to_8v_keeps_b_or_c():
    """docs/standards.md: the band 7-8 V keeps the previous state (B or C)."""
    _band(7000, 8000, PS_B, PS_C)


def test_hysteresis_band_4_to_5v_keeps_c_or_d():
    """docs/standards.md: the band 4-5 V keeps the previous state (C or D)."""
    _band(4000, 5000, PS_C, PS_D)


def test_bands_between_e_and_fault_and_between_fault_and_f_keep_the_previous_reading():
    """protocol.md (tag I): -2..-1 V (E / fault) and -11..-10 V (fault / F) are hysteresis bands."""
    _band(-2000, -1000, PS_E, PS_INVALID)
    for mv in (-10999, -10500, -10001):
        assert classify_high(mv, PS_INVALID) == PS_INVALID
        assert classify_high(mv, PS_F) == PS_F


def test_the_bench_vehicle_resistances_read_their_nominal_states():
    """docs/standards.md Control pilot circuit: B 2.74 kohm, C 882 ohm, D 246 ohm behind a diode and 1 kohm."""
    from tools.bench.circuit import EV_B, EV_C, EV_D, GEN_MV, cp_volts_mv

    assert classify_high(cp_volts_mv(GEN_MV, None), PS_A) == PS_A
    assert classify_high(cp_volts_mv(GEN_MV, EV_B), PS_A) == PS_B
    assert classify_high(cp_volts_mv(GEN_MV, EV_C), PS_B) == PS_C
    assert classify_high(cp_volts_mv(GEN_MV, EV_D), PS_C) == PS_D
    assert classify_high(cp_volts_mv(GEN_MV, EV_C, cp_short=True), PS_C) == PS_E
    # The accepted resistance ranges (B 1870-4610 ohm, C 909-1723 ohm in parallel with R2) stay in B / C.
    for r in (1870, 2740, 4610):
        assert classify_high(cp_volts_mv(GEN_MV, r), PS_B) == PS_B, r
    for rc in (909, 1300, 1723):
        r = 2740 * rc // (2740 + rc)
        assert classify_high(cp_volts_mv(GEN_MV, r), PS_C) == PS_C, rc


# -- the time filter --------------------------------------------------------------------------------


def _play(stable_mv, new_mv, change_at, until, clock=0):
    """Feed a filter every 10 ms from t = 0: stable_mv before change_at, new_mv from then; the core's
    clock reads (clock + t) wrapped like ticks_ms. Return (filter, first t the new state is believed)."""
    f = PilotFilter()
    t = 0
    old = None
    while t <= until:
        mv = new_mv if t >= change_at else stable_mv
        st = f.feed(mv, (clock + t) & 0x3FFFFFFF)
        if old is None:
            old = st
        elif st != old:
            return f, t
        t += _TICK
    return f, None


def test_filter_believes_a_change_after_20ms_and_never_later_than_50ms():
    """IEC 61851-1 / docs/standards.md Timing: state detection filtered, never delayed more than 50 ms."""
    for a, b in ((PS_B, PS_C), (PS_C, PS_B), (PS_C, PS_A), (PS_B, PS_A), (PS_C, PS_E), (PS_A, PS_B),
                 (PS_C, PS_D), (PS_D, PS_C)):
        for phase in range(_TICK):
            change = 1000 + phase  # physical change between two ticks (ticks at multiples of 10)
            f, t = _play(_NOMINAL[a], _NOMINAL[b], change, 2000)
            assert t is not None, (a, b, phase)
            first_seen = (change + _TICK - 1) // _TICK * _TICK
            assert t - first_seen >= DEBOUNCE_MS, (a, b, phase, t)  # believed only after 20 ms
            assert t - change <= DETECT_BOUND_MS, (a, b, phase, t - change)
            assert f.stable == b


def test_filter_reports_a_200ms_c_pulse():
    """docs/standards.md Timing: report C pulses as short as 200 ms."""
    for phase in range(_TICK):
        f = PilotFilter()
        seen = False
        t = 0
        while t < 2000:
            mv = 6000 if 1000 + phase <= t < 1200 + phase else 9000
            if f.feed(mv, t) == PS_C:
                seen = True
            t += _TICK
        assert seen, phase
        assert f.stable == PS_B


def test_filter_ignores_flicker_shorter_than_the_debounce():
    """docs/standards.md Timing: filter over a few pulses: a glitch shorter than 20 ms changes nothing."""
    for glitch_mv in (12000, 9000, 3000, 0, -12000, 14000):
        for length in range(1, DEBOUNCE_MS):
            for phase in range(_TICK):
                f = PilotFilter()
                t = 0
                while t < 600:
                    mv = glitch_mv if 300 + phase <= t < 300 + phase + length else 6000
                    assert f.feed(mv, t) == PS_C, (glitch_mv, length, phase, t)
                    t += _TICK


def test_filter_leaves_c_within_50ms_when_readings_alternate_between_two_other_states():
    """Table A.6 / docs/standards.md: C->B or A opens within 100 ms, detected within 50 ms, even when the
    readings that are no longer C disagree among themselves (a pilot near the 10.5 V midpoint)."""
    for pattern in ((12000, 9000), (10600, 10400), (9000, 12000, 12000), (0, 9000)):
        f = PilotFilter()
        t = 0
        while t < 500:
            assert f.feed(6000, t) == PS_C
            t += _TICK
        change = t
        while f.stable == PS_C and t < change + 1000:
            f.feed(pattern[(t - change) // _TICK % len(pattern)], t)
            t += _TICK
        assert f.stable != PS_C, pattern
        assert t - _TICK - change <= DETECT_BOUND_MS, (pattern, t - _TICK - change)


def test_filter_works_across_the_ticks_ms_wrap():
    """MicroPython ticks_ms wraps at 2**30: a change around the wrap is believed exactly as elsewhere."""
    for offset in range(0, 40, 3):
        change = 1000 + offset
        _, plain = _play(9000, 6000, change, 3000)
        for before_wrap in (1005, 1000, 990, 985):  # the wrap falls just before/after the change
            _, wrapped = _play(9000, 6000, change, 3000, clock=0x40000000 - before_wrap)
            assert wrapped == plain, (offset, before_wrap, wrapped, plain)
    assert since(5, 0x3FFFFFFF - 4) == 10


def test_restart_adopts_the_next_reading_at_once():
    """protocol.md: after the EVSE drove -12 V nothing was read, so the first reading is taken as it is."""
    f = PilotFilter()
    assert f.feed(9000, 0) == PS_B
    f.restart()
    assert f.settling()
    assert f.feed(6000, 10) == PS_C
    assert not f.settling()


# -- diode check -----------------------------------------------------------------------------------


def test_diode_window_accepts_minus12_6_to_minus11_4v_only():
    """docs/standards.md Diode check (N): the low side must reach -12 V, accepted -12.6 .. -11.4 V."""
    for mv in (-12600, -12599, -12000, -11401, -11400):
        assert low_plateau_ok(mv), mv
    for mv in (-12601, -13000, -11399, -11000, -8790, -5600, 0, 6000):
        assert not low_plateau_ok(mv), mv


def test_diode_check_rejects_the_low_side_of_a_vehicle_without_diode():
    """docs/standards.md Diode check: a missing/shorted diode gives a low side near minus the high side."""
    from tools.bench.circuit import EV_B, EV_C, EV_D, GEN_MV, cp_volts_mv

    for r in (EV_B, EV_C, EV_D):
        assert low_plateau_ok(cp_volts_mv(-GEN_MV, r, diode=True)), r
        hi = cp_volts_mv(GEN_MV, r, diode=False)
        lo = cp_volts_mv(-GEN_MV, r, diode=False)
        assert abs(hi + lo) < 1000 and not low_plateau_ok(lo), (r, hi, lo)
