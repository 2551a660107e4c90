# Core, proximity.py: IEC 62196 cable coding for a Type 2 socket and the J1772 latch (S3) windows
# (docs/standards.md "Proximity pilot"). Plain asserts.
from evse.iodata import PP_OPEN
from evse.proximity import LATCH_ENGAGED, LATCH_INVALID, LATCH_PRESSED, j1772_latch, type2_cable_ma


def test_every_nominal_rc_codes_its_ampacity():
    """IEC 62196 / 61851-1 Table B.2: 1.5 kohm 13 A, 680 ohm 20 A, 220 ohm 32 A, 100 ohm 63 A."""
    assert type2_cable_ma(1500) == 13000
    assert type2_cable_ma(680) == 20000
    assert type2_cable_ma(220) == 32000
    assert type2_cable_ma(100) == 63000


def test_the_whole_of_each_tolerance_range_codes_its_ampacity():
    """docs/standards.md: 1100-2460 -> 13 A, 400-936 -> 20 A, 164-308 -> 32 A, 80-140 -> 63 A."""
    for lo, hi, ma in ((1100, 2460, 13000), (400, 936, 20000), (164, 308, 32000), (80, 140, 63000)):
        for ohm in range(lo, hi + 1):
            assert type2_cable_ma(ohm) == ma, (ohm, ma)


def test_between_two_ranges_the_lower_ampacity_is_taken():
    """docs/standards.md: a reading between two nominal ranges -> the lower ampacity."""
    for ohm in range(937, 1100):
        assert type2_cable_ma(ohm) == 13000, ohm
    for ohm in range(309, 400):
        assert type2_cable_ma(ohm) == 20000, ohm
    for ohm in range(141, 164):
        assert type2_cable_ma(ohm) == 32000, ohm
    # above the 1.5 kohm range up to 4.5 kohm there is nothing lower than 13 A
    for ohm in (2461, 3000, 4500):
        assert type2_cable_ma(ohm) == 13000, ohm


def test_open_below_60_ohm_or_above_4_5_kohm_is_no_cable():
    """docs/standards.md: below 60 ohm or above 4.5 kohm, or open, on a socket outlet -> no cable."""
    for ohm in (PP_OPEN, 0, 1, 30, 59, 4501, 5000, 100000):
        assert type2_cable_ma(ohm) == 0, ohm


def test_below_the_63a_range_is_no_cable_not_the_highest_ampacity():
    """protocol.md (tag I): 60-79 ohm lies between 'no cable' and 63 A: the safe side, no cable."""
    for ohm in (60, 70, 79):
        assert type2_cable_ma(ohm) == 0, ohm
    assert type2_cable_ma(80) == 63000


def test_no_reading_codes_more_than_63a():
    """docs/standards.md: 100 ohm codes 63 A three-phase / 70 A single-phase: the lower, 63 A, for both."""
    for ohm in range(0, 5000):
        assert type2_cable_ma(ohm) <= 63000, ohm


def test_a_higher_resistance_never_codes_a_higher_ampacity():
    """IEC 62196 coding is monotonic: more ohms, a thinner cable (until 'no cable')."""
    prev = 63000
    for ohm in range(80, 4502):
        ma = type2_cable_ma(ohm)
        assert ma <= prev, (ohm, ma, prev)
        prev = ma


def test_j1772_latch_engaged_150_ohm_pressed_480_ohm():
    """docs/standards.md: S3 closed -> 150 ohm PP-PE; button pressed -> +330 ohm = 480 ohm."""
    assert j1772_latch(150) == LATCH_ENGAGED
    assert j1772_latch(480) == LATCH_PRESSED


def test_j1772_latch_windows_are_disjoint_and_everything_else_is_invalid():
    """protocol.md (windows tag I): 100-300 ohm engaged, 330-800 ohm pressed, anything else invalid."""
    for ohm in (100, 101, 150, 299, 300):
        assert j1772_latch(ohm) == LATCH_ENGAGED, ohm
    for ohm in (330, 331, 480, 799, 800):
        assert j1772_latch(ohm) == LATCH_PRESSED, ohm
    for ohm in (PP_OPEN, 0, 50, 99, 301, 315, 329, 801, 1500, 100000):
        assert j1772_latch(ohm) == LATCH_INVALID, ohm


def test_the_bench_front_end_reads_each_coding_resistor_into_its_range():
    """The board's PP divider and 12-bit ADC resolve every nominal Rc and the latch into the right class."""
    from tools.bench.afe import counts_to_pp_ohm, pp_mv_to_c12, U16_SHIFT
    from tools.bench.circuit import pp_volts_mv

    def read(ohm):
        return counts_to_pp_ohm(pp_mv_to_c12(pp_volts_mv(ohm)) << U16_SHIFT)

    assert read(None) == PP_OPEN
    for ohm, ma in ((1500, 13000), (680, 20000), (220, 32000), (100, 63000)):
        assert type2_cable_ma(read(ohm)) == ma, (ohm, read(ohm))
    assert j1772_latch(read(150)) == LATCH_ENGAGED
    assert j1772_latch(read(480)) == LATCH_PRESSED
