# The firmware's own timer-driven step beside asyncio, on the MicroPython unix port in real time: the step's
# timer interrupt runs App.step every TICK_MS on the virtual board (fake hardware following the real clock)
# while asyncio tasks sleep, and a session runs: plug in, EV ready, the contactor closes. About 0.7 s of
# wall time. Plain asserts; MicroPython only (the firmware's asyncio calls are MicroPython's: sleep_ms).
# not on webassembly: that port's asyncio runs on the JS event loop (no asyncio.run, no real-time loop)
import sys

from tools.sim.scenario import parse

TICKS = 70


def test_the_step_timer_steps_every_tick_beside_asyncio_and_runs_a_session_in_real_time():
    if sys.implementation.name != "micropython":
        return  # CPython's asyncio has no sleep_ms; the virtual-time tests cover the step itself
    from tools.vboard.realtime import Session
    from tools.vboard.run import load_board

    brd = load_board("pico")
    sc = parse({"duration_ms": 5000, "board": "pico",
                "events": [{"t_ms": 50, "ev": "B"}, {"t_ms": 100, "ev": "C"}]})
    lines = []

    class Sink:
        def write(self, s):
            lines.append(s)

        def flush(self):
            pass

    s = Session(brd, sc, Sink())
    import asyncio  # after the board is up: asyncio waits through the board's select (ports/select.py)
    sys.modules["board"] = brd
    if "main" in sys.modules:
        del sys.modules["main"]
    main = __import__("main")
    app = main.start(values=sc.settings)
    s.app = app
    import time

    async def idle_main():  # the main program asleep in asyncio: only the timer steps the firmware
        for _ in range(TICKS // 10):
            app.beat(time.ticks_ms())
            await asyncio.sleep_ms(100)

    t0 = time.ticks_ms()
    app.ticker.start()
    asyncio.run(idle_main())
    app.ticker.stop()
    took = time.ticks_diff(time.ticks_ms(), t0)
    assert TICKS - 3 <= app.steps <= TICKS + 3, (app.steps, took)  # one per 10 ms of real time
    assert app.io.relay, "".join(lines)
    assert app.fed >= app.steps - 2  # the watchdog was fed by healthy steps
    print("timer step beside asyncio: %d steps in %d ms of real time, contactor closed" % (app.steps, took))


def test_an_uncaught_exception_in_the_main_program_forces_the_safe_state_first():
    """main.run(): a main-program task raises while charging -> the step's timer is stopped, contactor open
    and pilot at -12 V on the pins."""
    if sys.implementation.name != "micropython":
        return
    from tools.vboard.realtime import Session
    from tools.vboard.run import load_board

    brd = load_board("pico")
    sc = parse({"duration_ms": 5000, "board": "pico", "events": [{"t_ms": 10, "ev": "C"}]})
    s = Session(brd, sc, None)
    import asyncio

    sys.modules["board"] = brd
    if "main" in sys.modules:
        del sys.modules["main"]
    main = __import__("main")
    real_start = main.start
    seen = []

    def start():
        app = real_start(values=sc.settings)
        seen.append(app)
        return app

    async def failing_main(app):
        while not app.io.relay:
            app.beat(0)
            await asyncio.sleep_ms(20)
        raise RuntimeError("injected fault in the main program")

    main.start = start
    main._main = failing_main
    main.run()  # returns after forcing the safe state (a board's watchdog would then restart it)
    k = s.k
    app = seen[0]
    assert not app.ticker.running and not k.timers
    assert not k.active_out(brd.CONTACTOR, brd.CONTACTOR_ACTIVE_HIGH)
    p = k.pins[brd.PILOT_PWM]
    assert p.pwm is None and p.mode == 1 and p.out == 1 - brd.PILOT_HIGH_LEVEL  # -12 V by plain GPIO
