# Bench pilot and proximity circuits: node voltages land in the J1772 / IEC 61851-1 state windows.
from evse.iodata import NO_SAMPLE, PILOT_N12, PILOT_P12, PILOT_PWM
from tools.bench.circuit import (
    EV_B,
    EV_C,
    EV_D,
    GEN_MV,
    cp_volts_mv,
    pilot_plateaus,
    pp_volts_mv,
)


def _parallel(a, b):
    return (a * b + (a + b) // 2) // (a + b)


def test_nominal_ev_resistances_are_the_standard_networks():
    assert EV_B == 2740
    assert EV_C == _parallel(2740, 1300)
    assert EV_D == _parallel(2740, 270)


def test_state_a_high_is_the_generator_level():
    high, low = pilot_plateaus(PILOT_PWM, None)
    assert high == GEN_MV == 12000
    assert low == -12000


def test_state_b_high_is_near_9v():
    high, _ = pilot_plateaus(PILOT_PWM, EV_B)
    assert 8000 <= high < 10000
    assert abs(high - 9000) <= 100


def test_state_c_high_is_near_6v():
    high, _ = pilot_plateaus(PILOT_PWM, EV_C)
    assert 5000 <= high < 7000
    assert abs(high - 6000) <= 100


def test_state_d_high_is_near_3v():
    high, _ = pilot_plateaus(PILOT_PWM, EV_D)
    assert 2000 <= high < 4000
    assert abs(high - 2900) <= 100


def test_low_side_is_minus_12v_with_diode():
    # J1772 diode check: -12 V accepted within -12.6 .. -11.4 V
    for ev in (None, EV_B, EV_C, EV_D):
        _, low = pilot_plateaus(PILOT_PWM, ev)
        assert -12600 <= low <= -11400


def test_missing_diode_gives_low_near_minus_high():
    for ev in (EV_B, EV_C, EV_D):
        high, low = pilot_plateaus(PILOT_PWM, ev, diode=False)
        assert abs(high + low) <= 100
        assert low > -11400  # fails the diode check
    high, low = pilot_plateaus(PILOT_PWM, EV_B, diode=False)
    assert -9000 <= low <= -8500  # 12 V * 2740 / 3740 = 8.79 V


def test_accepted_ev_resistances_land_in_their_state_windows():
    # B: 1870..4610 ohm; C: 909..1723 ohm in parallel with R2 = 2740 ohm
    for ev in (1870, 2740, 4610):
        assert 8000 <= cp_volts_mv(12000, ev) < 10000
    for r3 in (909, 1300, 1723):
        assert 5000 <= cp_volts_mv(12000, _parallel(2740, r3)) < 7000


def test_cp_short_reads_0v_in_every_mode():
    for mode in (PILOT_P12, PILOT_PWM, PILOT_N12):
        high, _ = pilot_plateaus(mode, EV_C, cp_short=True)
        assert high == 0
    assert pilot_plateaus(PILOT_PWM, EV_B, cp_short=True) == (0, 0)


def test_steady_plus_12v_has_no_low_plateau():
    assert pilot_plateaus(PILOT_P12, EV_B) == (cp_volts_mv(12000, EV_B), NO_SAMPLE)


def test_minus_12v_mode_reports_the_negative_level_as_high():
    for ev in (None, EV_B, EV_C):
        assert pilot_plateaus(PILOT_N12, ev) == (-12000, NO_SAMPLE)
    high, low = pilot_plateaus(PILOT_N12, EV_B, diode=False)
    assert -9000 <= high <= -8500
    assert low == NO_SAMPLE


def test_generator_level_is_a_parameter():
    high, low = pilot_plateaus(PILOT_PWM, None, gen_mv=11400)
    assert (high, low) == (11400, -11400)
    high, _ = pilot_plateaus(PILOT_PWM, EV_B, gen_mv=11400)
    assert high < cp_volts_mv(12000, EV_B)


def test_results_are_integers():
    for ev in (None, EV_B, EV_C, EV_D, 1, 100000):
        for d in (True, False):
            high, low = pilot_plateaus(PILOT_PWM, ev, diode=d)
            assert isinstance(high, int) and isinstance(low, int)


def test_unknown_pilot_mode_is_rejected():
    try:
        pilot_plateaus(99, EV_B)
    except ValueError:
        return
    assert False, "no ValueError"


def test_proximity_open_reads_the_pull_up_voltage():
    assert pp_volts_mv(None) == 3300


def test_proximity_cable_codes_divide_the_pull_up():
    # 3300 mV * Rc / (1000 + Rc)
    assert pp_volts_mv(1500) == 1980
    assert pp_volts_mv(680) == 1336
    assert pp_volts_mv(220) == 595
    assert pp_volts_mv(100) == 300
    assert pp_volts_mv(0) == 0
