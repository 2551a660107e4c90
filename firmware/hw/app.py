# The control step: sample, tick the core, apply its commands, then the bookkeeping and the watchdog. One
# call per TICK_MS from a timer interrupt (hw/ticker.py), on a board and on the virtual board alike.
from evse.charger import TICK_MS
from evse.compat import const
from evse.iodata import PILOT_N12, ST_C2, ST_D2
from evse.pilot import since

TYPE_CHECKING = False  # pyright takes the block below as true; at run time nothing is imported
if TYPE_CHECKING:
    from .ticker import Ticker

_STEP_LATE_MS = 3 * TICK_MS  # a step this late is unhealthy: the dog is not fed
# The main program (asyncio: console, housekeeping, later the network) must show life this often, or the
# steps stop feeding the watchdog and the board restarts: a stuck main program is noticed although the
# step itself runs on. Long enough for a TLS handshake or a 2 s blocking call (ours, tag I).
MAIN_STALL_MS = const(5000)
_WRAP = const(0x3FFFFFFF)  # counters stay small ints on 32-bit ports


class App:
    """The whole firmware for one connector: hw (build.Hw), the core (evse.charger.Charger), a watchdog."""

    def __init__(self, hw, charger, wdt=None, settings=None, history=None):
        self.hw = hw
        self.charger = charger
        self.io = charger.io
        self.wdt = wdt
        self.settings = settings  # the evse.settings.Settings the firmware runs on
        self.history = history  # evse.history.History: fault counters and session log (console)
        self.steps = 0  # steps run (wraps at 2**30): the deadline guard watches it
        self.fed = 0
        self.stalls = 0  # deadline-guard trips
        self._last = None
        self._beat = None  # last sign of life of the main program (beat())
        self.ticker = None  # type: Ticker | None  # runs step() from its timers (main.start() makes it)
        self._commands = None
        self._led = -1  # the LED as last written

    def step(self, now):
        """One control period at now (ms). Interrupt context (a timer). No allocation."""
        hw = self.hw
        io = self.io
        pilot = hw.pilot
        hw.sampler.read(io, pilot.pulsing())
        io.rcd = hw.rcm.level()
        io.relay_v = hw.contactor.sense()
        io.lock_ok = hw.lock.locked()
        io.ground = hw.ground is None or hw.ground.value() == 1
        if hw.temp is not None:
            io.temp_dc = hw.afe.temp_dc(hw.temp.read_u16())
        self.charger.tick(now)
        # Outputs first: whatever the bookkeeping below does, the pilot and the contactor already obey.
        pilot.apply(io.pilot, io.duty)
        hw.contactor.set(io.relay, now)
        hw.lock.set(io.lock, now)
        hw.rcm.test(io.rcd_test)
        if hw.led is not None:
            st = self.charger.state
            # on while charging, blinking 1 Hz on a fault, off otherwise; the pin is written on a change only
            led = 1 if st == ST_C2 or st == ST_D2 else (now // 500) & 1 if self.charger.faults else 0
            if led != self._led:
                self._led = led
                hw.led.value(led)
        if self.history is not None:
            self.history.observe(now, self.charger)  # small ints into slots only; flash writes elsewhere
        healthy = self._last is None or since(now, self._last) <= _STEP_LATE_MS
        self._last = now
        self.steps = (self.steps + 1) & _WRAP
        if self._beat is None:
            self._beat = now
        if healthy and self.wdt is not None and since(now, self._beat) <= MAIN_STALL_MS:
            self.wdt.feed()
            self.fed = (self.fed + 1) & _WRAP

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
        self.stalls += 1

    def idle_until(self, now):
        """Like Charger.idle_until, for the whole firmware: what the virtual board may skip."""
        if self.hw.contactor.pending(now) or self.hw.lock.pending(now):
            return -1
        return self.charger.idle_until(now)

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
        return self._commands

    def safe(self):
        """Force the safe state through the drivers: contactor open, pilot -12 V, test winding off.
        May run in interrupt context. No allocation."""
        hw = self.hw
        self.io.relay = False
        hw.contactor.open_now()
        hw.pilot.apply(PILOT_N12, 0)
        hw.rcm.test(False)
