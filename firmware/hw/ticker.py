# The control step's own clock: a timer interrupt runs App.step every TICK_MS whatever the main program
# (asyncio tasks: console, housekeeping, later the network) is doing, and a second timer opens the
# contactor if the step stops. Hard interrupts on rp2; scheduled by a hardware timer's ISR on esp32.
# Why, and the limits of each port: docs/boards.md "Timing".
from time import sleep_ms, ticks_diff, ticks_ms

from evse.charger import TICK_MS
from evse.compat import const

ARM_LEAD_MS = const(2)  # the guard's timer runs this long before each step and arms the pilot sampler
GUARD_MISSES = const(4)  # guard calls in a row without a step: it trips 40..50 ms after the last step


class Ticker:
    """Runs app (hw.app.App) from port's timers (hw.port_rp2 / hw.port_esp32 figures): the step's timer
    every TICK_MS, and the guard's, ARM_LEAD_MS ahead of each step, which also arms the pilot sampler."""

    def __init__(self, machine, app, port):
        self._app = app
        self._port = port
        self._machine = machine
        self._timer = machine.Timer(port.STEP_TIMER_ID)
        self._guard = machine.Timer(port.GUARD_TIMER_ID)
        self._seen = 0
        self._miss = 0
        self.failed = False  # the step raised: outputs held safe from then on, the watchdog starves
        self.errors = 0
        self.guard_trips = 0
        self.running = False
        self._first = False  # the first step, from the main program, is running
        self._on_step_cb = self._on_step  # bound methods, made once: the interrupts only call them
        self._on_guard_cb = self._on_guard

    def start(self):
        """The first step now, then one every TICK_MS on the same grid; the guard's timer is started
        TICK_MS - ARM_LEAD_MS later, so that it runs ARM_LEAD_MS before each step (both periodic on one
        clock: the phase holds). Loop context; takes about 8 ms."""
        self._port.irq_priorities(self._machine)
        hard = self._port.HARD_TIMER
        PERIODIC = self._machine.Timer.PERIODIC
        now = ticks_ms()
        self._timer.init(mode=PERIODIC, period=TICK_MS, callback=self._on_step_cb, hard=hard)
        self.running = True
        # The timer first, to keep the grid; a callback that comes while this first step still runs (a
        # first step slower than TICK_MS) is skipped: it would run a second step inside this one, its
        # later `now` then followed by this earlier one.
        self._first = True
        self._app.step(now)
        self._first = False
        while ticks_diff(ticks_ms(), now) < TICK_MS - ARM_LEAD_MS:
            sleep_ms(1)
        self._guard.init(mode=PERIODIC, period=TICK_MS, callback=self._on_guard_cb, hard=hard)

    def stop(self):
        """No more steps (Ctrl-C, a failed main program). Loop context."""
        self.running = False
        self._timer.deinit()
        self._guard.deinit()

    def _on_step(self, _t):
        # Interrupt context (hard on rp2, scheduled on esp32). No allocation. An exception escaping a hard
        # timer callback would stop the timer for good (shared/runtime/softtimer.c): none escapes; any
        # exception forces the safe state, and the watchdog, no longer fed, restarts the board.
        app = self._app
        if self.failed:
            app.safe()
            return
        if self._first:
            return
        try:
            app.step(ticks_ms())
        except Exception:  # noqa: B902 -- whatever it was, the outputs go safe first
            self.failed = True
            self.errors += 1
            app.safe()

    def _on_guard(self, _t):
        # Interrupt context. No allocation. On a timer of its own: if the steps stop (their timer stopped,
        # a step stuck in a scheduled queue), the contactor opens within 50 ms.
        app = self._app
        try:
            app.arm()
        except Exception:  # noqa: B902 -- the guard below must run whatever the sampler does
            pass
        n = app.steps
        if n != self._seen:
            self._seen = n
            self._miss = 0
            return
        if self._miss < GUARD_MISSES:
            self._miss += 1
            if self._miss == GUARD_MISSES:
                self.guard_trips += 1
                app.stalled()
