# The virtual board in real time: virtual time follows the host's clock, scenario inputs apply when their
# ms comes, the trace is written as it happens. Used by make vboard (the firmware on the MicroPython unix
# port behind a pseudo-terminal) and by the asyncio smoke test.
import sys

from tools.sim.runner import Bench, Tracer
from tools.vboard import clock
from tools.vboard.kernel import Kernel
from tools.vboard.run import setup_paths


class RealClock:
    """Microseconds since start, without the 2**30 wrap of ticks_us (accumulated; loop context only)."""

    def __init__(self):
        if sys.implementation.name == "micropython":
            import utime

            self._now = utime.ticks_us
            self._diff = utime.ticks_diff
        else:
            import time

            self._now = lambda: int(time.monotonic() * 1000000)
            self._diff = lambda a, b: a - b
        self._last = self._now()
        self._total = 0
        if sys.implementation.name == "micropython":
            import utime

            # Start at the port's own ticks_ms, so time.ticks_ms() on the virtual board and the real one agree
            # (MicroPython's asyncio keys its C task queue with the real clock).
            self._total = utime.ticks_ms() * 1000

    def us(self):
        n = self._now()
        self._total += self._diff(n, self._last)
        self._last = n
        return self._total


class Session:
    """One board in real time. sc: a Scenario (events, settings, seed) or None; trace: a file or None."""

    def __init__(self, board, sc=None, trace=None, paths=True):
        if paths:
            setup_paths()
        from hw.build import port_for

        self.board = board
        self.sc = sc
        seed = sc.seed if sc is not None else 1
        socket = sc.settings["socket"] if sc is not None else "tethered"
        pp_sense = sc.settings["pp_sense"] if sc is not None else False
        self.bench = Bench(seed, socket, pp_sense, sc.monitor if sc is not None else "ccid20")
        k = Kernel(board, port_for(board), seed, sc.irq_latency_us if sc is not None else None)
        self.k = k
        k.attach(self.bench)
        clock.install(k)
        self.bench.settle(0)
        k.refresh(0)
        # The scenario's meter at the far end of the board's meter UART (tools/bench/load.py), in real time:
        # the firmware builds its own driver on it and polls it from its meter task.
        if sc is not None:
            self.bench.fit_meter(sc.settings, board.BOARD_MAX_MA)
            uid = getattr(board, "METER_UART", None)
            if self.bench.meter.sim is not None and uid is not None:
                import machine

                machine.UART_SIMS[uid] = self.bench.meter.line(lambda: k.ms() & 0x3FFFFFFF,
                                                               getattr(board, "METER_BAUD", 9600))
        self._trace = trace
        self.tr = Tracer(self._write) if trace is not None else None
        self.events = sc.events if sc is not None else []
        self._ei = 0
        self.app = None
        self.last_ms = 0
        k.go_realtime(RealClock().us, self._hook)
        self.t0_ms = k.ms()  # scenario and trace times count from here

    def _write(self, line):
        self._trace.write(line + "\n")
        self._trace.flush()

    def _hook(self, ms):
        rel = ms - self.t0_ms
        ev = self.events
        while self._ei < len(ev) and ev[self._ei][0] <= rel:
            t, items = ev[self._ei]
            if self.tr is not None:
                self.tr.input(rel, items)
            for key, v in items:
                if key != "console":
                    self.bench.apply(key, v, ms)
            self._ei += 1
        self.bench.settle(ms)
        self.k.refresh(ms)
        app = self.app
        if app is None:
            m = sys.modules.get("main")
            app = getattr(m, "APP", None) if m is not None else None
        if app is not None:
            self.bench.follow(ms, app.io)  # the vehicle's draw after what the firmware commands
        if app is not None and self.tr is not None:
            if self.tr.history is not app.history:  # (a new boot: its history and its meter's reading)
                self.tr.attach(app.history, app.meter.reading if app.meter is not None else None)
            self.tr.observe(rel, app.charger)
        self.last_ms = rel
