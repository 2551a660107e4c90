# Issue 3: the interrupt paths allocate nothing. Every function that may run in interrupt context (the
# sampler's edge ISR on both plateaus and on its discard path, the residual-current trip ISR, the contactor's
# open_now with and without hold PWM, Charger.rcd_irq) runs under micropython.heap_lock(), on the real
# firmware built on the virtual board; any allocation raises MemoryError and fails the test. The steady
# charging control step (App.step) is held to the same rule. On CPython there is no heap lock: the same
# code runs unlocked (it then proves only that it runs). make test runs this module on the MicroPython unix
# port and on the 32-bit webassembly port (tools/wasm/mptest.mjs).
from evse import faults
from evse.iodata import PILOT_PWM
from host_tests.vboard_rig import ROOT  # noqa: F401  (sets nothing; keeps the rig importable first)
from tools.sim.scenario import parse
from tools.vboard.run import VRun, load_board

try:
    import micropython

    _lock = getattr(micropython, "heap_lock", None)
    _unlock = getattr(micropython, "heap_unlock", None)
except ImportError:
    _lock = _unlock = None

ENGINE = "locked" if _lock is not None else "unlocked (CPython)"


def _no_alloc(fn, arg=None):
    """True if fn(arg) ran without allocating (always True where there is no heap lock). fn runs as an
    interrupt does on the virtual board: nothing preempts it (its models would allocate, not fn)."""
    from tools.vboard import clock

    k = clock.K
    was = k.in_isr if k is not None else False
    if k is not None:
        k.in_isr = True
    try:
        if _lock is None:
            fn(arg)
            return True
        _lock()
        try:
            fn(arg)
            ok = True
        except MemoryError:
            ok = False
        finally:
            _unlock()
        return ok
    finally:
        if k is not None:
            k.in_isr = was


def test_the_heap_lock_catches_an_allocation():
    """The proof works: every MicroPython engine has the lock, and building a list under it fails."""
    import sys

    if sys.implementation.name == "micropython":
        assert _lock is not None, "no micropython.heap_lock on this engine"
    if _lock is not None:
        assert not _no_alloc(lambda a: [a, a])
    print("allocation proofs: heap " + ENGINE)


def _charging(board_name, hold_pct=0, settings=None):
    """A virtual board charging steadily at 32 A (EV in C since 1 s), 3 s in."""
    sc = parse({"duration_ms": 600000, "board": board_name, "events": [{"t_ms": 1000, "ev": "C"}],
                "settings": settings or {}})
    brd = load_board(board_name)
    brd.CONTACTOR_HOLD_PCT = hold_pct
    r = VRun(sc, lambda line: None, board=brd)
    r.advance(3000)
    assert r.app.io.relay and r.app.io.pilot == PILOT_PWM, board_name
    r.app.ticker.stop()  # the tests below call the interrupt paths themselves
    return r


def _at_phase(r, us):
    """Move virtual time to us after the next rising edge of the pilot PWM."""
    k = r.k
    pw = k.pilot.pwm
    e, rising = pw.next_edge(k.now_us + 10)
    if not rising:
        e, rising = pw.next_edge(e + 1)
    k.now_us = e + us


def test_sampler_isr_allocates_nothing_on_either_plateau_or_when_it_discards():
    for name in ("pico", "esp32"):
        r = _charging(name)
        s = r.app.hw.sampler
        pin = r.app.hw.sync
        high_us = r.k.pilot.pwm.high
        before = list(s.cnt)
        _at_phase(r, 100)  # inside the high plateau
        assert _no_alloc(s.isr, pin), (name, "high plateau", ENGINE)
        _at_phase(r, high_us + 100)  # inside the low plateau
        assert _no_alloc(s.isr, pin), (name, "low plateau", ENGINE)
        _at_phase(r, high_us - 5)  # the falling edge comes during the read: discarded
        assert _no_alloc(s.isr, pin), (name, "discard", ENGINE)
        after = list(s.cnt)
        assert [after[i] - before[i] for i in range(3)] == [1, 1, 1], (name, before, after)


def test_trip_isr_and_open_now_allocate_nothing_and_open_the_contactor():
    for name in ("pico", "esp32"):
        for hold in (0, 40):
            r = _charging(name, hold)
            r.advance(4000)  # past pull-in: the hold PWM owns the coil pin when hold > 0
            hw = r.app.hw
            assert (hw.contactor._hold_duty is not None) == (hold > 0), (name, hold)
            r.bench.rcm.set_inputs(r.k.ms(), residual_ma=300)
            r.k.pin(r.board.GFCI_TRIP).level = 1 if r.board.GFCI_TRIP_ACTIVE_HIGH else 0
            trips = hw.rcm.trips  # the self-test's trip was one already
            assert _no_alloc(hw.rcm.isr, None), (name, hold, "trip isr", ENGINE)
            assert not hw.contactor.closed and hw.rcm.trips == trips + 1, (name, hold)
            assert not r.k.active_out(r.board.CONTACTOR, r.board.CONTACTOR_ACTIVE_HIGH), (name, hold)
            assert _no_alloc(lambda _a: hw.contactor.open_now()), (name, hold, "open_now", ENGINE)
            assert _no_alloc(lambda _a: r.app.charger.rcd_irq()), (name, "rcd_irq", ENGINE)


def test_steady_charging_control_step_allocates_nothing():
    for name in ("pico", "esp32"):
        r = _charging(name)
        app = r.app
        t = 3010
        for _ in range(3):
            r.k.frame_end = t * 1000
            r.k.run_until(t * 1000)
            assert _no_alloc(app.step, t), (name, t, ENGINE)
            t += 10
        assert app.io.relay, name


def test_control_step_with_each_meter_allocates_nothing_across_its_polls():
    """Issue 11: with a meter fitted the step also reads its reading into the core (Reading.to_io) and the
    history counts the session's energy and its limits: still nothing allocated, on the steps that follow a
    poll (a new reading, a lost meter, the over-current line crossed) as on the quiet ones."""
    for name in ("pico", "esp32"):
        for meter in ("sdm120", "sdm630", "abb_b23", "s0"):
            r = _charging(name, settings={"meter": meter, "limit_kwh": 100, "limit_min": 600})
            app = r.app
            t = 3010
            for i in range(800):  # 8 s: the meter fails, comes back, then the EV overdraws until it is stopped
                if t == 4000:
                    r.bench.meter.fail = True
                if t == 4500:
                    r.bench.meter.fail = False
                    r.bench.load.forced_ma = 45000
                r.bench.meter.advance(t)  # the meter task's poll (loop context), when due
                r.k.frame_end = t * 1000
                r.k.run_until(t * 1000)
                assert _no_alloc(app.step, t), (name, meter, t, ENGINE)
                r.bench.follow(t, app.io)  # the vehicle's draw after the step
                t += 10
            oc = app.charger.faults & (1 << faults.OVER_CURRENT)
            if meter == "s0":  # no current measured: no over-current stop
                assert app.io.relay and not oc and app.history.session_wh > 0, (name, meter)
            else:  # stopped under the lock, and the session ended there
                assert oc and not app.io.relay and app.history.ends == 1, (name, meter, app.io.ev_ma)


def test_every_control_step_of_every_scenario_allocates_nothing():
    """Issue 9: App.step runs from a hard timer interrupt, so every step allocates nothing: state changes,
    faults, self-tests, session ends, not only steady charging. Every scenario file on the virtual pico,
    each step heap-locked. (The fake hardware's own clock arithmetic is allocation-free only below 2**30
    virtual us on a 32-bit engine: later steps there are run unlocked and counted apart.)"""
    import sys

    from host_tests.vboard_rig import scenario_files
    from tools.sim.scenario import load

    small = sys.maxsize < (1 << 40) if hasattr(sys, "maxsize") else False
    total = failed = unproven = 0
    for path in scenario_files():
        sc = load(path)
        sc.board = "pico"
        r = VRun(sc, lambda line: None)
        seen = {}

        def wrap(app):
            step = app.step
            stats = [0, 0, 0]

            def locked_step(now):
                stats[0] += 1
                if small and r.k.now_us >= (1 << 30) - 100000:
                    stats[2] += 1
                    step(now)
                elif not _no_alloc(step, now):
                    stats[1] += 1

            app.step = locked_step
            seen[id(app)] = stats

        wrap(r.app)
        boot = r._boot

        def reboot():
            boot()
            wrap(r.app)

        r._boot = reboot
        r.run()
        for st in seen.values():
            total += st[0]
            failed += st[1]
            unproven += st[2]
        assert not failed, (path, failed, ENGINE)
    assert total > 500, total
    print("App.step heap-locked over every scenario: %d steps, %d allocated, %d past 2**30 us unlocked (%s)"
          % (total, failed, unproven, ENGINE))


def test_outputs_are_applied_before_the_bookkeeping():
    """Issue 9: a C->B step whose history bookkeeping fails (as a MemoryError under the heap lock once did)
    has already opened the contactor and changed the pilot."""
    r = _charging("pico")
    app = r.app

    class Failing:
        def observe(self, now, ch):
            raise MemoryError("bookkeeping")

    app.history = Failing()
    r.bench.apply("ev", "B", 3000)
    r.k.refresh(3000)
    t = 3010
    opened = None
    while t < 3100 and opened is None:
        r.k.frame_end = t * 1000
        r.k.run_until(t * 1000)
        try:
            app.step(t)
        except MemoryError:
            pass
        if not app.io.relay:
            opened = t
        t += 10
    assert opened is not None
    assert not r.k.active_out(r.board.CONTACTOR, r.board.CONTACTOR_ACTIVE_HIGH)
    assert app.hw.pilot.mode == app.io.pilot
