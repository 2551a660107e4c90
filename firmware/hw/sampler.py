# Pilot and proximity sampling synchronised to the pilot PWM. An IRQ on the edges of the pilot's sync input
# samples the plateau it lands in into preallocated arrays (a ring of the latest samples for the console's
# diag, and sums since the last arm); the control step takes the means once per tick.
# The IRQ is armed only for EDGES edges before each step (arm(), from the guard's timer 2 ms ahead) and
# disarms itself: 400 ISR calls a second instead of 2000. Where the IRQ cannot catch a plateau (shorter
# than the port's interrupt latency) the step falls back to a burst of reads over two periods keeping
# max/min; with a steady level it reads the ADC directly.
from array import array
from time import ticks_diff, ticks_us

from evse.compat import const
from evse.iodata import NO_SAMPLE

SETTLE_US = const(10)  # J1772: never sample within 10 us after an edge
BURST_US = const(2100)  # fallback: two 1 ms periods and a margin
_RING = const(8)  # samples kept per plateau (a power of two)
_RMASK = const(7)
_WRAP = const(0xFFFF)
_DIRECT = const(4)  # direct reads averaged with a steady level
EDGES = const(4)  # edges sampled per tick once armed: two of each plateau when none is discarded


class Sampler:
    """Edge-IRQ sampler. sync/cp/pp: the sync Pin and the two ADCs; high_level: sync level on the high plateau."""

    def __init__(self, sync, cp, pp, high_level, afe):
        self._level = sync.value  # bound methods, made once: the ISR only calls them
        self._cp = cp.read_u16
        self._pp = pp.read_u16
        self._hl = 1 if high_level else 0
        self.afe = afe
        self.hi = array("H", [0] * _RING)  # high-plateau CP counts
        self.lo = array("H", [0] * _RING)  # low-plateau CP counts
        self.ppc = array("H", [0] * _RING)  # PP counts, taken in the high plateau's frame
        self.cnt = array("H", [0, 0, 0])  # high samples, low samples, discarded (an edge during the read)
        # Since the last arm() or read(): high-plateau CP sum, low-plateau CP sum, PP sum, high count, low count.
        # At most a few samples each (the IRQ disarms itself after EDGES edges): far from overflow.
        self.acc = array("i", [0, 0, 0, 0, 0])
        self._bhi = 0
        self._blo = 0
        # Where each reading came from, for the board report: [isr high, isr low, burst, direct].
        # Counts wrap at 2**16 (an "I" item above 2**30 would be read as a big int: an allocation in the step).
        self.src = array("H", [0, 0, 0, 0])
        self._edges = EDGES  # edges taken since the last arm(); EDGES = disarmed
        self._trig = None  # the sync IRQ's trigger() method, bound once (attach())
        self._both = 0
        self.isr = self._isr

    def attach(self, irq, both):
        """irq: what Pin.irq() returned for isr; both: its rising|falling trigger. Loop context."""
        self._trig = irq.trigger
        self._both = both
        self._edges = 0  # armed as Pin.irq() left it

    def arm(self):
        """Take the next EDGES edges. Interrupt context (the guard's timer). No allocation."""
        a = self.acc
        a[0] = a[1] = a[2] = a[3] = a[4] = 0  # (before the IRQ is enabled: nothing can add meanwhile)
        self._edges = 0
        if self._trig is not None:
            self._trig(self._both)

    def _done(self):
        # Interrupt context. No allocation.
        self._edges = EDGES
        if self._trig is not None:
            self._trig(0)

    def _isr(self, _pin):
        # Interrupt context (hard IRQ on rp2; run by the scheduler on esp32). No allocation, integers only.
        t0 = ticks_us()
        lvl = self._level()
        while ticks_diff(ticks_us(), t0) < SETTLE_US:
            pass  # any edge before entry is now >= 10 us old
        c = self._cp()
        p = self._pp() if lvl == self._hl else 0
        n = self.cnt
        e = self._edges + 1
        self._edges = e
        if e >= EDGES:
            self._done()
        if self._level() != lvl:
            n[2] = (n[2] + 1) & _WRAP  # an edge came during the read: the sample may straddle plateaus
            return
        a = self.acc
        if lvl == self._hl:
            i = n[0]
            self.hi[i & _RMASK] = c
            self.ppc[i & _RMASK] = p
            n[0] = (i + 1) & _WRAP
            a[0] += c
            a[2] += p
            a[3] += 1
        else:
            i = n[1]
            self.lo[i & _RMASK] = c
            n[1] = (i + 1) & _WRAP
            a[1] += c
            a[4] += 1

    def _burst(self):
        # Loop context: back-to-back reads over two periods; keeps the extremes in _bhi/_blo. No allocation.
        rd = self._cp
        hi = 0
        lo = _WRAP
        t0 = ticks_us()
        while ticks_diff(ticks_us(), t0) < BURST_US:
            c = rd()
            if c > hi:
                hi = c
            if c < lo:
                lo = c
        self._bhi = hi
        self._blo = lo

    def _direct(self, rd):
        s = 0
        k = 0
        while k < _DIRECT:
            s += rd()
            k += 1
        return s // _DIRECT

    def read(self, io, pulsing):
        """Fill io.cp_high_mv, io.cp_low_mv and io.pp_ohm for this control period. Interrupt context
        (the step). No allocation."""
        if self._edges < EDGES:
            self._done()  # edges from now on would be a whole tick old at the next read
        afe = self.afe
        a = self.acc
        nh = a[3]
        nl = a[4]
        src = self.src
        if pulsing:
            if not nh or not nl:
                self._burst()
                src[2] = (src[2] + 1) & _WRAP
            if nh:
                io.cp_high_mv = afe.cp_mv(a[0] // nh)
                src[0] = (src[0] + 1) & _WRAP
            else:
                io.cp_high_mv = afe.cp_mv(self._bhi)
            if nl:
                io.cp_low_mv = afe.cp_mv(a[1] // nl)
                src[1] = (src[1] + 1) & _WRAP
            else:
                io.cp_low_mv = afe.cp_mv(self._blo)
        else:
            io.cp_high_mv = afe.cp_mv(self._direct(self._cp))
            io.cp_low_mv = NO_SAMPLE
            src[3] = (src[3] + 1) & _WRAP
        if pulsing and nh:
            io.pp_ohm = afe.pp_ohm(a[2] // nh)
        else:
            io.pp_ohm = afe.pp_ohm(self._direct(self._pp))
        a[0] = a[1] = a[2] = a[3] = a[4] = 0
