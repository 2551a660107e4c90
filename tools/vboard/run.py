# Scenario runner on the virtual board: the bench's models wired to a board file's pins, the whole firmware
# (main.py, hw/, evse/) booted on the fake machine module, stepped on the virtual clock. Same trace format
# as tools/sim/runner.py (the core-only bench), which stays available as board "bench".
import sys

from evse.charger import TICK_MS
from tools.sim.runner import Bench, Run, Tracer
from tools.vboard import clock
from tools.vboard.kernel import FRAME_US, BoardReset, Kernel


def root():
    f = __file__.replace("\\", "/")
    return "/".join(f.split("/")[:-3]) or "."


def board_names():
    """Boards that have a file under boards/."""
    import os

    return sorted(n[:-3] for n in os.listdir(root() + "/boards") if n.endswith(".py") and not n.startswith("_"))


class BoardData:
    """A board file's constants (loaded without importing it: a board may share a name with a module)."""

    def __init__(self, name, ns):
        self.__name__ = "board"
        for k in ns:
            if k[:1].isupper():
                setattr(self, k, ns[k])
        self.NAME = ns.get("NAME", name)


def load_board(name):
    path = root() + "/boards/" + name + ".py"
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        raise ValueError("no board file boards/%s.py (boards: %s)" % (name, ", ".join(board_names())))
    ns = {}
    exec(text, ns)
    return BoardData(name, ns)


def setup_paths():
    """Put the firmware and the fake modules where the firmware's imports find them."""
    r = root()
    for p in (r + "/firmware", r + "/tools/vboard/ports"):
        if p not in sys.path:
            sys.path.insert(0, p)
    clock.patch_time()
    t = sys.modules.get("time")
    if sys.implementation.name == "micropython" and t is not None and not hasattr(t, "_real_ms"):
        del sys.modules["time"]  # the built-in was cached: let ports/time.py shadow it
    core = sys.modules.get("asyncio.core")
    if sys.implementation.name == "micropython" and core is not None and not hasattr(core.select, "_Poll"):
        # asyncio was imported on the built-in select and time: again, on the board's (ports/select.py)
        for name in list(sys.modules):
            if name == "asyncio" or name.startswith("asyncio.") or name == "select":
                del sys.modules[name]


class VRun(Run):
    """One scenario on the virtual board; like tools.sim.runner.Run (run(), advance(until))."""

    def __init__(self, sc, out, skip_quiet=True, board=None):
        setup_paths()
        self.sc = sc
        self.board = board if board is not None else load_board(sc.board)
        from hw.build import port_for
        from hw.ticker import ARM_LEAD_MS

        self._lead_us = ARM_LEAD_MS * 1000  # the sampler is armed this long before each step
        self.port = port_for(self.board)
        self.bench = Bench(sc.seed, sc.settings["socket"], sc.settings["pp_sense"], sc.monitor)
        self.bench.fit_meter(sc.settings, self.board.BOARD_MAX_MA)
        k = Kernel(self.board, self.port, sc.seed, sc.irq_latency_us)
        self.k = k
        k.attach(self.bench)
        clock.install(k)
        k.on_reset = self._on_wdt_reset
        k.after_irq = self._after_irq
        self.skip_quiet = skip_quiet
        self.tr = Tracer(out)
        self.t = 0
        self.next_tick = 0
        self._ei = 0
        self._idle = False
        self.bench.settle(0)
        k.refresh(0)
        self.boots = 0
        self._boot()

    # -- the firmware ------------------------------------------------------------------------------
    def _boot(self):
        sys.modules["board"] = self.board
        if "main" in sys.modules:
            del sys.modules["main"]
        self.main = __import__("main")  # main.py's first lines: the safe state
        self.k.sync_outputs(self.k.ms())
        self.app = self.main.start(values=self.sc.settings, meter=False)
        self.ch = self.app.charger
        m = self.bench.meter
        self.app.fit_meter(m.meter, m.energy, m.kind)  # the scenario's meter, read by the firmware's own driver
        # A scenario's console lines go to the real console over the firmware's own charger and settings,
        # as tools/sim/runner.Run does (the board's serial transport is issue 4's, not modelled here).
        from evse.console import Console

        self.history = self.app.history  # observed by App.step, in RAM (start(values=...))
        self.tr.attach(self.history, self.bench.meter.reading)
        self.console = Console(self.ch, self.app.settings, self.history, self._clock, _discard,
                               commands=self.app.commands(self._clock)).handle_line
        self.boots += 1
        # As main.run() does: the first step now, then the step's timer interrupt. The runner is the main
        # program here (it runs the scenario's console lines): it shows life to the watchdog in _step().
        k = self.k
        g = (k.ms() + TICK_MS - 1) // TICK_MS * TICK_MS  # boot on the tick grid: traces stay comparable
        if g * 1000 > k.now_us:
            k.run_until(g * 1000)
        self.app.beat(g)
        self.next_tick = g
        k.frame_end = g * 1000
        self.app.ticker.start()
        self._stepped(g)

    def _stepped(self, t):
        """After the step at t (ms): outputs to the bench, the trace, and how long the firmware is quiet."""
        k = self.k
        k.sync_outputs(t)
        self.tr.observe(t, self.ch)
        self.next_tick = t + TICK_MS
        if self.skip_quiet:
            idle = self.app.idle_until(t)
            if idle is None:
                self.next_tick = self.sc.duration_ms + TICK_MS
                self._idle = True
            elif idle > self.next_tick:
                self.next_tick = (idle + TICK_MS - 1) // TICK_MS * TICK_MS
                self._idle = True
        self._quiet()

    def _quiet(self):
        # The timer's calls before the next step's arming are quiet (App.idle_until): skipped.
        k = self.k
        k.frame_end = self.next_tick * 1000
        k.quiet_until = self.next_tick * 1000 - self._lead_us

    def _on_wdt_reset(self, cause):
        self._boot()
        self.tr.observe(self.k.ms(), self.ch)

    def _after_irq(self):
        k = self.k
        # A timer's callback (the step) acts at its due ms, however long the virtual step took: the
        # trace and the bench see its outputs at the step's ms, as before the step moved to a timer.
        ms = k.irq_due // 1000 if k.irq_timer else k.ms()
        if k.dirty:
            k.sync_outputs(ms)
        self.tr.observe(ms, self.ch)

    # -- virtual time ------------------------------------------------------------------------------
    def _step(self, t):
        k = self.k
        bench = self.bench
        ev = self.sc.events
        # Convention shared with the bench: an input that changes at ms t is in place for the control
        # step at t, so it is applied before that step's sampling frame (FRAME_US earlier). IRQs that it
        # causes (the GFCI trip line) still fire at t plus the port's latency, never earlier.
        k.run_until(t * 1000 - FRAME_US, idle=self._idle)
        if t != self.next_tick:
            g = (t + TICK_MS - 1) // TICK_MS * TICK_MS
            if g < self.next_tick:
                self.next_tick = g
                self._quiet()
        while self._ei < len(ev) and ev[self._ei][0] == t:
            items = ev[self._ei][1]
            self.tr.input(t, items)
            for key, v in items:
                if key == "console":
                    self._console(t, v)
                else:
                    bench.apply(key, v, t)
            self._ei += 1
        bench.settle(t)
        bench.meter.advance(t)  # the meter task's poll, if due (modelled outside the kernel: tools/bench/load.py)
        k.refresh(t)
        self.app.beat(t)
        steps = self.app.steps
        try:
            k.run_until(t * 1000, idle=self._idle)  # the step at t runs here, from its timer
        except BoardReset:
            self._boot()
            return
        self._idle = False
        if self.app.steps != steps or t == self.next_tick:  # (a stopped ticker must not stall the run)
            self.app.settings.flush(self.ch.io.relay)  # the housekeeping task's staged save, once open
            self._stepped(t)
        bench.follow(t, self.ch.io)

    def _finish(self, until):
        # The virtual hardware runs on to the end of the last ms (edges, IRQs, timers), but not into the
        # frame of the next input: stepped in pieces (advance(t) at each step, as the property tests do),
        # a run must give the trace of one run(), where that input is in place before its step's frame.
        end = until * 1000 + 999
        ev = self.sc.events
        if self._ei < len(ev):
            nxt = ev[self._ei][0] * 1000 - FRAME_US
            if nxt < end:
                end = nxt
        if end > self.k.now_us:
            self.k.run_until(end, idle=self._idle)


def _discard(text):
    pass


def make_run(sc, out, **kw):
    """The runner for sc.board: the core-only bench for "bench", the virtual board otherwise."""
    if sc.board == "bench":
        return Run(sc, out, **kw)
    return VRun(sc, out, **kw)
