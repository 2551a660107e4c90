# The asyncio control loop itself, on the MicroPython unix port in real time: main.control() awaits
# App.step every TICK_MS on the virtual board (fake hardware following the real clock) while a session runs:
# plug in, EV ready, the contactor closes. About 0.7 s of wall time. Plain asserts; MicroPython only (the
# firmware's asyncio calls are MicroPython's: sleep_ms).
# not on webassembly: that port's asyncio runs on the JS event loop (no asyncio.run, no real-time loop)
import sys

from tools.sim.scenario import parse

TICKS = 70


def test_asyncio_control_loop_steps_every_tick_and_runs_a_session_in_real_time():
    if sys.implementation.name != "micropython":
        return  # CPython's asyncio has no sleep_ms; the virtual-time tests cover the step itself
    import asyncio

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
    sys.modules["board"] = brd
    if "main" in sys.modules:
        del sys.modules["main"]
    main = __import__("main")
    app = main.start(values=sc.settings)
    s.app = app
    import time

    t0 = time.ticks_ms()
    asyncio.run(main.control(app, ticks=TICKS))
    took = time.ticks_diff(time.ticks_ms(), t0)
    assert app.steps == TICKS, app.steps
    assert TICKS * 10 - 20 <= took <= TICKS * 10 * 3, took  # paced by the loop, not faster
    assert app.io.relay, "".join(lines)
    assert app.fed >= TICKS - 2  # the watchdog was fed by healthy steps
    print("asyncio loop: %d steps in %d ms of real time, contactor closed" % (app.steps, took))


def test_an_uncaught_exception_in_the_loop_forces_the_safe_state_first():
    """main.run(): the control loop raises while charging -> contactor open and pilot at -12 V on the pins."""
    if sys.implementation.name != "micropython":
        return
    from tools.vboard.realtime import Session
    from tools.vboard.run import load_board

    brd = load_board("pico")
    sc = parse({"duration_ms": 5000, "board": "pico", "events": [{"t_ms": 10, "ev": "C"}]})
    s = Session(brd, sc, None)
    sys.modules["board"] = brd
    if "main" in sys.modules:
        del sys.modules["main"]
    main = __import__("main")
    real_start = main.start
    seen = []

    def start():
        app = real_start(values=sc.settings)
        step = app.step

        def failing_step(now):
            step(now)
            seen.append(app.io.relay)
            if len(seen) >= 40:
                raise RuntimeError("injected fault in the control loop")

        app.step = failing_step
        return app

    main.start = start
    main.run()  # returns after forcing the safe state (a board's watchdog would then restart it)
    k = s.k
    assert seen[-1], "the contactor was closed when the loop failed"
    assert not k.active_out(brd.CONTACTOR, brd.CONTACTOR_ACTIVE_HIGH)
    p = k.pins[brd.PILOT_PWM]
    assert p.pwm is None and p.mode == 1 and p.out == 1 - brd.PILOT_HIGH_LEVEL  # -12 V by plain GPIO
