# Issue 9: the contactor opens within 30 ms of C->B whatever the rest of the firmware does. The whole
# firmware boots with main.run() on the virtual board in virtual time (tools/vboard/vmain.py): the control
# step on its timer interrupt, main._main's asyncio tasks beside it, plus a task that blocks. The EV goes
# from C to B at a sweep of phases against the 10 ms tick; the time from that change to the contactor
# coil's pin going low is measured in virtual us. Plain asserts: CPython, the MicroPython unix port and the
# webassembly port. On esp32 the step is a scheduled callback (no hard timers in 1.29): it runs through
# Python-level blocking, not through one long C call (docs/boards.md "Timing"), so the C-call cases are rp2's.
import os

from tools.sim.scenario import parse
from tools.vboard.vmain import VMain

# Our budget for C->B is 30 ms (IEC 61851-1 Table A.6: 100 ms): 20 ms of filter plus the 10 ms tick, from
# the first sampling after the change. Measured here from the EV's change itself, the worst case adds the
# step's own time up to the contactor write (a few us on the virtual board; docs/performance.md gives the
# rp2 figure): 30.0 ms + that.
STEP_US = 100
BUDGET_US = 30000 + STEP_US
C_MS = 1000  # the EV asks for power
B_MS = 4000  # ... and stops, plus the phase


def _session(board, phase, extra=(), flash_dir=None, duration=6000):
    sc = parse({"duration_ms": duration, "board": board,
                "events": [{"t_ms": C_MS, "ev": "C"}, {"t_ms": B_MS + phase, "ev": "B"}]})
    v = VMain(sc, flash_dir=flash_dir, extra=extra)
    v.run()
    return v


def _worst(board, extra=(), phases=(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), **kw):
    worst = 0
    for ph in phases:
        v = _session(board, ph, extra, **kw)
        closed = [us for us, c in v.relay if c]
        assert closed and closed[0] < B_MS * 1000, (board, ph, v.relay)  # it was charging
        r = v.opened_after_us(B_MS + ph)
        assert r is not None, (board, ph, v.relay)
        if r > worst:
            worst = r
    return worst


def _spin(app):
    async def task():  # a console task that never yields: Python code running on and on
        import time

        while True:
            time.sleep_us(300)

    return task()


def _sleeper(app):
    async def task():  # a 2 s blocking call in a task, while charging and across the C->B
        import asyncio
        import time

        await asyncio.sleep_ms(B_MS - 1000)
        time.sleep_ms(2000)
        await asyncio.sleep_ms(100000)

    return task()


def _c_call(us, every_ms):
    def make(app):
        async def task():  # one C call that never returns to the interpreter for us (a GC, TLS, a print)
            import asyncio

            from tools.vboard import clock

            while True:
                await asyncio.sleep_ms(every_ms)
                clock.K.c_call_us(us)

        return task()

    return make


def test_c_to_b_opens_within_30_ms_at_every_phase_of_the_tick_with_nothing_else_running():
    for board in ("pico", "esp32"):
        w = _worst(board)
        print("%s: C->B worst %d.%d ms over 10 phases (main program idle)" % (board, w // 1000, w // 100 % 10))
        assert w <= BUDGET_US, (board, w)


def test_a_console_task_that_never_yields_does_not_delay_the_opening():
    for board in ("pico", "esp32"):
        w = _worst(board, [_spin], phases=(0, 3, 7))
        print("%s: C->B worst %d.%d ms while a task never yields" % (board, w // 1000, w // 100 % 10))
        assert w <= BUDGET_US, (board, w)


def test_a_2_s_blocking_call_in_a_task_does_not_delay_the_opening():
    for board in ("pico", "esp32"):
        w = _worst(board, [_sleeper], phases=(0, 5))
        assert w <= BUDGET_US, (board, "sleep_ms", w)
    w = _worst("pico", [_c_call(2000000, 3000 - 100)], phases=(0, 5))  # 2 s in C from 2.9 s: C->B inside
    print("pico: C->B worst %d.%d ms across a 2 s C call" % (w // 1000, w // 100 % 10))
    assert w <= BUDGET_US, ("pico", "2 s C call", w)


def test_a_long_gc_does_not_delay_the_opening_on_rp2():
    w = _worst("pico", [_c_call(150000, 50)], phases=(0, 4, 8))  # 150 ms of C every 50 ms
    print("pico: C->B worst %d.%d ms with 150 ms GCs back to back" % (w // 1000, w // 100 % 10))
    assert w <= BUDGET_US, w


def test_a_task_that_raises_does_not_delay_the_opening():
    """A task of its own (as a network client would be) dies of an exception; charging goes on."""
    def boom(app):
        async def task():
            import asyncio

            await asyncio.sleep_ms(2500)
            raise RuntimeError("injected: a task fails while charging")

        return task()

    w = _worst("pico", [boom], phases=(0, 5))
    assert w <= BUDGET_US, w


def test_a_firmware_task_that_raises_stops_the_main_program_in_the_safe_state():
    """An exception out of main._main's own tasks (housekeeping here) reaches main.run(): the step's timer
    is stopped and the outputs forced safe at once, not at the next C->B."""
    from tools.vboard.run import setup_paths

    setup_paths()  # the board's time module first (CPython): serial_console imports ticks_ms from it
    from hw import serial_console

    real = serial_console.SerialConsole._button  # housekeeping looks at the service button every 100 ms

    def failing(self):
        from tools.vboard import clock

        if clock.K.ms() >= 2500:
            raise RuntimeError("injected: housekeeping fails while charging")
        return real(self)

    serial_console.SerialConsole._button = failing
    try:
        v = _session("pico", 0)
    finally:
        serial_console.SerialConsole._button = real
    assert [c for _, c in v.relay] == [True, False], v.relay
    assert 2500000 <= v.relay[1][0] <= 2800000, v.relay  # at the failure, not at C->B (4 s)
    b = v.board
    p = v.k.pins[b.PILOT_PWM]
    assert p.pwm is None and p.mode == 1 and p.out == 1 - b.PILOT_HIGH_LEVEL  # -12 V by plain GPIO
    assert not v.app.ticker.running


def test_an_exception_in_the_step_forces_the_safe_state_and_the_watchdog_restarts_the_board():
    from tools.vboard.kernel import WDT_RESET

    def break_step(app):
        async def task():
            import asyncio

            await asyncio.sleep_ms(2500)
            app.hw.sampler.read = None  # the next step raises TypeError inside the timer interrupt

            await asyncio.sleep_ms(100000)

        return task()

    v = _session("pico", 0, [break_step], duration=5000)
    assert [c for _, c in v.relay][:2] == [True, False], v.relay
    assert v.relay[1][0] <= 2510000, v.relay  # the very next step
    assert v.app.ticker.failed and v.app.ticker.errors == 1
    assert v.k.resets == 1 and v.k.reset_cause == WDT_RESET  # starved: 2 s later the board restarts


def _tmpdir(tag):
    d = "/tmp/evse-blocking-" + tag
    try:
        os.mkdir(d)
    except OSError:
        pass
    for n in ("settings.json", "history.json", "settings.json.tmp", "history.json.tmp"):
        try:
            os.remove(d + "/" + n)
        except OSError:
            pass
    return d


def test_a_save_while_charging_waits_for_the_contactor_to_open_and_never_delays_it():
    """The command layer stages a save made while the contactor is closed (settings.save_pending);
    housekeeping writes it once the contactor is open. A flash write holds every interrupt ~45 ms."""
    def saver(app):
        async def task():
            import asyncio

            await asyncio.sleep_ms(2000)
            app.settings.stage()  # what `save` does while charging (evse.commands)
            await asyncio.sleep_ms(100000)

        return task()

    for ph in (0, 5):
        d = _tmpdir("save%d" % ph)
        v = _session("pico", ph, [saver], flash_dir=d)
        r = v.opened_after_us(B_MS + ph)
        assert r is not None and r <= BUDGET_US, (ph, r)
        assert v.k.flash_writes >= 1 and os.stat(d + "/settings.json")[6] > 0
        # no flash write at all while the contactor was closed (the boot's own write comes before the
        # session), and the staged save was written after the opening
        for a, b in v.closed_intervals():
            assert not [u for u in v.flash_us if u >= a and (b is None or u < b)], (v.flash_us, a, b)
        assert [u for u in v.flash_us if u > (B_MS + ph) * 1000 + r], v.flash_us


def test_the_flash_model_holds_the_step_a_write_while_charging_would_delay_the_opening():
    """The model itself: an unstaged flash write at C->B delays the opening by its 45 ms."""
    def writer(app):
        async def task():
            import asyncio

            from evse import store

            await asyncio.sleep_ms(B_MS - 1)
            store.write_atomic(_tmpdir("direct") + "/x.json", "{}")
            await asyncio.sleep_ms(100000)

        return task()

    v = _session("pico", 0, [writer])
    r = v.opened_after_us(B_MS)
    assert r is not None and r >= 45000, r


def test_with_4_edges_a_tick_a_200_ms_c_pulse_is_reported_and_seen_within_50_ms():
    """J1772-NUMBERS "Timing": detection within 50 ms, C pulses as short as 200 ms reported, with the
    sampler taking only 4 edges per tick (at 53.3 % and at the 96 % duty of 80 A, whose 40 us low plateau
    the ISR cannot catch: the burst reads it)."""
    from evse.iodata import ST_C2

    for amps in (32, 80):
        seen = []

        def probe(app):
            async def task():
                import asyncio

                from tools.vboard import clock

                while True:
                    if app.charger.state == ST_C2 and not seen:
                        seen.append(clock.K.ms())
                    await asyncio.sleep_ms(1)

            return task()

        sc = parse({"duration_ms": 3600, "board": "pico", "settings": {"max_current_a": amps},
                    "events": [{"t_ms": 1000, "ev": "B"}, {"t_ms": 3000, "ev": "C"}, {"t_ms": 3200, "ev": "B"}]})
        v = VMain(sc, extra=[probe])
        v.run()
        assert seen and 3000 < seen[0] <= 3050, (amps, seen)
        s = v.app.hw.sampler
        assert s.src[0] + s.src[1] > 0, list(s.src)  # the ISR did sample
