# Bench analog front end: pilot/proximity voltages to read_u16() counts, and the board's inverse.
from evse.iodata import PP_OPEN
from tools.bench.afe import (
    AFE,
    ADC_MAX,
    CP_SPAN_MV,
    counts_to_cp_mv,
    counts_to_pp_ohm,
)
from tools.bench.circuit import pp_volts_mv
from tools.bench.prng import Prng

STEP_MV = (CP_SPAN_MV + ADC_MAX - 1) // ADC_MAX  # one 12-bit quantisation step, rounded up (8 mV)


def test_pilot_range_maps_onto_the_adc_range():
    afe = AFE(None)
    assert afe.cp_counts(-15000) == 0
    assert afe.cp_counts(15000) == 65520
    assert abs(afe.cp_counts(0) - 32768) <= 16


def test_counts_are_read_u16_values_of_a_12_bit_adc():
    afe = AFE(Prng(3), noise_counts=5)
    for mv in range(-16000, 16001, 250):
        c = afe.cp_counts(mv)
        assert c % 16 == 0
        assert 0 <= c <= 65520


def test_pilot_round_trip_within_two_steps_without_noise():
    afe = AFE(None)
    for mv in range(-15000, 15001, 37):
        assert abs(counts_to_cp_mv(afe.cp_counts(mv)) - mv) <= 2 * STEP_MV


def test_pilot_round_trip_within_two_steps_plus_noise():
    noise = 3
    afe = AFE(Prng(99), noise_counts=noise)
    for mv in range(-14000, 14001, 37):
        assert abs(counts_to_cp_mv(afe.cp_counts(mv)) - mv) <= (2 + noise) * STEP_MV


def test_pilot_plateau_levels_read_back_close_to_the_node():
    afe = AFE(Prng(1))
    for mv in (12000, 8979, 5996, 2931, 0, -12000):
        assert abs(afe.counts_to_cp_mv(afe.cp_counts(mv)) - mv) <= 4 * STEP_MV


def test_pilot_beyond_15v_clamps_at_full_scale():
    afe = AFE(Prng(5), noise_counts=4)
    assert afe.cp_counts(20000) == 65520
    assert afe.cp_counts(-20000) == 0


def test_noise_is_deterministic_for_a_seed():
    a = AFE(Prng(42), noise_counts=3)
    b = AFE(Prng(42), noise_counts=3)
    for mv in range(-12000, 12001, 1000):
        assert a.cp_counts(mv) == b.cp_counts(mv)
        assert a.pp_counts(mv // 8) == b.pp_counts(mv // 8)


def test_noise_actually_moves_the_counts():
    afe = AFE(Prng(42), noise_counts=3)
    assert len(set(afe.cp_counts(9000) for _ in range(50))) > 1


def test_proximity_round_trip_resolves_the_cable_codes():
    afe = AFE(Prng(8))
    for ohm in (100, 150, 220, 480, 680, 1500):
        for _ in range(20):
            got = counts_to_pp_ohm(afe.pp_counts(pp_volts_mv(ohm)))
            assert abs(got - ohm) * 100 <= 2 * ohm, (ohm, got)


def test_proximity_open_reads_pp_open():
    afe = AFE(Prng(8), noise_counts=4)
    for _ in range(20):
        assert afe.counts_to_pp_ohm(afe.pp_counts(pp_volts_mv(None))) == PP_OPEN
    assert counts_to_pp_ohm(afe.pp_counts(pp_volts_mv(40000))) == PP_OPEN


def test_proximity_short_reads_zero_ohm():
    assert counts_to_pp_ohm(AFE(None).pp_counts(pp_volts_mv(0))) == 0


def test_proximity_open_threshold_is_97_percent_of_full_scale():
    open_c12 = (97 * 4095 + 99) // 100
    assert counts_to_pp_ohm(open_c12 << 4) == PP_OPEN
    below = counts_to_pp_ohm((open_c12 - 1) << 4)
    assert below != PP_OPEN
    assert 30000 <= below <= 34000  # 1 kohm * 0.97 / 0.03
