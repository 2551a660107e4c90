# Core, duty.py: duty <-> current both ways at and around every breakpoint (IEC 61851-1 Table A.7/A.8,
# docs/standards.md "Duty cycle <-> current"). Duty in tenths of a percent, current in mA. Plain asserts.
from evse.duty import (
    DIGITAL, DUTY_DIGITAL, DUTY_ERROR, MAX_MA, MIN_MA, NO_CHARGE, duty_for_ma,
    fmt_tenths, ma_for_duty,
)

_LOW_STEP = 60  # 0.1 % is 60 mA in the 6-51 A range (duty = I / 0.6)
_HIGH_STEP = 250  # 0.1 % is 250 mA in the 51-80 A range (duty = I / 2.5 + 64)


def test_evse_duty_at_the_quoted_points():
    """Table A.7: 6 A -> 10 %, 16 A -> 26.7 %, 32 A -> 53.3 %, 51 A -> 85 %, 63 A -> 89.2 %, 80 A -> 96 %."""
    assert duty_for_ma(6000) == 100
    assert duty_for_ma(16000) == 267
    assert duty_for_ma(32000) == 533
    assert duty_for_ma(51000) == 850
    assert duty_for_ma(63000) == 892
    assert duty_for_ma(80000) == 960


def test_evse_duty_follows_i_over_0_6_up_to_51a_and_i_over_2_5_plus_64_above():
    """Table A.7: 6 <= I <= 51 A: duty = I / 0.6; 51 < I <= 80 A: duty = I / 2.5 + 64 (nearest 0.1 %)."""
    ma = MIN_MA
    while ma <= MAX_MA:
        d = duty_for_ma(ma)
        if ma <= 51000:
            assert abs(d * _LOW_STEP - ma) * 2 <= _LOW_STEP, (ma, d)
        else:
            assert abs((d - 640) * _HIGH_STEP - ma) * 2 <= _HIGH_STEP, (ma, d)
        ma += 100


def test_evse_duty_around_the_51a_breakpoint():
    """Table A.7: the formula changes above 51 A (51 A -> 85.0 %, 52 A -> 84.8 %, 52.5 A -> 85.0 %)."""
    assert duty_for_ma(50999) == 850
    assert duty_for_ma(51000) == 850
    assert duty_for_ma(52000) == 848
    assert duty_for_ma(52500) == 850
    assert duty_for_ma(53000) == 852


def test_currents_below_6a_or_above_80a_are_refused():
    """docs/standards.md: I < 6 A cannot be offered (steady +12 V instead); 80 A is the AC maximum."""
    for ma in (-1, 0, 1000, 5000, 5999):
        assert duty_for_ma(ma) == -1, ma
    for ma in (80001, 81000, 100000):
        assert duty_for_ma(ma) == -1, ma
    assert duty_for_ma(6000) == 100 and duty_for_ma(80000) == 960


def test_the_vehicle_never_reads_more_than_offered_plus_half_a_duty_step():
    """Table A.7/A.8 round trip: what the EV reads from our duty is the offered current within the
    0.1 % duty resolution (never above it by more than half a step); up to 52.6 A (duty <= 85 %) the EV
    reads the lower x0.6 figure (85 % is the boundary of the two vehicle formulas)."""
    ma = MIN_MA
    while ma <= MAX_MA:
        read = ma_for_duty(duty_for_ma(ma))
        step = _LOW_STEP if ma <= 51000 else _HIGH_STEP
        assert read > 0, ma
        assert (read - ma) * 2 <= step, (ma, read)
        if ma <= 51000 or duty_for_ma(ma) > 850:
            assert (ma - read) * 2 <= step, (ma, read)
        ma += 50


def test_vehicle_side_below_3_percent_and_above_97_percent_is_no_charge():
    """Table A.8: < 3 % no charge; > 97 % no charge."""
    for d in (0, 10, 29):
        assert ma_for_duty(d) == NO_CHARGE, d
    for d in (971, 980, 1000):
        assert ma_for_duty(d) == NO_CHARGE, d


def test_vehicle_side_3_to_7_percent_digital_and_5_percent_is_digital():
    """Table A.8: 3-7 % digital communication; 5 % = ISO 15118 / DIN 70121 required."""
    assert DUTY_DIGITAL == 50
    for d in (30, 31, 50, 69, 70):
        assert ma_for_duty(d) == DIGITAL, d


def test_vehicle_side_7_to_8_percent_is_an_error():
    """Table A.8: 7-8 % is an error (nothing else below 8 % but 5 %)."""
    for d in (71, 75, 79):
        assert ma_for_duty(d) == DUTY_ERROR, d


def test_vehicle_side_8_to_10_percent_reads_6a():
    """Table A.8: 8-10 % -> 6 A."""
    for d in (80, 81, 90, 99, 100):
        assert ma_for_duty(d) == 6000, d


def test_vehicle_side_10_to_85_percent_is_duty_times_0_6():
    """Table A.8: 10-85 % -> duty x 0.6 A."""
    assert ma_for_duty(101) == 6060
    assert ma_for_duty(267) == 16020
    assert ma_for_duty(500) == 30000
    assert ma_for_duty(849) == 50940
    assert ma_for_duty(850) == 51000


def test_vehicle_side_85_to_96_percent_is_duty_minus_64_times_2_5():
    """Table A.8: 85-96 % -> (duty - 64) x 2.5 A; 96 % -> 80 A."""
    assert ma_for_duty(851) == 52750
    assert ma_for_duty(892) == 63000
    assert ma_for_duty(900) == 65000
    assert ma_for_duty(959) == 79750
    assert ma_for_duty(960) == 80000


def test_vehicle_side_96_to_97_percent_reads_80a():
    """Table A.8: 96-97 % -> 80 A."""
    for d in (960, 961, 965, 970):
        assert ma_for_duty(d) == 80000, d


def test_the_vehicle_side_is_monotonic_inside_each_range():
    """Table A.8: within 8..97 % a higher duty never reads a lower current (except the 85 % seam)."""
    prev = 0
    for d in range(80, 971):
        ma = ma_for_duty(d)
        assert ma >= prev or d == 851, (d, ma, prev)
        prev = ma


def test_fmt_tenths_prints_fixed_point_without_floats():
    """Trace text is the same on both interpreters: 267 -> '26.7', 5 -> '0.5', -15 -> '-1.5'."""
    assert fmt_tenths(267) == "26.7"
    assert fmt_tenths(960) == "96.0"
    assert fmt_tenths(5) == "0.5"
    assert fmt_tenths(-15) == "-1.5"
