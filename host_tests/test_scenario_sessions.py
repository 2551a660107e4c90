# Scenario tests for whole sessions: scenario files run in-process, their JSON-lines traces checked against
# docs/standards.md (IEC 61851-1 Table A.6 timing, UL 2231-2 reclosure, the J1772 latch, the Type 2 lock,
# ventilation, temperature derating, PWM withdrawal). Plain asserts.
from evse.charger import TICK_MS
from evse.duty import CHANGE_INTERVAL_MS
from host_tests.core_rig import (
    CLOSE_LIMIT_MS, DETECT_LIMIT_MS, F_MIN_MS, OPEN_LIMIT_MS, RCD_LIMIT_MS, RECLOSE_MS, UNLOCK_LIMIT_MS,
    FileRun, repo_path,
)
from tools.bench.plant import LOCK_TRAVEL_MS, ac_trip_ms


def _run(name):
    return FileRun(repo_path("scenarios/" + name + ".json")).finish()


def _state_at(r, t):
    """The session state after everything at t_ms <= t."""
    st = None
    for row in r.rows():
        if row["t_ms"] > t:
            break
        if row["event"] == "state":
            st = row["state"]
    return st


def _pilot_at(r, t):
    p = None
    for row in r.rows():
        if row["t_ms"] > t:
            break
        if row["event"] == "pilot":
            p = row
    return p


def _relay_closed_at(r, t):
    closed = False
    for row in r.rows():
        if row["t_ms"] > t:
            break
        if row["event"] == "relay":
            closed = row["closed"]
    return closed


# -- the plain session ------------------------------------------------------------------------------


def test_plain_session_pwm_in_b_close_within_3s_of_c_open_within_100ms_of_b_12v_in_a():
    """IEC 61851-1 Table A.6: B -> PWM (B2); B2->C2 close within 3 s, after the self-test; C->B open
    within 100 ms; A -> steady +12 V."""
    r = _run("plain_session")
    plug = r.input_at("ev", "B")
    pwm = r.first("pilot", plug, mode="pwm")
    assert pwm is not None and pwm - plug <= DETECT_LIMIT_MS
    assert r.find("pilot", plug, mode="pwm")[0]["duty_pct"] == 53.3  # max_current_a 32 -> 32 / 0.6 %
    assert _state_at(r, pwm) == "B2"
    ask = r.input_at("ev", "C")
    closed = r.relay_close_at(ask)
    assert closed is not None and closed - ask <= CLOSE_LIMIT_MS
    test = r.first("selftest", ask)
    assert test is not None and test <= closed
    assert _state_at(r, closed) == "C2"
    stop = r.input_at("ev", "B", ask)
    opened = r.relay_open_at(stop)
    assert opened is not None and opened - stop <= OPEN_LIMIT_MS
    assert _relay_closed_at(r, stop - 1)  # it was charging until then
    unplug = r.input_at("ev", "A")
    p12 = r.first("pilot", unplug, mode="+12V")
    assert p12 is not None and p12 - unplug <= DETECT_LIMIT_MS
    assert _state_at(r, p12) == "A"
    assert not r.find("fault")


# -- 30 minutes with a residual-current trip and its reclosure ----------------------------------------


def test_gfci_reclose_trip_opens_at_the_signal_recloses_after_15_minutes_and_charges():
    """UL 2231-2: the monitor's signal opens the contactor (<= 5 ms); F >= 300 ms then +12 V; no
    reclosure before 15 min; then PWM, a fresh self-test and a close within 3 s; the session ends
    normally (C->B open within 100 ms, +12 V in A)."""
    r = _run("gfci_reclose")
    leak = r.input_at("residual_ma", 30)
    signal = leak + ac_trip_ms(30)
    opened = r.relay_open_at(leak)
    assert 0 <= opened - signal <= RCD_LIMIT_MS, (signal, opened)
    trip = r.fault_at("gfci_trip")
    fp = r.f_period(trip)
    assert fp[0] == trip and fp[1] - fp[0] >= F_MIN_MS and fp[2] == "+12V", fp
    cleared = r.first("fault_cleared", code="gfci_trip")
    assert RECLOSE_MS <= cleared - trip <= RECLOSE_MS + TICK_MS, (trip, cleared)
    assert r.relay_close_at(opened) is not None and r.relay_close_at(opened) >= cleared
    again = r.relay_close_at(cleared)
    assert r.first("selftest", cleared) <= again and again - cleared <= CLOSE_LIMIT_MS
    assert r.first("pilot", cleared, mode="pwm") == cleared
    stop = r.input_at("ev", "B", cleared)
    assert r.relay_open_at(stop) - stop <= OPEN_LIMIT_MS
    unplug = r.input_at("ev", "A", stop)
    assert r.first("pilot", unplug, mode="+12V") - unplug <= DETECT_LIMIT_MS
    assert r.sc.duration_ms >= 30 * 60 * 1000


def test_an_iec30_monitor_signals_a_30ma_leak_in_300ms_where_the_ccid20_takes_560ms():
    """docs/scenarios.md "monitor": the same 30 mA leak trips the UL 943 curve of the CCID20 after
    (20/30)**1.43 s = 560 ms, and an IEC 61008-1 general-type 30 mA RCD within 300 ms."""
    assert ac_trip_ms(30) == 560 and ac_trip_ms(30, "ccid20") == 560
    r = _run("gfci_iec30")
    assert r.sc.monitor == "iec30" and r.bench.rcm.monitor == "iec30"
    leak = r.input_at("residual_ma", 30)
    assert r.relay_close_at(0) < leak
    opened = r.relay_open_at(leak)
    assert 0 <= opened - (leak + 300) <= RCD_LIMIT_MS, (leak, opened)
    assert r.fault_at("gfci_trip") - leak <= 300 + RCD_LIMIT_MS


# -- J1772 latch button -----------------------------------------------------------------------------


def test_latch_button_opens_the_contactor_at_once_before_the_plug_moves():
    """docs/standards.md Proximity (S3): an EVSE that senses PP stops the current the moment the button is
    pressed, before the plug moves: the contactor opens on the next tick and the PWM is withdrawn."""
    r = _run("j1772_latch_button")
    for press in (r.input_at("pp_ohm", 480), r.input_at("pp_ohm", 480, 8000)):
        assert _relay_closed_at(r, press - 1)
        opened = r.relay_open_at(press)
        assert opened is not None and opened - press <= TICK_MS, (press, opened)
        assert r.first("latch", press, pressed=True) == opened
        assert r.first("pilot", press, mode="+12V") == opened
    assert not r.find("fault"), "pressing the button is not a fault"


def test_latch_released_lets_the_vehicle_charge_again_after_a_new_selftest():
    """J1772: the button released (150 ohm) with the plug still in: PWM again, self-test, close in 3 s."""
    r = _run("j1772_latch_button")
    release = r.input_at("pp_ohm", 150)
    assert r.first("latch", release, pressed=False) - release <= TICK_MS
    closed = r.relay_close_at(release)
    assert closed is not None and closed - release <= CLOSE_LIMIT_MS
    assert release <= r.first("selftest", release) <= closed


# -- Type 2 socket lock -----------------------------------------------------------------------------


def test_type2_lock_is_confirmed_before_the_contactor_closes():
    """docs/standards.md: Type 2 socket lock: lock and confirm before closing (the bench lock travels 300 ms)."""
    r = _run("type2_lock")
    plug = r.input_at("ev", "B")
    lock = r.first("lock", plug, locked=True)
    assert lock is not None and lock - plug <= DETECT_LIMIT_MS
    ask = r.input_at("ev", "C")
    assert ask < lock + LOCK_TRAVEL_MS  # the vehicle asked before the lock confirmed ...
    closed = r.relay_close_at(0)
    assert closed >= lock + LOCK_TRAVEL_MS, (lock, closed)  # ... and the contactor waited for it
    assert closed - ask <= CLOSE_LIMIT_MS


def test_type2_offers_the_cable_rating_when_it_is_below_the_installation_limit():
    """docs/standards.md Proximity: current limit = min(EVSE limit, cable limit): a 680 ohm (20 A) cable
    on a 32 A installation -> 20 A = 33.3 %."""
    r = _run("type2_lock")
    pwm = r.find("pilot", mode="pwm")[0]
    assert pwm["amps"] == 20 and pwm["duty_pct"] == 33.3


def test_type2_unlocks_within_5s_of_unplug_and_never_while_energised():
    """docs/standards.md Timing: unplug -> A: unlock a Type 2 socket lock within 5 s (the command comes
    early enough for the 300 ms travel); the lock is never released while the contactor is closed."""
    r = _run("type2_lock")
    unplug = r.input_at("ev", "A")
    unlocked = r.first("lock", unplug, locked=False)
    assert unlocked is not None and unlocked + LOCK_TRAVEL_MS - unplug <= UNLOCK_LIMIT_MS
    for row in r.find("lock", locked=False):
        assert not _relay_closed_at(r, row["t_ms"]), row


# -- ventilation ------------------------------------------------------------------------------------


def test_d_is_refused_by_default():
    """docs/standards.md: D = EV needs ventilation; refused unless the site allows it (vent_required), never
    energised in D; the vehicle can still charge in C afterwards."""
    r = _run("ventilation_refused")
    d = r.input_at("ev", "D")
    assert r.fault_at("vent_required") - d <= DETECT_LIMIT_MS
    c = r.input_at("ev", "C")
    assert r.relay_close_at(0) is not None and r.relay_close_at(0) > c
    for row in r.find("relay", closed=True):
        assert _state_at(r, row["t_ms"]) == "C2"


def test_d_charges_when_ventilation_is_allowed():
    """docs/standards.md / settings ventilation: with ventilation the EVSE charges in D (D2), no fault, and
    D->B still opens within 100 ms (Table A.6)."""
    r = _run("ventilation_allowed")
    d = r.input_at("ev", "D")
    closed = r.relay_close_at(d)
    assert closed is not None and closed - d <= CLOSE_LIMIT_MS and _state_at(r, closed) == "D2"
    assert not r.find("fault")
    stop = r.input_at("ev", "B", d)
    assert r.relay_open_at(stop) - stop <= OPEN_LIMIT_MS


# -- over-temperature derating ----------------------------------------------------------------------


def test_over_temperature_halves_the_current_at_once_raises_it_after_5s_then_stops():
    """Settings temp_derate_c halves the current (restored 5 C below), temp_stop_c stops charging
    (over_temperature). A reduction applies on the next tick (no limit may be exceeded; the EV has 5 s to
    follow); a rise waits until 5 s after the last change (docs/standards.md: at most one change per 5 s)."""
    r = _run("over_temperature_derate")
    pwm = [row for row in r.find("pilot") if row["mode"] == "pwm"]
    assert [row["amps"] for row in pwm] == [32, 16, 32, 16], pwm
    hot = r.input_at("temp_c", 66)
    assert 0 <= pwm[1]["t_ms"] - hot < TICK_MS, (hot, pwm[1])  # the fall: at once
    due = max(r.input_at("temp_c", 59), pwm[1]["t_ms"] + CHANGE_INTERVAL_MS)
    assert 0 <= pwm[2]["t_ms"] - due < TICK_MS, (due, pwm[2])  # the rise: as soon as the 5 s rule allows
    hot2 = r.input_at("temp_c", 66, after=pwm[2]["t_ms"])
    assert 0 <= pwm[3]["t_ms"] - hot2 < TICK_MS, (hot2, pwm[3])
    stop = r.input_at("temp_c", 80)
    assert r.relay_open_at(stop) - stop <= TICK_MS
    assert r.fault_at("over_temperature") is not None
    assert r.relay_close_at(pwm[0]["t_ms"]) is not None  # it charged meanwhile
    assert len(r.find("relay", closed=False)) == 2  # boot, and the stop: derating never opened it


# -- sleep / withdrawal -----------------------------------------------------------------------------


def test_sleep_withdraws_the_pwm_and_an_ev_going_to_b_is_opened_within_100ms():
    """Table A.6: the EVSE withdraws the PWM (x1); the EV answers with B: open within 100 ms, no fault;
    'enable' offers again and the vehicle charges within 3 s of asking."""
    r = _run("sleep_ev_obeys")
    sleep = r.input_at("console", "sleep")
    assert r.first("pilot", sleep, mode="+12V") - sleep <= TICK_MS
    assert _relay_closed_at(r, sleep + TICK_MS)  # the EV gets its time to stop
    b = r.input_at("ev", "B", sleep)
    assert r.relay_open_at(sleep) - b <= OPEN_LIMIT_MS
    assert not r.find("fault")
    c = r.input_at("ev", "C", b)
    assert r.relay_close_at(c) - c <= CLOSE_LIMIT_MS


def test_sleep_with_an_ev_that_ignores_it_opens_at_6s():
    """docs/standards.md Timing: PWM withdrawn, the EV stays in C: open under load at 6 s."""
    from host_tests.core_rig import WITHDRAW_MS

    r = FileRun(repo_path("scenarios/faults/ev_not_responding.json")).finish()
    withdrawn = r.first("pilot", r.input_at("console", "sleep"), mode="+12V")
    opened = r.relay_open_at(withdrawn)
    assert WITHDRAW_MS <= opened - withdrawn <= WITHDRAW_MS + TICK_MS
