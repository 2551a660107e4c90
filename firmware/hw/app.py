# The control step: sample, tick the core, apply its commands, then the bookkeeping and the watchdog. One
# call per TICK_MS from a timer interrupt (hw/ticker.py), on a board and on the virtual board alike.
from evse.charger import TICK_MS
from evse.compat import const
from evse.iodata import PILOT_N12, RELAY_V_NONE, ST_C2, ST_D2

TYPE_CHECKING = False  # pyright takes the block below as true; at run time nothing is imported
if TYPE_CHECKING:
    from .ticker import Ticker

_STEP_LATE_MS = 3 * TICK_MS  # a step this late is unhealthy: the dog is not fed
# The main program (asyncio: console, housekeeping, later the network) must show life this often, or the
# steps stop feeding the watchdog and the board restarts: a stuck main program is noticed although the
# step itself runs on. Long enough for a TLS handshake or a 2 s blocking call (ours, tag I).
MAIN_STALL_MS = const(5000)
# The temperature is read every 100 ms (every tenth step): it changes over seconds and has no reaction figure in
# the standards (docs/standards.md), and the reading with its conversion is a tenth of the step's inputs.
TEMP_EVERY_MS = const(100)
# After a quiet tick nothing the history records (state, faults, offer) has changed: it is told of the time only
# once a second then, enough for its clock-wrap count (a wrap is 12 days) and its checkpoint timer.
HISTORY_EVERY_MS = const(1000)
_WRAP = const(0x3FFFFFFF)  # the ms clock's period (time.ticks_ms), for differences of times
# Counters wrap here, so that x + 1 is still a small int on 32-bit ports before it is masked (0x3FFFFFFF + 1
# is not: a big int, an allocation, a MemoryError in the timer interrupt after 124 days of steps).
_COUNT_WRAP = const(0x1FFFFFFF)


class App:
    """The whole firmware for one connector: hw (build.Hw), the core (evse.charger.Charger), a watchdog."""

    def __init__(self, hw, charger, wdt=None, settings=None, history=None):
        self.hw = hw
        self.charger = charger
        self.io = charger.io
        self.wdt = wdt
        self.settings = settings  # the evse.settings.Settings the firmware runs on
        self.history = history  # evse.history.History: fault counters and session log (console)
        self.steps = 0  # steps run (wraps at 2**29): the deadline guard watches it
        self.fed = 0
        self.stalls = 0  # deadline-guard trips
        self._last = None
        self._beat = None  # last sign of life of the main program (beat())
        self.ticker = None  # type: Ticker | None  # runs step() from its timers (main.start() makes it)
        self._commands = None
        self._led = -1  # the LED as last written
        self._settled = False  # the outputs as the core commands them, no driver timing: a quiet step skips them
        self._temp_t = 0  # the last temperature reading (ms), and whether this step took one
        self._temp_now = False
        self._hist_t = 0  # the last history.observe() (ms)
        # The plain inputs' pin reads, bound once (step()); None where the board has no such input.
        self._trip = hw.rcm.trip_value
        self._sense = hw.contactor.sense_value
        self._lock_fb = hw.lock.feedback_value
        self._ground = hw.ground.value if hw.ground is not None else None
        self.meter = None  # the meter driver (meter/*.py) and its energy accountant: fit_meter()
        self.energy = None
        self.meter_kind = "none"
        self._to_io = None  # the meter reading's to_io(), bound once
        self.net = None  # (WiFi station, MQTT client, bridge) when the network runs (net/task.py)

    def fit_meter(self, meter, energy, kind="meter"):
        """The fitted meter (its .reading) and its meter.account.Energy: the step reads the reading into the
        core's inputs, the history counts the energy. Loop context, before the ticker starts."""
        self.meter = meter
        self.energy = energy
        self.meter_kind = kind
        self._to_io = meter.reading.to_io
        if self.history is not None:
            self.history.energy = energy

    def step(self, now):
        """One control period at now (ms). Interrupt context (a timer). No allocation."""
        hw = self.hw
        io = self.io
        pilot = hw.pilot
        ch = self.charger
        hw.sampler.read(io, pilot.edges)
        # The plain inputs, read through the pins' own methods bound once (__init__): what the drivers'
        # level(), sense() and locked() return, without a call into each driver every 10 ms.
        io.rcd = self._trip() == 1
        rd = self._sense
        io.relay_v = RELAY_V_NONE if rd is None else 1 if rd() else 0
        rd = self._lock_fb
        io.lock_ok = rd is not None and rd() == 1
        rd = self._ground
        io.ground = rd is None or rd() == 1
        rd = self._to_io
        if rd is not None:
            rd(io)  # the meter task's last reading: ints into io (meter/reading.py), or io as it was
        self._temp_now = False
        if hw.temp is not None and (now - self._temp_t) & _WRAP >= TEMP_EVERY_MS:
            io.temp_dc = hw.afe.temp_dc(hw.temp.read_u16())
            self._temp_t = now
            self._temp_now = True
        ch.tick(now)
        # Outputs first: whatever the bookkeeping below does, the pilot and the contactor already obey. After a
        # quiet tick (the core changed nothing) they are as the last step left them, unless a driver is still
        # timing something (pull-in, a lock pulse) or safe()/stalled() wrote the pins since.
        if not (ch.quiet and self._settled):
            pilot.apply(io.pilot, io.duty)
            hw.contactor.set(io.relay, now)
            hw.lock.set(io.lock, now)
            hw.rcm.test(io.rcd_test)
            self._settled = not (hw.contactor.pending(now) or hw.lock.pending(now))
        if hw.led is not None:
            st = ch.state
            # on while charging, blinking 1 Hz on a fault, off otherwise; the pin is written on a change only
            led = 1 if st == ST_C2 or st == ST_D2 else (now // 500) & 1 if ch.faults else 0
            if led != self._led:
                self._led = led
                hw.led.value(led)
        h = self.history
        lim = ch.config  # (a session limit set: the history may have one due on this step; asked only then)
        if h is not None and (not ch.quiet or (now - self._hist_t) & _WRAP >= HISTORY_EVERY_MS
                              or ((lim.limit_ms or lim.limit_wh) and h.due(now, ch))):
            h.observe(now, ch)  # small ints into slots only; flash writes elsewhere
            self._hist_t = now
        # (since() written out: (b - a) & _WRAP is the ms from a to b on the wrapping clock)
        healthy = self._last is None or (now - self._last) & _WRAP <= _STEP_LATE_MS
        self._last = now
        self.steps = (self.steps + 1) & _COUNT_WRAP
        if self._beat is None:
            self._beat = now
        if healthy and self.wdt is not None and (now - self._beat) & _WRAP <= MAIN_STALL_MS:
            self.wdt.feed()
            self.fed = (self.fed + 1) & _COUNT_WRAP

    def beat(self, now):
        """The main program is alive at now (ms): called by its housekeeping task. Loop context."""
        self._beat = now

    def arm(self):
        """Arm the pilot sampler for the coming step. Interrupt context (the guard's timer). No allocation."""
        self.hw.sampler.arm()

    def stalled(self):
        """The deadline guard: no step for 40..50 ms. Opens the contactor and withdraws the core's close
        command (a close needs a new self-test). Interrupt context. No allocation."""
        self.hw.contactor.open_now()
        self.io.relay = False
        self._settled = False
        self.stalls += 1

    def idle_until(self, now):
        """Like Charger.idle_until, for the whole firmware: what the virtual board may skip."""
        if self.hw.contactor.pending(now) or self.hw.lock.pending(now):
            return -1
        idle = self.charger.idle_until(now)
        if self.history is not None:
            h = self.history.idle_until(now, self.charger)  # a session's time limit
            if h is not None and idle != -1 and (idle is None or h < idle):
                idle = h
        if self.hw.temp is not None and not self._temp_now and idle != -1:
            # An input may have changed since the temperature was last read: the step that reads it next is
            # not quiet (a board runs it 100 ms later at most; the virtual board must not skip it).
            due = self._temp_t + TEMP_EVERY_MS
            if idle is None or idle > due:
                return due
        return idle

    def diag(self):
        """Raw readings for the console's `diag`: (key, value) pairs. Console context (reads the ADCs
        once more, allocates); charging goes on."""
        hw = self.hw
        s = hw.sampler
        out = []
        n = getattr(s, "cnt", None)
        if n is not None:
            out.append(("cp_counts_high", s.hi[(n[0] - 1) & 7]))
            out.append(("cp_counts_low", s.lo[(n[1] - 1) & 7]))
            out.append(("sampler_discarded", n[2]))
        out.append(("cp_counts_now", hw.cp.read_u16()))
        out.append(("pp_counts_now", hw.pp.read_u16()))
        out.append(("temp_counts", hw.temp.read_u16() if hw.temp is not None else None))
        src = getattr(s, "src", None)
        if src is not None:
            out.append(("sampler_isr_high", src[0]))
            out.append(("sampler_isr_low", src[1]))
            out.append(("sampler_burst", src[2]))
            out.append(("sampler_direct", src[3]))
        out.append(("trip_line", bool(hw.rcm.level())))
        out.append(("ground_pin", None if hw.ground is None else hw.ground.value()))
        out.append(("steps", self.steps))
        return out

    def commands(self, clock_ms_fn, reboot_fn=None):
        """The firmware's one command layer (evse.commands.Commands), shared by every front end (the
        console now; MQTT, web and OCPP later). Imported on first use: a charger nobody talks to does not
        spend its RAM."""
        if self._commands is None:
            from evse.commands import Commands

            self._commands = Commands(self.charger, self.settings, self.history, clock_ms_fn, reboot_fn,
                                      self.diag)
            self._commands.fit_meter(self.meter_kind, self.meter.reading if self.meter is not None else None)
        return self._commands

    def safe(self):
        """Force the safe state through the drivers: contactor open, pilot -12 V, test winding off.
        May run in interrupt context. No allocation."""
        hw = self.hw
        self.io.relay = False
        self._settled = False
        hw.contactor.open_now()
        hw.pilot.apply(PILOT_N12, 0)
        hw.rcm.test(False)
