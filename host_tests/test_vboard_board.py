# Issue 3 board adapters on the virtual board: sampling at every duty the firmware can offer on each port's
# interrupt latency (with the fallback taking over by itself), steady +12 V, the safe state at boot, the
# watchdog, the contactor's hold PWM, the pilot PWM's frequency and duty resolution. Plain asserts.
from evse.charger import TICK_MS
from evse.iodata import PILOT_N12, PILOT_P12, PILOT_PWM
from hw.pilot_pwm import duty_u16
from tools.bench.circuit import EV_C, GEN_MV, cp_volts_mv
from tools.sim.scenario import parse
from tools.vboard.kernel import WDT_RESET
from tools.vboard.run import VRun, load_board

DUTIES = (50, 80, 100, 160, 267, 400, 533, 700, 850, 900, 960)  # tenths: 5 %, then 8..96 %
TOL_MV = 400  # classification windows are >= 1 V wide; readings within this are correct
TICKS = 20


def _board(name, events=(), duration=600000, **kw):
    sc = parse({"duration_ms": duration, "board": name, "events": list(events)})
    return VRun(sc, lambda line: None, **kw)


def _sweep(name, duty):
    """20 control periods at duty with an EV in C: (high ok, low ok, ticks the ISR gave a high, a low)."""
    r = _board(name, [{"t_ms": 0, "ev": "C"}])
    r.advance(0)
    hw = r.app.hw
    io = r.app.io
    hw.pilot.apply(PILOT_PWM, duty)
    k = r.k
    want_hi = cp_volts_mv(GEN_MV, EV_C)
    hi_ok = lo_ok = 0
    s0 = list(hw.sampler.src)
    k.quiet_until = 0
    r.app.ticker.stop()  # this test steps the sampler itself, arming it 2 ms ahead as the guard's timer does
    t = 20
    for _ in range(TICKS):
        k.frame_end = t * 1000
        k.run_until(t * 1000 - 2000)
        hw.sampler.arm()
        k.run_until(t * 1000)
        hw.sampler.read(io, hw.pilot.pulsing())
        hi_ok += abs(io.cp_high_mv - want_hi) <= TOL_MV
        lo_ok += abs(io.cp_low_mv + GEN_MV) <= TOL_MV
        t += 10
    s1 = hw.sampler.src
    return hi_ok, lo_ok, s1[0] - s0[0], s1[1] - s0[1]


def test_every_offered_duty_reads_both_plateaus_on_both_ports():
    """5 % and 8..96 %: each tick reads C on the high plateau and -12 V on the low one, from the ISR where the
    plateau outlasts the port's latency, else from the burst fallback. Prints the lowest/highest duty the
    ISR alone covered (docs/boards.md)."""
    for name in ("pico", "esp32"):
        isr_hi = []
        isr_lo = []
        for d in DUTIES:
            hi_ok, lo_ok, n_hi, n_lo = _sweep(name, d)
            assert hi_ok == TICKS and lo_ok == TICKS, (name, d, hi_ok, lo_ok)
            if n_hi == TICKS:
                isr_hi.append(d)
            if n_lo == TICKS:
                isr_lo.append(d)
        print("%s: every duty read correctly; ISR alone: high plateau from %s %%, low plateau up to %s %%"
              % (name, _pct(min(isr_hi)) if isr_hi else "-", _pct(max(isr_lo)) if isr_lo else "-"))
        assert isr_hi and isr_lo, name


def _pct(tenths):
    return "%d.%d" % (tenths // 10, tenths % 10)


def test_short_plateaus_fall_back_to_the_burst_by_themselves():
    """At 5 % the 50 us high pulse is shorter than the esp32's latency: the burst reads it."""
    hi_ok, lo_ok, n_hi, _ = _sweep("esp32", 50)
    assert hi_ok == TICKS and n_hi < TICKS


def test_steady_plus_12v_reads_without_edges():
    for name in ("pico", "esp32"):
        r = _board(name, [{"t_ms": 0, "ev": "B"}])
        r.advance(0)
        hw = r.app.hw
        hw.pilot.apply(PILOT_P12, 0)
        hw.sampler.read(r.app.io, hw.pilot.pulsing())
        assert abs(r.app.io.cp_high_mv - 8960) <= TOL_MV, (name, r.app.io.cp_high_mv)
        assert hw.sampler.src[3] >= 1


def test_pilot_pwm_is_1khz_and_applies_the_cores_duty_to_0_1_percent():
    for name in ("pico", "esp32"):
        r = _board(name)
        pw = r.k.pilot.pwm
        assert 980 <= pw.freq <= 1020
        for d in range(0, 1001):
            u = duty_u16(d)
            assert abs(u * 1000 - d * 65535) <= 65535 // 2 + 1  # nearest step of 1/65535, far below 0.1 %
        r.app.hw.pilot.apply(PILOT_PWM, 267)
        assert pw.duty == duty_u16(267) and pw.high == 267, (name, pw.high)
        r.app.hw.pilot.apply(PILOT_N12, 0)
        assert pw.duty == 0


def test_boot_drives_the_safe_state_before_anything_else():
    """main.py's first lines: contactor coil off and pilot at -12 V, before the drivers exist."""
    for name in ("pico", "esp32"):
        r = _board(name)
        b = r.board
        import sys

        del sys.modules["main"]
        k = r.k
        k.reset_pins = None
        for s in k.pins.values():  # a board straight out of reset
            s.mode = 0
            s.pwm = None
            s.handler = None
        sys.modules["board"] = b
        __import__("main")  # imports run main.py's top level only (no start())
        c = k.pins[b.CONTACTOR]
        p = k.pins[b.PILOT_PWM]
        assert c.mode == 1 and c.out == (0 if b.CONTACTOR_ACTIVE_HIGH else 1), name
        assert p.mode == 1 and p.out == 1 - b.PILOT_HIGH_LEVEL and p.pwm is None, name


def test_a_stopped_step_timer_opens_the_contactor_in_50_ms_and_the_watchdog_resets_the_board():
    """Issue 9: the deadline guard, on a timer of its own, opens the contactor when the step has not run
    for 50 ms; the watchdog, no longer fed, resets the board, which boots safe and charges again."""
    r = _board("pico", [{"t_ms": 1000, "ev": "C"}])
    r.advance(3000)
    assert r.app.io.relay
    k = r.k
    old = r.app
    k.quiet_until = 0  # the runner no longer drives it: every timer call happens
    old.ticker._timer.deinit()  # the step's timer stops (the guard's runs on)
    t0 = k.now_us
    k.run_until(t0 + 50000)
    assert not k.active_out(r.board.CONTACTOR, r.board.CONTACTOR_ACTIVE_HIGH), "guard did not open"
    assert old.stalls == 1 and old.ticker.guard_trips == 1
    k.run_until(t0 + 1000 * (r.board.WDT_TIMEOUT_MS + 10))
    assert k.resets == 1 and k.reset_cause == WDT_RESET
    assert r.app is not old and r.boots == 2
    assert not r.bench.contactor.closed_contacts(k.ms() + 20)  # coil released by the reset: drops out
    # and the rebooted firmware runs the session again (the runner resumes at the kernel's time)
    r.t = r.next_tick = (k.ms() // 10 + 1) * 10
    r.advance(r.t + 3000)
    assert r.app.io.relay


def test_a_stuck_main_program_is_noticed_by_the_watchdog_while_the_step_runs_on():
    """The step feeds the watchdog only while the main program shows life (App.beat) within
    MAIN_STALL_MS: a main program stuck for longer resets the board; a 2 s stall does not."""
    from hw.app import MAIN_STALL_MS

    r = _board("pico", [{"t_ms": 1000, "ev": "C"}])
    r.advance(3000)
    k = r.k
    k.quiet_until = 0
    steps = r.app.steps
    k.run_until(k.now_us + 2000 * 1000)  # nobody beats for 2 s: the steps go on, so does charging
    assert k.resets == 0 and r.app.io.relay and r.app.steps - steps >= 199
    k.run_until(k.now_us + 1000 * (MAIN_STALL_MS + r.board.WDT_TIMEOUT_MS))
    assert k.resets == 1 and k.reset_cause == WDT_RESET


def test_the_watchdog_is_fed_only_by_healthy_steps():
    r = _board("pico", [{"t_ms": 1000, "ev": "C"}])
    r.advance(2000)
    app = r.app
    app.step(2010)
    fed = app.fed
    app.step(2020)
    assert app.fed == fed + 1
    app.step(2020 + 200)  # 200 ms since the last step: late, not fed
    assert app.fed == fed + 1


def test_contactor_hold_pwm_after_pull_in_keeps_it_closed_and_still_opens_at_once():
    b = load_board("pico")
    b.CONTACTOR_HOLD_PCT = 40
    sc = parse({"duration_ms": 20000, "board": "pico",
                "events": [{"t_ms": 1000, "ev": "C"}, {"t_ms": 8000, "ev": "B"}]})
    lines = []
    r = VRun(sc, lines.append, board=b)
    r.advance(4000)
    hw = r.app.hw
    assert hw.contactor._hold_duty is not None  # the hold PWM owns the coil pin
    assert r.k.pins[b.CONTACTOR].pwm is not None and r.bench.contactor.closed_contacts(4000)
    r.advance(8100)
    assert not r.bench.contactor.closed_contacts(8100) and r.k.pins[b.CONTACTOR].pwm is None
    opened = [x for x in lines if '"event": "relay", "closed": false' in x and '"t_ms": 80' in x]
    assert opened and 8000 < int(opened[0].split(",")[0].split(":")[1]) <= 8000 + 3 * TICK_MS, lines[-6:]


def _charging(b, events=(), duration=20000, socket="tethered"):
    sc = parse({"duration_ms": duration, "board": b.NAME, "settings": {"socket": socket},
                "events": [{"t_ms": 1000, "ev": "C"}] + list(events)})
    lines = []
    return VRun(sc, lines.append, board=b), lines


def test_the_trip_line_polarity_of_each_board_file_matches_the_documented_monitor_circuit():
    """docs/hardware.md: the monitor's open-drain output lets go on a fault and the board's pull-up raises
    the line: high = trip. Each board file must say so (GFCI_TRIP_ACTIVE_HIGH = True): healthy, the line is
    low and nothing trips; a 30 mA leak raises it and the contactor opens."""
    for name in ("pico", "esp32"):
        b = load_board(name)
        assert b.GFCI_TRIP_ACTIVE_HIGH is True, name
        r, lines = _charging(b, [{"t_ms": 5000, "residual_ma": 30}])
        r.advance(4000)
        assert r.k.pins[b.GFCI_TRIP].level == 0, name  # the healthy module holds the line low
        assert not r.app.hw.rcm.level() and r.app.io.relay and r.ch.faults == 0, name
        r.advance(5000 + 560 + 5)  # the CCID20 signals 30 mA after 560 ms; it releases 10 ms after the leak stops
        assert r.k.pins[b.GFCI_TRIP].level == 1, name  # tripped: the output let go, the pull-up raised it
        assert r.app.hw.rcm.trips >= 1 and not r.app.io.relay, name
        r.advance(7000)
        assert any('"code": "gfci_trip"' in ln for ln in lines), name


def test_a_board_file_with_the_wrong_trip_polarity_never_closes_the_contactor():
    """Wired as documented but declared active-low, the firmware reads a permanent trip: the failure the
    polarity test above guards against. It stays safe (contactor never closed), but it can never charge."""
    b = load_board("pico")
    b.GFCI_TRIP_ACTIVE_HIGH = False
    r, lines = _charging(b)
    r.advance(10000)
    assert r.app.hw.rcm.level()  # a healthy module reads as tripped
    assert not any('"closed": true' in ln for ln in lines)


def test_a_type2_lock_on_an_h_bridge_gets_one_timed_pulse_per_move_never_both_inputs_on():
    """boards/*.py LOCK_DRIVE / LOCK_DRIVE_B / LOCK_PULSE_MS: locking drives IN1 for LOCK_PULSE_MS, then both
    inputs are off while the feedback switch holds "locked"; unplugging drives IN2 the same way."""
    for name in ("pico", "esp32"):
        b = load_board(name)
        assert b.LOCK_DRIVE_B is not None and b.LOCK_PULSE_MS > 0, name
        r, lines = _charging(b, [{"t_ms": 8000, "ev": "A"}], socket="type2")
        k = r.k
        fwd = lambda: k.active_out(b.LOCK_DRIVE, True)  # noqa: E731
        back = lambda: k.active_out(b.LOCK_DRIVE_B, True)  # noqa: E731
        on_fwd = []
        on_back = []
        t = 0
        while t < 12000:
            t += 10
            r.advance(t)
            if fwd():
                on_fwd.append(t)
            if back():
                on_back.append(t)
        assert k.lock_shorts == 0, name
        for on in (on_fwd, on_back):  # one pulse each way, LOCK_PULSE_MS long (to the 10 ms step)
            assert on and on[-1] - on[0] <= b.LOCK_PULSE_MS and on[-1] - on[0] >= b.LOCK_PULSE_MS - 20, (name, on)
            assert len(on) == (on[-1] - on[0]) // 10 + 1, (name, on)  # one unbroken pulse
        assert on_fwd[0] < 2000 < 8000 < on_back[0], (name, on_fwd[0], on_back[0])
        assert any('"closed": true' in ln for ln in lines), name  # it locked, confirmed, and charged
        assert not any("lock_failed" in ln for ln in lines), name


def test_a_lock_pulse_shorter_than_the_actuator_travel_fails_safe():
    """An actuator driven for less than its travel stops short of the end: the lock never confirms, the
    contactor never closes, and lock_failed says why."""
    b = load_board("pico")
    b.LOCK_PULSE_MS = 100  # the bench's actuator needs 300 ms
    r, lines = _charging(b, socket="type2")
    r.advance(6000)
    assert any('"code": "lock_failed"' in ln for ln in lines)
    assert not any('"closed": true' in ln for ln in lines)


def test_a_module_with_a_level_test_input_gets_a_steady_high_during_the_self_test():
    """GFCI_TEST_HZ = 0 (modules such as the RCM14-03 take a level on their test input, not a 60 Hz square
    on a winding): the self-test holds the pin fully on, the monitor trips, the self-test passes."""
    b = load_board("pico")
    b.GFCI_TEST_HZ = 0
    r, lines = _charging(b)
    seen = []
    t = 0
    while t < 3000:
        t += 1
        r.advance(t)
        pw = r.k.pins[b.GFCI_TEST].pwm
        if pw is not None and pw.duty:
            seen.append(pw.duty)
    assert seen and set(seen) == {65535}, set(seen)
    assert any('"event": "selftest"' in ln for ln in lines) and any('"closed": true' in ln for ln in lines)
