# Virtual board kernel: virtual time in us, the board file's pins wired to the bench's models, pilot edges
# and pin IRQs with latency jitter, ADC reads from the circuit model with noise, timers and a watchdog.
# To stay fast, pilot edges (and their IRQs) are only generated while the firmware has the sync pin's IRQ
# armed and before the next control step (frame_end): the only time the firmware reads what they captured.
#
# Interrupts preempt the main program (the firmware's asyncio tasks) whenever virtual time passes in it:
# a sleep, a busy wait on the clock, a modelled long C call (c_call_us) or any read of a pin or the clock.
# Hard callbacks (rp2 pin IRQs and timers) run even inside a long C call; scheduled ones (esp32) wait for
# it to end, as MicroPython's scheduler does. A flash write on rp2 (irqs_off_us) holds every interrupt:
# they run late, once it ends. A callback itself is never preempted (see docs/boards.md "Timing").
from tools.bench.circuit import GEN_MV, cp_volts_mv, pp_volts_mv
from tools.bench.prng import Prng
from tools.bench.plant import TRIP_LINE_HIGH_ON_TRIP

FRAME_US = 6000  # inputs of ms t are in place this long before the step at t: before its sampler is armed
RAMP_US = 4  # the pilot node slews between plateaus this long after an edge (ASSUMED: buffer + cable)
NOISE_COUNTS = 2  # +- 12-bit counts, like the bench's front end
_NOISE_LEN = 251
CALL_US = 1  # virtual time one ticks_us() or Pin.value() call takes (ASSUMED, ~100 cycles at 125 MHz)
HOLD_ON_PCT = 30  # a coil PWM at or above this duty (active sense) keeps the contactor in
_MASK = (1 << 30) - 1
PWRON_RESET = 1
WDT_RESET = 3
SOFT_RESET = 5
RESET_EXIT = 75
RESET_MARKER = "\x1b]vboard-reset\x07"  # written to the console by machine.reset() under make vboard
_IN = 0
_OUT = 1


class BoardReset(BaseException):
    """Raised out of the firmware when it calls machine.reset(): the board restarts."""


class BoardStop(KeyboardInterrupt):
    """Raised out of the main program once virtual time passes Kernel.stop_at: the test is over, as if a
    person pressed Ctrl-C (main.run() forces the safe state and returns)."""


class PinState:
    def __init__(self, pid):
        self.id = pid
        self.mode = _IN  # released: an input, pulled to its inactive level by the board's resistors
        self.out = 0
        self.pwm = None
        self.level = 0  # input level as wired (bench), cached in loop context
        self.handler = None
        self.trigger = 0
        self.hard = False
        self.irq_obj = None


class PwmState:
    def __init__(self):
        self.freq = 1000
        self.duty = 0
        self.t0 = 0
        self.period = 1000  # us
        self.high = 0  # us

    def set_freq(self, f, now):
        self.freq = f
        self.period = 1000000 // f
        self.t0 = now
        self.set_duty(self.duty)

    def set_duty(self, d):
        # May run in interrupt context. No allocation.
        self.duty = d
        self.high = (d * self.period + 32767) // 65535

    def period_ns(self):
        return 1000000000 // self.freq

    def pulsing(self):
        return 0 < self.high < self.period

    def level_at(self, t):
        # No allocation (t below 2**30).
        if self.high <= 0:
            return 0
        if self.high >= self.period:
            return 1
        return 1 if (t - self.t0) % self.period < self.high else 0

    def since_edge(self, t):
        ph = (t - self.t0) % self.period
        return ph if ph < self.high else ph - self.high

    def next_edge(self, t):
        """(time, rising) of the first edge at or after t (pulsing only)."""
        k = (t - self.t0) // self.period
        base = self.t0 + k * self.period
        if base >= t:
            return base, True
        if base + self.high >= t:
            return base + self.high, False
        return base + self.period, True


class Kernel:
    """One virtual board: board (a boards/*.py module), port (hw.port_rp2 / hw.port_esp32 figures)."""

    def __init__(self, board, port, seed=1, jitter_us=None):
        self.board = board
        self.port = port
        self.realtime = False
        self.now_us = 0
        self.lat_min = port.IRQ_LATENCY_MIN_US
        self.jitter = port.IRQ_LATENCY_MAX_US - self.lat_min if jitter_us is None else jitter_us
        self.adc_us = port.ADC_READ_US
        self.hard_timers = port.NAME == "rp2"  # machine.Timer(hard=True): rp2 yes, esp32 1.29 no
        self.rng = Prng(seed ^ 0x5A5A1234)
        rng = Prng(seed ^ 0x0BADC0DE)
        self.noise = [rng.noise(NOISE_COUNTS) << 4 for _ in range(_NOISE_LEN)]
        self._ni = 0
        self.pins = {}
        self.irqs = []  # pending [due_us, seq, PinState]
        self._seq = 0
        self.timers = []
        self.in_isr = False
        self.irq_enabled = True  # False while interrupts are held (machine.disable_irq, a flash write)
        self.in_c_call = False  # inside a long C call: scheduled callbacks wait, hard ones run
        self.quiet_until = 0  # timer callbacks due before this us are skipped (the runner's quiet ticks)
        self.irq_due = 0  # due time (us) of the callback after_irq follows
        self.irq_timer = False  # ... and whether it was a timer's
        self.stop_at = None  # us: a BoardStop is raised out of the main program once time passes it
        self.world = []  # [due_us, seq, fn]: the world changes at due (scenario inputs), whatever runs
        self.unframed = False
        self.on_write = None  # runner hook: an output pin was written (the pin's state)  # True: edges whenever the sync IRQ is armed, not only before frame_end
        self.irq_count = 0
        self.irq_late = 0
        self.timer_calls = 0
        self.flash_writes = 0
        self.irqs_off_total = 0  # us spent with interrupts held (flash writes)
        self.frame_end = None
        self._cursor = 0
        self.bench = None
        self.dirty = False
        self.after_irq = None  # runner hook after each ISR / timer callback
        self.on_reset = None  # runner hook when the board resets
        self.wdt_timeout = None
        self.wdt_last = 0
        self.reset_cause = PWRON_RESET
        self.resets = 0
        self.lock_shorts = 0  # times both H-bridge inputs of the socket lock were on together
        self.cp_hi = GEN_MV
        self.cp_lo = -GEN_MV
        self.pp_mv = board.PP_PULLUP_MV
        self.temp_mv = board.TEMP_ZERO_MV + 250
        b = board
        self.pilot = self.pin(b.PILOT_PWM)
        self.sync_id = b.PILOT_SYNC
        self._adc = {b.CP_ADC: self._read_cp, b.PP_ADC: self._read_pp}
        if b.TEMP_ADC is not None:
            self._adc[b.TEMP_ADC] = self._read_temp

    # -- real time (make vboard, the asyncio smoke test) ------------------------------------------------
    def go_realtime(self, real_us, hook=None):
        """From now on virtual time follows real_us() (a function returning real us); hook(ms) runs before
        each catch-up (scenario inputs, bench, trace)."""
        self.realtime = True
        self._real_us = real_us
        self._real0 = 0  # virtual time is the real clock itself: asyncio's C task queue reads it too
        self.now_us = real_us()
        self.wdt_last = self.now_us
        self._hook = hook
        self._syncing = False

    def sync(self):
        """Real-time mode: catch virtual time up with the real clock (not from an ISR). Pilot edges of the
        last FRAME_US and their IRQs, wired inputs, timers, the watchdog: all happen here."""
        if not self.realtime or self.in_isr or self._syncing:
            return
        self._syncing = True
        try:
            real = self._real_us() - self._real0
            if real > self.now_us:
                if self._hook is not None:
                    self._hook(real // 1000)
                self.frame_end = real + 1
                self.run_until(real)
                if self.dirty and self.bench is not None:
                    self.sync_outputs(real // 1000)
        finally:
            self._syncing = False

    # -- clock ------------------------------------------------------------------------------------
    def ticks_ms(self):
        if self.realtime:
            self.sync()
        elif not self.in_isr:
            self.preempt()
        return (self.now_us // 1000) & _MASK

    def ticks_us(self):
        # May run in interrupt context. No allocation. Each call takes CALL_US of virtual time, as
        # calls do on a board (so a busy-wait on ticks_us() ends).
        if self.realtime:
            self.sync()
        t = self.now_us + CALL_US
        self.now_us = t
        if not self.in_isr and not self.realtime:
            self.preempt()
        return t & _MASK

    def preempt(self):
        """Main-program context: what is due by now (interrupts, timers, the world) happens now."""
        n = self.now_us
        ed = self._next_edge()
        if ((self.irqs and self.irqs[0][0] <= n) or (self.timers and self.timers[0][0] <= n)
                or (self.world and self.world[0][0] <= n) or (ed is not None and ed[0] <= n)):
            self.run_until(n)
        self._check_stop()

    def _check_stop(self):
        if self.stop_at is not None and self.now_us >= self.stop_at and not self.in_isr:
            self.stop_at = None
            raise BoardStop()

    def c_call_us(self, us):
        """Main program: a C call that runs us without returning to the interpreter (a GC, a TLS
        handshake, a long print). Hard callbacks run meanwhile; scheduled ones after it."""
        was = self.in_c_call
        self.in_c_call = True
        try:
            self.run_until(self.now_us + us)
        finally:
            self.in_c_call = was
        self.run_until(self.now_us)
        self._check_stop()

    def irqs_off_us(self, us):
        """us with every interrupt held (a flash erase/program on rp2): they run late, afterwards."""
        was = self.irq_enabled
        self.irq_enabled = False
        try:
            self.run_until(self.now_us + us)
        finally:
            self.irq_enabled = was
        self.irqs_off_total += us
        if not self.in_isr:
            self.run_until(self.now_us)

    def at(self, us, fn):
        """The world changes at us: fn(ms) runs then (loop context), whatever the firmware is doing."""
        self._seq += 1
        q = self.world
        item = (us, self._seq, fn)
        i = len(q)
        while i > 0 and q[i - 1][0] > us:
            i -= 1
        q.insert(i, item)

    def ms(self):
        return self.now_us // 1000

    def busy_us(self, us):
        self.run_until(self.now_us + us)
        if not self.in_isr:
            self._check_stop()

    # -- pins -------------------------------------------------------------------------------------
    def pin(self, pid):
        s = self.pins.get(pid)
        if s is None:
            s = PinState(pid)
            self.pins[pid] = s
        return s

    def pin_written(self, s):
        # May run in interrupt context. No allocation (unless a runner hooks on_write).
        self.dirty = True
        if self.on_write is not None:
            self.on_write(s)

    def level(self, s):
        # May run in interrupt context. No allocation.
        if self.realtime:
            self.sync()
        self.now_us += CALL_US
        if s.pwm is not None:
            return s.pwm.level_at(self.now_us)
        if s.mode == _OUT:
            return s.out
        if s.id == self.sync_id:
            return self._pilot_level()
        return s.level

    def _pilot_level(self):
        p = self.pilot
        if p.pwm is not None:
            return p.pwm.level_at(self.now_us)
        return p.out if p.mode == _OUT else 0

    def irq_changed(self, s):
        pass

    def pwm_attach(self, s):
        if s.pwm is None:
            s.pwm = PwmState()
            s.pwm.t0 = self.now_us
        return s.pwm

    def set_input(self, pid, level, at_us):
        """Loop context: a wired input changed at at_us; an IRQ follows after the port's latency if armed."""
        if pid is None:
            return
        s = self.pin(pid)
        if level == s.level:
            return
        s.level = level
        if s.handler is not None and s.mode != _OUT and s.pwm is None:
            if s.trigger & (1 if level else 2):
                self._push(max(self.now_us, at_us) + self.latency(), s)

    def latency(self):
        return self.lat_min + (self.rng.next32() % (self.jitter + 1) if self.jitter > 0 else 0)

    def _push(self, due, s):
        self._seq += 1
        q = self.irqs
        item = (due, self._seq, s)
        i = len(q)
        while i > 0 and q[i - 1][0] > due:
            i -= 1
        q.insert(i, item)

    def active_out(self, pid, active_high):
        """True when an output drives its load: GPIO at the active level, or PWM >= HOLD_ON_PCT."""
        if pid is None:
            return False
        s = self.pins.get(pid)
        if s is None:
            return False
        if s.pwm is not None:
            d = s.pwm.duty if active_high else 65535 - s.pwm.duty
            return d * 100 >= HOLD_ON_PCT * 65535
        if s.mode != _OUT:
            return False
        return s.out == (1 if active_high else 0)

    def pwm_on(self, pid):
        s = self.pins.get(pid)
        return s is not None and s.pwm is not None and s.pwm.duty > 0

    # -- ADC --------------------------------------------------------------------------------------
    def adc_source(self, pid):
        f = self._adc.get(pid)
        if f is None:
            raise ValueError("no analog input wired to pin %r on this board" % (pid,))
        return f

    def _counts(self, adc_mv):
        # May run in interrupt context. No allocation.
        full = self.board.ADC_FULL_MV
        c = (adc_mv * 65536 // full) & 0xFFF0
        n = self._ni + 1
        if n >= _NOISE_LEN:
            n = 0
        self._ni = n
        c += self.noise[n]
        if c < 0:
            return 0
        if c > 65520:
            return 65520
        return c

    def _read_cp(self):
        # The pilot node at this instant, through the board's divider. May run in interrupt context.
        if self.realtime:
            self.sync()
        t = self.now_us
        b = self.board
        lvl = self._pilot_level()
        v = self.cp_hi if lvl else self.cp_lo
        pw = self.pilot.pwm
        if pw is not None and pw.pulsing():
            e = pw.since_edge(t)
            if e < RAMP_US:
                o = self.cp_lo if lvl else self.cp_hi
                v = o + (v - o) * e // RAMP_US
        self.now_us = t + self.adc_us  # the conversion and the call take time
        return self._counts(b.CP_ZERO_MV + v * b.CP_DEN // b.CP_NUM)

    def _read_pp(self):
        # May run in interrupt context.
        self.now_us += self.adc_us
        b = self.board
        return self._counts(self.pp_mv * b.PP_DEN // b.PP_NUM)

    def _read_temp(self):
        self.now_us += self.adc_us
        return self._counts(self.temp_mv)

    def adc_uv(self, counts):
        return counts * self.board.ADC_FULL_MV * 1000 // 65535

    # -- the bench --------------------------------------------------------------------------------
    def attach(self, bench):
        self.bench = bench

    def refresh(self, ms):
        """Loop context, bench settled at ms: analog levels and wired inputs (edges -> IRQs)."""
        bn = self.bench
        b = self.board
        self.cp_hi = cp_volts_mv(GEN_MV, bn.ev_ohm, bn.ev_diode, bn.cp_short)
        self.cp_lo = cp_volts_mv(-GEN_MV, bn.ev_ohm, bn.ev_diode, bn.cp_short)
        self.pp_mv = pp_volts_mv(bn.pp_ohm, b.PP_PULLUP_OHM, b.PP_PULLUP_MV)
        if bn.temp_dc is not None and bn.temp_dc > -10000:
            self.temp_mv = b.TEMP_ZERO_MV + bn.temp_dc * b.TEMP_MV_PER_10C // 100
        else:
            self.temp_mv = 0
        at = ms * 1000
        self.set_input(b.GFCI_TRIP, _lvl(bn.rcm.signal(ms), TRIP_LINE_HIGH_ON_TRIP), at)  # the circuit's polarity
        self.set_input(b.RELAY_SENSE, _lvl(bn.contactor.load_live(ms), b.RELAY_SENSE_ACTIVE_HIGH), at)
        self.set_input(b.LOCK_FEEDBACK, _lvl(bn.lock.locked(ms), b.LOCK_FEEDBACK_ACTIVE_HIGH), at)
        self.set_input(b.GROUND_SENSE, _lvl(bn.ground, b.GROUND_SENSE_ACTIVE_HIGH), at)

    def sync_outputs(self, ms):
        """Loop context: apply the firmware's output pins to the bench's models at ms."""
        self.dirty = False
        bn = self.bench
        b = self.board
        bn.contactor.command(self.active_out(b.CONTACTOR, b.CONTACTOR_ACTIVE_HIGH), ms)
        fwd = self.active_out(b.LOCK_DRIVE, True)
        back_pin = getattr(b, "LOCK_DRIVE_B", None)  # an H-bridge: one input per direction
        if back_pin is None:
            bn.lock.command(fwd, ms)
        else:
            back = self.active_out(back_pin, True)
            if fwd and back:
                self.lock_shorts += 1  # both bridge inputs on: a short on a discrete bridge
            bn.lock.drive(0 if fwd == back else 1 if fwd else -1, ms)
        test = self.pwm_on(b.GFCI_TEST)
        if test != bn.rcm.test_drive:
            bn.rcm.set_inputs(ms, test_drive=test)
        bn.settle(ms)
        self.refresh(ms)

    # -- time passes --------------------------------------------------------------------------------
    def _next_edge(self):
        fe = self.frame_end
        if fe is None and not self.unframed:
            return None
        s = self.pins.get(self.sync_id)
        pw = self.pilot.pwm
        if s is None or s.handler is None or not s.trigger or pw is None or not pw.pulsing():
            return None
        if fe is None:  # every edge while armed (tools/vboard/vmain.py)
            start = self.now_us if self.now_us > self._cursor else self._cursor
            e, rising = pw.next_edge(start)
            return e, rising
        start = fe - FRAME_US
        if self._cursor > start:
            start = self._cursor
        if self.now_us > start:  # not armed before now: nothing of the past is generated
            start = self.now_us
        e, rising = pw.next_edge(start)
        if e >= fe:
            return None
        return e, rising

    def run_until(self, target, idle=False):
        """Advance virtual time to target (us), firing frame edges, IRQs, timers and the watchdog.

        idle=True: the firmware declared these ticks quiet; each would have fed the watchdog."""
        while True:
            nxt = None
            kind = 0
            ed = self._next_edge()
            if ed is not None:
                nxt = ed[0]
                kind = 1
            irq = self._ready_irq()
            if irq is not None and (nxt is None or irq[0] < nxt):
                nxt = irq[0]
                kind = 2
            tm = self._ready_timer()
            if tm is not None and (nxt is None or tm[0] < nxt):
                nxt = tm[0]
                kind = 3
            if self.world and (nxt is None or self.world[0][0] < nxt):
                nxt = self.world[0][0]
                kind = 5
            if self.wdt_timeout is not None and not idle:
                dl = self.wdt_last + self.wdt_timeout
                if nxt is None or dl < nxt:
                    nxt = dl
                    kind = 4
            if nxt is None or nxt > target:
                break
            if kind == 1:
                e, rising = ed
                self._cursor = e + 1
                s = self.pins[self.sync_id]
                due = e + self.latency()
                # Only IRQs that fire before the step: one firing after it would hand the next step (which,
                # after an idle jump, may be minutes later) a sample from long ago; on a board the next
                # period's edges would have replaced it.
                if s.trigger & (1 if rising else 2) and (self.frame_end is None or due < self.frame_end):
                    self._push(due, s)
                continue
            if nxt > self.now_us:
                self.now_us = nxt
            elif kind == 2:
                self.irq_late += 1
            if kind == 2:
                self.irqs.remove(irq)
                s = irq[2]
                if s.trigger:  # disarmed meanwhile: the pending event went with it
                    self.irq_due = irq[0]
                    self.irq_timer = False
                    self._dispatch(s.handler, s.irq_obj)
            elif kind == 3:
                self.timers.remove(tm)
                if tm[1]:
                    due = tm[0] + tm[1]
                    q = self.quiet_until if self.quiet_until <= target else target + 1
                    if due < q:  # quiet up to q: straight to the first call on its grid from there
                        due += (q - due + tm[1] - 1) // tm[1] * tm[1]
                    self._timer_add(due, tm[1], tm[2], tm[3], tm[4])
                if tm[0] >= self.quiet_until:
                    self.irq_due = tm[0]
                    self.irq_timer = True
                    self.timer_calls += 1
                    self._dispatch(tm[2], tm[3])
            elif kind == 5:
                _, _, fn = self.world.pop(0)
                fn(self.now_us // 1000)
            else:
                self.reset(WDT_RESET)
        if target > self.now_us:
            self.now_us = target
        if idle and self.wdt_timeout is not None:
            self.wdt_last = self.now_us

    def _ready_irq(self):
        """The first pin IRQ that may run now: none while interrupts are held or inside a callback;
        inside a long C call, only hard ones."""
        if not self.irq_enabled or self.in_isr:
            return None
        for it in self.irqs:
            if not self.in_c_call or it[2].hard:
                return it
        return None

    def _ready_timer(self):
        if not self.timers or not self.irq_enabled or self.in_isr:
            return None
        for t in self.timers:
            if not self.in_c_call or t[4] or t[0] < self.quiet_until:
                return t
        return None

    def _dispatch(self, handler, arg):
        if handler is None:
            return
        self.in_isr = True
        try:
            handler(arg)
        finally:
            self.in_isr = False
        self.irq_count += 1
        if self.after_irq is not None:
            self.after_irq()

    # -- timers, watchdog, reset ------------------------------------------------------------------
    def _timer_add(self, due, period, cb, obj, hard=False):
        t = [due, period, cb, obj, hard]
        q = self.timers
        i = len(q)
        while i > 0 and q[i - 1][0] > due:
            i -= 1
        q.insert(i, t)
        return t

    def timer_start(self, periodic, period_ms, cb, obj, hard=False):
        p = period_ms * 1000
        return self._timer_add(self.now_us + p, p if periodic else 0, cb, obj, hard)

    def timer_stop(self, t):
        # t is the list timer_start returned; the queue holds it or, once it fired, its periodic successor
        for e in self.timers:
            if e is t or (e[2] is t[2] and e[3] is t[3]):
                self.timers.remove(e)
                return

    def wdt_start(self, timeout_ms):
        self.wdt_timeout = timeout_ms * 1000
        self.wdt_last = self.now_us

    def wdt_feed(self):
        self.wdt_last = self.now_us

    def reset(self, cause):
        """The board resets: every pin released (contactor coil off, pilot buffer input pulled to -12 V),
        IRQs, timers and the watchdog gone; then the runner boots the firmware again."""
        for s in self.pins.values():
            s.mode = _IN
            s.pwm = None
            s.handler = None
            s.trigger = 0
        self.irqs = []
        self.timers = []
        self.wdt_timeout = None
        self.frame_end = None
        self.irq_enabled = True
        self.quiet_until = 0
        self.reset_cause = cause
        self.resets += 1
        self.dirty = True
        if self.realtime:  # make vboard: the pty host sees the marker and powers the interpreter up again
            import sys

            sys.stdout.write(RESET_MARKER)
            raise SystemExit(RESET_EXIT)
        if cause != WDT_RESET:
            raise BoardReset()  # out of the firmware's call: the runner boots it again
        if self.on_reset is not None:
            self.on_reset(cause)


def _lvl(active, active_high):
    return (1 if active else 0) if active_high else (0 if active else 1)
