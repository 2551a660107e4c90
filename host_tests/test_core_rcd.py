# Core, rcd.py and its use by the charger: the residual-current self-test phases and the UL 2231-2
# reclosure policy (docs/standards.md "Residual current"). Plain asserts.
from evse import faults as F
from evse.rcd import (
    DRIVE, FAILED, IDLE, MAX_RECLOSURES, PASSED, RECLOSE_DELAY_MS, RELEASE, SELFTEST_DRIVE_MAX_MS,
    SELFTEST_RELEASE_MAX_MS, SELFTEST_SETTLE_MAX_MS, SETTLE, Rcd,
)
from host_tests.core_rig import MAX_RECLOSURES as STD_RECLOSURES, RECLOSE_MS, Rig, charging_events


def _healthy_pass(r, t):
    """Run one self-test on a healthy monitor from t (10 ms ticks); return the time it passed."""
    r.start_selftest(t)
    assert r.testing() and r.phase == SETTLE
    assert r.tick(t, False) is True  # quiet line: drive the test winding
    assert r.phase == DRIVE
    assert r.tick(t + 10, False) is True
    assert r.tick(t + 20, True) is False  # the monitor answered: stop driving
    assert r.phase == RELEASE
    assert r.tick(t + 30, False) is False
    assert r.phase == PASSED and r.passed() and not r.testing()
    return t + 30


def test_selftest_phases_quiet_drive_signal_release_pass():
    """UL 2231-2 / docs/standards.md: inject a test current, the detector must trip, then release: pass."""
    r = Rcd()
    assert r.phase == IDLE and not r.testing()
    _healthy_pass(r, 1000)
    assert r.selftest_count == 1


def test_selftest_fails_when_the_monitor_never_answers_the_drive():
    """docs/standards.md: test current for up to ~1 s; the detector must trip, failure = hard fault."""
    r = Rcd()
    r.start_selftest(0)
    t = 0
    while t < SELFTEST_DRIVE_MAX_MS:
        r.tick(t, False)
        assert r.phase == DRIVE, t
        t += 10
    assert r.tick(t, False) is False
    assert r.phase == FAILED and not r.testing() and not r.passed()
    assert SELFTEST_DRIVE_MAX_MS <= 1000


def test_selftest_fails_when_the_line_is_busy_before_the_test():
    """rcd.py (tag I): the line must be quiet before the test starts (<= 500 ms), else it fails."""
    r = Rcd()
    r.start_selftest(0)
    t = 0
    while t < SELFTEST_SETTLE_MAX_MS:
        assert r.tick(t, True) is False  # never drives into a line that is already signalling
        assert r.phase == SETTLE
        t += 10
    r.tick(t, True)
    assert r.phase == FAILED


def test_selftest_fails_when_the_monitor_does_not_release():
    """rcd.py (tag I): the line must drop within 500 ms of the drive stopping, else it fails."""
    r = Rcd()
    r.start_selftest(0)
    r.tick(0, False)
    r.tick(10, True)
    assert r.phase == RELEASE
    t = 20
    while t < 10 + SELFTEST_RELEASE_MAX_MS:
        r.tick(t, True)
        assert r.phase == RELEASE, t
        t += 10
    r.tick(t, True)
    assert r.phase == FAILED


def test_a_failed_selftest_is_not_cleared_by_cancel_or_a_trip_only_by_reset():
    """docs/standards.md: self-test failure = hard fault, no retry (until a service reset)."""
    r = Rcd()
    r.start_selftest(0)
    r.tick(0, True)
    r.tick(SELFTEST_SETTLE_MAX_MS, True)
    assert r.phase == FAILED
    r.cancel()
    assert r.phase == FAILED
    r.trip(600)
    assert r.phase == FAILED
    r.reset()
    assert r.phase == IDLE


def test_a_pass_is_dropped_by_cancel():
    """A pass serves one close only: cancel() drops it."""
    r = Rcd()
    _healthy_pass(r, 0)
    r.cancel()
    assert r.phase == IDLE and not r.passed()


def test_reclose_waits_15_minutes_after_a_trip():
    """UL 2231-2 (N): automatic reclosure no sooner than 15 min after a trip."""
    assert RECLOSE_DELAY_MS == RECLOSE_MS
    r = Rcd()
    assert r.trip(1000) is False
    assert not r.reclose_due(1000 + RECLOSE_MS - 1)
    assert r.reclose_due(1000 + RECLOSE_MS)


def test_the_fifth_trip_latches_after_four_reclosures():
    """UL 2231-2 (N): at most 4 reclosures, then latch until reset."""
    assert MAX_RECLOSURES == STD_RECLOSURES
    r = Rcd()
    t = 0
    for i in range(STD_RECLOSURES):
        assert r.trip(t) is False, i
        t += RECLOSE_MS
        assert r.reclose_due(t)
        r.tripped = False  # the charger recloses
    assert r.trip(t) is True
    r.reset()
    assert r.trips == 0 and not r.tripped


# -- the policy as the charger applies it, on the bench --------------------------------------------


def _trip_events(n, first=10000, leak_ms=20000, gap=RECLOSE_MS + 60000):
    """n residual-current episodes of 30 mA, each starting `gap` after the previous."""
    ev = []
    t = first
    for _ in range(n):
        ev.append({"t_ms": t, "residual_ma": 30})
        ev.append({"t_ms": t + leak_ms, "residual_ma": 0})
        t += gap
    return ev, t


def test_charger_recloses_15_minutes_after_a_trip_and_charges_again():
    """UL 2231-2 (N): after a residual-current trip the charger recloses no sooner than 15 min."""
    ev, end = _trip_events(1)
    rig = Rig(charging_events(ev), duration_ms=end).finish()
    trip = rig.fault_at("gfci_trip")
    assert trip is not None and rig.relay_open_at(10000) == trip
    cleared = rig.first("fault_cleared", code="gfci_trip")
    assert cleared is not None and RECLOSE_MS <= cleared - trip <= RECLOSE_MS + 10, (trip, cleared)
    assert rig.relay_close_at(trip) is not None and rig.relay_close_at(trip) >= cleared
    assert rig.ch.rcd.trips == 1


def test_charger_latches_the_fifth_trip_after_four_reclosures_until_reset():
    """UL 2231-2 (N): at most 4 reclosures, then latched until a service reset."""
    ev, end = _trip_events(5)
    reset_at = end + RECLOSE_MS * 2  # long after a reclosure would have come
    ev.append({"t_ms": reset_at + 10, "temp_c": 25})  # an input just after the reset: the bench ticks
    rig = Rig(charging_events(ev), duration_ms=reset_at + 5000)
    rig.advance(reset_at)
    faults = rig.find("fault", code="gfci_trip")
    assert len(faults) == 5, faults
    assert [f["latched"] for f in faults] == [False, False, False, False, True]
    assert len(rig.find("fault_cleared", code="gfci_trip")) == 4
    assert rig.ch.latched & (1 << F.GFCI_TRIP)
    assert not rig.io.relay and rig.f_period(faults[4]["t_ms"])[1] is None  # -12 V until reset
    rig.ch.reset_faults()
    rig.finish()
    assert not rig.ch.faults
    assert rig.io.relay, "a service reset lets the vehicle charge again"


def test_a_clean_end_of_session_restarts_the_reclosure_count():
    """protocol.md (tag I): the count restarts when a session ends with no trip pending (unplug)."""
    ev, end = _trip_events(1)
    ev.append({"t_ms": end, "ev": "A"})
    rig = Rig(charging_events(ev), duration_ms=end + 1000).finish()
    assert rig.ch.rcd.trips == 0


def test_a_service_reset_during_the_15_minute_wait_still_recloses():
    """UL 2231-2: a non-latched trip recloses after its 15 min; a service reset (which clears only
    latched faults) must not leave it waiting for ever."""
    ev, end = _trip_events(1)
    rig = Rig(charging_events(ev), duration_ms=end)
    rig.advance(60000)
    trip = rig.fault_at("gfci_trip")
    assert trip is not None and rig.ch.faults & (1 << F.GFCI_TRIP)
    rig.ch.reset_faults()
    rig.advance(end)
    cleared = rig.first("fault_cleared", code="gfci_trip")
    assert cleared is not None, "the trip never cleared after the reset"
    assert cleared - trip >= RECLOSE_MS, (trip, cleared)
    assert rig.io.relay


def test_a_6ma_dc_trip_opens_the_contactor_at_the_monitors_signal():
    """IEC 62955 RDC-DD: >= 6 mA smooth DC removes supply; the trip line (an IRQ) opens the contactor
    command at that very ms (limit 5 ms), and the next tick records the gfci_trip fault."""
    from tools.bench.plant import DC_TRIP_MS

    rig = Rig(charging_events([{"t_ms": 5003, "residual_dc_ma": 6}]), duration_ms=8000).finish()
    assert rig.relay_close_at(0) < 5003
    signal = 5003 + DC_TRIP_MS  # the bench monitor's DC delay
    opened = rig.relay_open_at(5003)
    assert opened is not None and 0 <= opened - signal <= 5, (signal, opened)
    trip = rig.fault_at("gfci_trip")
    assert trip is not None and opened <= trip <= opened + 10, (opened, trip)


def test_a_pass_is_not_reused_for_a_close_seconds_later_after_the_monitor_died():
    """docs/standards.md: self-test before every contactor close. A pass obtained while PE was lost (the
    close could not happen) must not serve a close 2 s later, when the monitor has died meanwhile."""
    ev = charging_events()[:1] + [{"t_ms": 2000, "ev": "C"}, {"t_ms": 2025, "ground": False},
                                  {"t_ms": 2100, "gfci_sensor_dead": True}, {"t_ms": 2200, "ground": True}]
    rig = Rig(ev, duration_ms=10000).finish()
    assert rig.first("selftest") is not None and rig.first("selftest") < 2200  # passed during the fault
    assert rig.relay_close_at(0) is None, "closed on a stale self-test with a dead monitor"
    assert rig.fault_at("gfci_selftest") is not None


def test_every_close_follows_its_own_selftest_pass():
    """docs/standards.md: self-test before every close; a pass serves one close only."""
    ev = [{"t_ms": 1000, "ev": "B"}]
    t = 2000
    for _ in range(5):
        ev.append({"t_ms": t, "ev": "C"})
        ev.append({"t_ms": t + 1000, "ev": "B"})
        t += 2000
    rig = Rig(ev, duration_ms=t + 1000).finish()
    closes = rig.find("relay", closed=True)
    passes = rig.find("selftest")
    assert len(closes) == 5 and len(passes) == 5, (closes, passes)
    for c, p in zip(closes, passes):
        assert p["t_ms"] <= c["t_ms"]
    assert rig.ch.closes == 5 and rig.ch.rcd.selftest_count == 5
