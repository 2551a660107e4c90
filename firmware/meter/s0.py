# S0 pulse input (IEC 62053-31): a meter's opto output closes once per 1/ppk kWh. A pin IRQ counts the
# pulses; the meter task turns the count into lifetime Wh and the pulse interval into W.
from evse.compat import const
from evse.pilot import since

from .reading import Reading
from .reasons import OK

_MASK = const(0x3FFFFFFF)  # the pulse counter wraps here: a small int on 32-bit ports
IDLE_MS = const(60000)  # no pulse for this long: the power reads 0 (see S0Meter.sample)


class S0Meter:
    """ppk: pulses per kWh (the meter's label says, e.g. 1000 or 800). min_gap_ms: an edge this soon after
    the last counted one is ignored (IEC 62053-31: a pulse lasts >= 30 ms, so two real ones are further
    apart). clock() -> ms (time.ticks_ms), read in the ISR too: it must not allocate.
    The board attaches isr to the pin's falling edge (the opto pulls the line low), hard if the port can."""

    def __init__(self, ppk=1000, phases=1, min_gap_ms=20, clock=None, lost_after=1):
        if ppk <= 0:
            raise ValueError("pulses per kWh")
        if clock is None:
            from time import ticks_ms

            clock = ticks_ms
        self._clock = clock
        self.ppk = ppk
        self.min_gap_ms = min_gap_ms
        self.reading = Reading(phases)
        self.reading.amps = False  # pulses give energy and power, never current
        self.staging = Reading(phases)
        self.check = None  # pulses cannot be nonsense; too fast ones are filtered in the ISR
        self.lost_after = lost_after
        self._mj = 3600000000 // ppk  # mJ (mW s) per pulse: W = mJ / ms between pulses
        # Written by the ISR only
        self.count = 0  # pulses counted, wrapping at 2**30
        self.last_t = 0  # ticks_ms of the last counted pulse
        self.dt = 0  # ms between the last two counted pulses (0: fewer than two yet)
        self.ignored = 0  # edges dropped by min_gap_ms (wraps)
        # Kept by the task
        self._seen = 0  # count at the last sample
        self._rem = 0  # pulses * 1000 not yet a whole Wh
        self._wh = 0
        self.isr = self._isr  # bound once: the IRQ handler
        self.pin = None  # the input pin and its IRQ object, kept by meter.build
        self.irq = None

    def _isr(self, _pin):
        # Interrupt context (pin IRQ). No allocation: small ints and attribute stores only.
        t = self._clock()
        if self.count or self.dt:
            gap = since(t, self.last_t)
            if gap < self.min_gap_ms:
                self.ignored = (self.ignored + 1) & _MASK
                return
            self.dt = gap if gap > 0 else 1
        else:
            self.dt = 0
        self.last_t = t
        self.count = (self.count + 1) & _MASK

    def _snapshot(self):
        # The ISR may run between the reads: read until two passes agree (a seqlock on the counter).
        while True:
            c = self.count
            t = self.last_t
            dt = self.dt
            if c == self.count:
                return c, t, dt

    def power_w(self, t, dt, now):
        """W from the pulse interval: one pulse's energy over max(last interval, time since the last pulse),
        so the figure decays as 1/t while no pulse comes, and 0 after IDLE_MS or before two pulses."""
        if dt <= 0:
            return 0
        quiet = since(now, t)
        if quiet > IDLE_MS:
            return 0
        return self._mj // (quiet if quiet > dt else dt)

    async def sample(self, now):
        c, t, dt = self._snapshot()
        new = (c - self._seen) & _MASK
        self._seen = c
        acc = self._rem + new * 1000
        self._wh += acc // self.ppk
        self._rem = acc % self.ppk
        s = self.staging
        s.energy_wh = self._wh
        p = self.power_w(t, dt, now)
        s.power_w = p
        s.phase_w[0] = p
        return OK
