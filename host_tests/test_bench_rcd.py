# Bench residual-current monitor: CCID20 AC curve, 6 mA DC, self-test, release, and its timing forecast.
from tools.bench.plant import DC_TRIP_MS, ResidualMonitor, ac_trip_ms


def _first_high(rm, start_ms, limit_ms):
    for t in range(start_ms, start_ms + limit_ms + 1):
        if rm.signal(t):
            return t
    return None


def test_trip_curve_matches_the_ul943_figures():
    assert ac_trip_ms(19) is None
    assert ac_trip_ms(20) == 1000
    assert 23 <= ac_trip_ms(264) <= 27
    assert ac_trip_ms(40) == 371  # (20 / 40) ** 1.43 s
    assert ac_trip_ms(100000) == 10  # floor


def test_iec30_monitor_keeps_the_iec_61008_break_times_and_ignores_what_is_below_30ma():
    assert ac_trip_ms(29, "iec30") is None
    assert ac_trip_ms(30, "iec30") == 300  # at the rated residual current
    assert ac_trip_ms(59, "iec30") == 300
    assert ac_trip_ms(60, "iec30") == 150  # at 2x
    assert ac_trip_ms(150, "iec30") == 40  # at 5x and above
    assert ac_trip_ms(100000, "iec30") == 40
    rm = ResidualMonitor("iec30")
    rm.set_inputs(1000, residual_ma=30)
    assert _first_high(rm, 1000, 2000) - 1000 == 300
    rm = ResidualMonitor("iec30")
    rm.set_inputs(0, residual_dc_ma=6)  # the 6 mA DC detection (RDC-DD) is the same for both monitors
    assert _first_high(rm, 0, 1000) == DC_TRIP_MS


def test_ac_264ma_trips_in_25ms():
    rm = ResidualMonitor()
    rm.set_inputs(1000, residual_ma=264)
    t = _first_high(rm, 1000, 2000)
    assert 23 <= t - 1000 <= 27


def test_ac_20ma_trips_in_1000ms():
    rm = ResidualMonitor()
    rm.set_inputs(500, residual_ma=20)
    assert _first_high(rm, 500, 5000) - 500 == 1000


def test_ac_below_20ma_never_trips():
    rm = ResidualMonitor()
    rm.set_inputs(0, residual_ma=19)
    assert _first_high(rm, 0, 60000) is None
    assert rm.next_change_ms(60000) is None


def test_dc_6ma_trips_after_100ms_and_5ma_never():
    rm = ResidualMonitor()
    rm.set_inputs(0, residual_dc_ma=5)
    assert _first_high(rm, 0, 5000) is None
    rm.set_inputs(5001, residual_dc_ma=6)
    assert _first_high(rm, 5001, 5000) == 5101


def test_self_test_signals_in_20ms_when_healthy():
    rm = ResidualMonitor()
    rm.set_inputs(100, test_drive=True)
    assert _first_high(rm, 100, 1000) == 120


def test_self_test_never_signals_when_the_sensor_is_dead():
    rm = ResidualMonitor()
    rm.dead = True
    rm.set_inputs(100, test_drive=True)
    assert _first_high(rm, 100, 2000) is None


def test_dead_sensor_ignores_any_residual_current():
    rm = ResidualMonitor()
    rm.set_inputs(0, residual_ma=5000, residual_dc_ma=500, dead=True)
    assert _first_high(rm, 0, 3000) is None


def test_signal_stays_high_while_the_cause_persists():
    rm = ResidualMonitor()
    rm.set_inputs(0, residual_ma=264)
    for t in range(25, 10000, 7):
        assert rm.signal(t)


def test_signal_falls_10ms_after_the_cause_is_removed():
    rm = ResidualMonitor()
    rm.set_inputs(0, residual_ma=264)
    assert rm.signal(200)
    rm.set_inputs(300, residual_ma=0)
    assert rm.signal(309)
    assert not rm.signal(310)


def test_cause_removed_before_its_trip_time_resets_the_timer():
    rm = ResidualMonitor()
    rm.set_inputs(0, residual_ma=20)
    assert not rm.signal(900)
    rm.set_inputs(900, residual_ma=0)
    rm.set_inputs(950, residual_ma=20)
    assert not rm.signal(1949)
    assert rm.signal(1950)


def test_release_waits_for_every_tripped_cause():
    rm = ResidualMonitor()
    rm.set_inputs(0, residual_ma=264, residual_dc_ma=10)
    assert rm.signal(150)
    rm.set_inputs(200, residual_ma=0)
    assert rm.signal(400)  # DC still there
    rm.set_inputs(400, residual_dc_ma=0)
    assert rm.signal(409)
    assert not rm.signal(410)


def test_rising_current_shortens_the_pending_trip():
    rm = ResidualMonitor()
    rm.set_inputs(0, residual_ma=30)  # 560 ms
    rm.set_inputs(10, residual_ma=264)  # 25 ms from the cause's start
    assert not rm.signal(24)
    assert rm.signal(25)


def test_next_change_predicts_trip_and_release_exactly():
    rm = ResidualMonitor()
    assert rm.next_change_ms(0) is None
    rm.set_inputs(1000, residual_ma=264)
    t = rm.next_change_ms(1000)
    assert t == 1000 + ac_trip_ms(264)
    assert not rm.signal(t - 1)
    assert rm.signal(t)
    assert rm.next_change_ms(t) is None
    rm.set_inputs(2000, residual_ma=0)
    t = rm.next_change_ms(2000)
    assert t == 2010
    assert rm.signal(t - 1)
    assert not rm.signal(t)
    assert rm.next_change_ms(t) is None


def test_next_change_reports_a_release_then_a_later_new_trip():
    rm = ResidualMonitor()
    rm.set_inputs(0, residual_ma=2000)  # trips at 10
    rm.set_inputs(50, residual_ma=0)  # release at 60
    rm.set_inputs(51, test_drive=True)  # self-test trips at 71
    assert rm.next_change_ms(51) == 60
    assert not rm.signal(60)
    assert rm.next_change_ms(60) == 71
    assert rm.signal(71)


def test_next_change_skips_a_release_that_a_new_trip_covers():
    rm = ResidualMonitor()
    rm.set_inputs(0, residual_ma=2000)  # trips at 10
    rm.set_inputs(50, residual_ma=0)  # release at 60 ...
    rm.set_inputs(50, residual_ma=2000)  # ... exactly when the new cause trips: no flip
    assert rm.next_change_ms(50) is None
    for t in range(50, 200):
        assert rm.signal(t)
