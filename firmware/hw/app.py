# The control loop's body: sample, tick the core, apply its commands, feed the watchdog. One call per
# TICK_MS, from the asyncio task on a board or from the virtual board's clock.
from evse.charger import TICK_MS
from evse.iodata import PILOT_N12, ST_C2, ST_D2
from evse.pilot import since

_STEP_LATE_MS = 3 * TICK_MS  # a step this late is unhealthy: the dog is not fed


class App:
    """The whole firmware for one connector: hw (build.Hw), the core (evse.charger.Charger), a watchdog."""

    def __init__(self, hw, charger, wdt=None, settings=None, history=None):
        self.hw = hw
        self.charger = charger
        self.io = charger.io
        self.wdt = wdt
        self.settings = settings  # the evse.settings.Settings the firmware runs on
        self.history = history  # evse.history.History: fault counters and session log (console)
        self.steps = 0
        self.fed = 0
        self._last = None

    def step(self, now):
        """One control period at now (ms). Loop context."""
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
        hw.lock.set(io.lock)
        hw.rcm.test(io.rcd_test)
        if hw.led is not None:
            st = self.charger.state
            # on while charging, blinking 1 Hz on a fault, off otherwise
            hw.led.value(1 if st == ST_C2 or st == ST_D2 else (now // 500) & 1 if self.charger.faults else 0)
        if self.history is not None:
            self.history.observe(now, self.charger)  # small ints into slots only; flash writes elsewhere
        healthy = self._last is None or since(now, self._last) <= _STEP_LATE_MS
        self._last = now
        self.steps += 1
        if healthy and self.wdt is not None:
            self.wdt.feed()
            self.fed += 1

    def idle_until(self, now):
        """Like Charger.idle_until, for the whole firmware: what the virtual board may skip."""
        if self.hw.contactor.pending(now):
            return -1
        return self.charger.idle_until(now)

    def safe(self):
        """Force the safe state through the drivers: contactor open, pilot -12 V, test winding off."""
        hw = self.hw
        hw.contactor.open_now()
        hw.pilot.apply(PILOT_N12, 0)
        hw.rcm.test(False)
