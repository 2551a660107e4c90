# The whole firmware as it runs on a board, in virtual time: main.run() boots it, the control step runs on
# its timer interrupt, and main._main's asyncio tasks (console, housekeeping, and any a test adds) run under
# tools/vboard/vasync.py. Scenario inputs happen at their own ms whatever the firmware is doing, and every
# flash write holds the interrupts (tools/vboard/flash.py). For the blocking tests (issue 9): what the
# contactor does while the rest of the firmware is stuck.
import sys

from tools.sim.runner import Bench
from tools.vboard import clock, flash, vasync
from tools.vboard.kernel import BoardStop, Kernel
from tools.vboard.run import load_board, setup_paths


def drop_web_modules():
    """Forget the firmware's web modules and microdot, which bind asyncio when imported (the set-up access point
    imports them at a first boot without a wifi_ssid, docs/web.md): one bound to the host's asyncio by a web
    test, then run under the board's, crashed the MicroPython unix port (SIGSEGV) in a whole-suite run."""
    for m in list(sys.modules):
        if m == "web" or m.startswith("web.") or m == "microdot" or m.startswith("microdot."):
            sys.modules.pop(m, None)


class VMain:
    """sc: a Scenario; flash_dir: where settings.json and history.json live (None: RAM, the scenario's
    settings). extra: coroutine functions f(app) run as tasks beside main._main's."""

    def __init__(self, sc, board=None, flash_dir=None, extra=()):
        setup_paths()
        from hw.build import port_for

        self.sc = sc
        self.board = board if board is not None else load_board(sc.board)
        self.port = port_for(self.board)
        self.bench = Bench(sc.seed, sc.settings["socket"], sc.settings["pp_sense"])
        k = Kernel(self.board, self.port, sc.seed, sc.irq_latency_us)
        self.k = k
        k.attach(self.bench)
        clock.install(k)
        # A Modbus meter of the settings sits at the far end of the board's meter UART, in virtual time: the
        # firmware builds its own driver on it and polls it from its own meter task (main._main).
        self.bench.fit_meter(sc.settings, self.board.BOARD_MAX_MA)
        self._uart = None
        if self.bench.meter.sim is not None and getattr(self.board, "METER_UART", None) is not None:
            import machine

            self._uart = self.board.METER_UART
            machine.UART_SIMS[self._uart] = self.bench.meter.line(
                lambda: k.ms() & 0x3FFFFFFF, getattr(self.board, "METER_BAUD", 9600))
        k.after_irq = self._after_irq
        k.on_write = self._written
        k.unframed = True  # no runner announces the steps: edges come whenever the sampler is armed
        self.bench.settle(0)
        k.refresh(0)
        self.flash_dir = flash_dir
        self.extra = extra
        self.relay = []  # (us, closed): every change of the contactor coil output
        self._closed = False
        self._next_settle = None
        self.app = None
        self.first_flash_us = None  # when the first flash write began
        self.flash_us = []  # when each flash write began
        for t, items in sc.events:
            k.at(t * 1000, self._inputs(items))

    def _inputs(self, items):
        def apply(ms):
            for key, v in items:
                if key != "console":
                    self.bench.apply(key, v, ms)
            self._settle(ms)

        return apply

    def _settle(self, ms):
        self._next_settle = None
        self.bench.settle(ms)
        self._follow(ms)
        self.k.refresh(ms)
        self._watch()

    def _after_irq(self):
        k = self.k
        if k.dirty:
            k.sync_outputs(k.ms())
        self._follow(k.ms())
        self._watch()

    def _follow(self, ms):
        if self.app is not None:
            self.bench.follow(ms, self.app.io)  # the vehicle's draw after what the firmware commands

    def _written(self, s):
        if s.id == self.board.CONTACTOR:
            self._watch()

    def _watch(self):
        k = self.k
        b = self.board
        closed = k.active_out(b.CONTACTOR, b.CONTACTOR_ACTIVE_HIGH)
        if closed != self._closed:
            self._closed = closed
            self.relay.append((k.now_us, closed))
        ms = k.ms()
        nc = self.bench.next_change(ms)
        if nc is not None and nc > ms and (self._next_settle is None or nc < self._next_settle):
            self._next_settle = nc
            k.at(nc * 1000, self._settle)

    def run(self):
        """Boot with main.run() and run to the scenario's end. Returns main.run()'s module."""
        k = self.k
        sys.modules["board"] = self.board
        if "main" in sys.modules:
            del sys.modules["main"]
        main = __import__("main")
        k.sync_outputs(0)
        real_start = main.start
        real_main = main._main
        fd = self.flash_dir
        sc = self.sc
        me = self

        def start():
            if fd is None:
                app = real_start(values=sc.settings)
            else:
                app = real_start(settings_path=fd + "/settings.json", history_path=fd + "/history.json")
            me.app = app
            return app

        async def with_extra(app):
            for f in self.extra:
                vasync.create_task(f(app))
            await real_main(app)

        main.start = start
        main._main = with_extra
        saved = sys.modules.get("asyncio")
        sys.modules["asyncio"] = vasync
        drop_web_modules()  # imported on the host's asyncio (a web test before): the firmware imports them on the board's
        undo = flash.install(k, self._flashing)
        k.stop_at = sc.duration_ms * 1000
        try:
            main.run()  # returns after a failure (safe state), or once BoardStop (a Ctrl-C) ends the test
        except BoardStop:
            pass
        finally:
            undo()
            k.stop_at = None
            if self._uart is not None:
                import machine

                machine.UART_SIMS.pop(self._uart, None)
            if saved is not None:
                sys.modules["asyncio"] = saved
            else:
                del sys.modules["asyncio"]
        return main

    def _flashing(self):
        if self.first_flash_us is None:
            self.first_flash_us = self.k.now_us
        self.flash_us.append(self.k.now_us)

    def closed_intervals(self):
        """[(from_us, to_us)] while the contactor was commanded closed (to_us None: still closed)."""
        out = []
        start = None
        for us, closed in self.relay:
            if closed and start is None:
                start = us
            elif not closed and start is not None:
                out.append((start, us))
                start = None
        if start is not None:
            out.append((start, None))
        return out

    def opened_after_us(self, t_ms):
        """Virtual us from t_ms to the first contactor opening at or after it, or None."""
        for us, closed in self.relay:
            if not closed and us >= t_ms * 1000:
                return us - t_ms * 1000
        return None
