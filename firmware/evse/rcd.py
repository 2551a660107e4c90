# Residual-current (GFCI / CCID / RDC-DD) supervision: self-test sequence and trip/reclose policy.
from .compat import const
from .pilot import since

# Self-test before every contactor close (UL 2231-2; docs/standards.md "Residual current", tag S):
# drive the test winding, the monitor must signal, then release once the drive stops.
SELFTEST_SETTLE_MAX_MS = const(500)  # signal must be quiet before the test starts (tag I)
SELFTEST_DRIVE_MAX_MS = const(1000)  # "test current for up to ~1 s" (tag S)
SELFTEST_RELEASE_MAX_MS = const(500)  # signal must drop after the drive stops (tag I)

# Automatic reclosure after a trip (UL 2231-2, tag N): no sooner than 15 min, at most 4 times;
# the trip after the 4th reclosure latches until a service reset.
RECLOSE_DELAY_MS = const(900000)
MAX_RECLOSURES = const(4)

# Self-test phases
IDLE = const(0)
SETTLE = const(1)
DRIVE = const(2)
RELEASE = const(3)
PASSED = const(4)  # valid for the next contactor close only
FAILED = const(5)


class Rcd:
    """Self-test sequencer and trip bookkeeping. tick() drives the test winding output."""

    def __init__(self):
        self.phase = IDLE
        self._t = 0
        self.trips = 0  # trips since the last clean end of session or service reset
        self.trip_t = 0  # when the last trip was seen (ms)
        self.tripped = False  # a trip is waiting for its reclosure time
        self.selftest_count = 0  # self-tests passed since boot (for the console / log)

    def start_selftest(self, now):
        """Begin a self-test (contactor must be open). No allocation."""
        self.phase = SETTLE
        self._t = now

    def cancel(self):
        """Drop a test in progress or a pass not yet used."""
        if self.phase != FAILED:
            self.phase = IDLE

    def passed(self):
        return self.phase == PASSED

    def testing(self):
        return SETTLE <= self.phase <= RELEASE

    def tick(self, now, signal):
        """Advance the self-test; return True to drive the test winding. No allocation."""
        ph = self.phase
        if ph == SETTLE:
            if not signal:
                self.phase = DRIVE
                self._t = now
                return True
            if since(now, self._t) >= SELFTEST_SETTLE_MAX_MS:
                self.phase = FAILED
            return False
        if ph == DRIVE:
            if signal:
                self.phase = RELEASE
                self._t = now
                return False
            if since(now, self._t) >= SELFTEST_DRIVE_MAX_MS:
                self.phase = FAILED
                return False
            return True
        if ph == RELEASE:
            if not signal:
                self.phase = PASSED
                self.selftest_count += 1
            elif since(now, self._t) >= SELFTEST_RELEASE_MAX_MS:
                self.phase = FAILED
        return False

    def trip(self, now):
        """Record a real trip; return True if it must latch (reclosures used up)."""
        self.trips += 1
        self.trip_t = now
        self.tripped = True
        if self.phase != FAILED:
            self.phase = IDLE
        return self.trips > MAX_RECLOSURES

    def reclose_due(self, now):
        """True once a non-latched trip has waited its 15 minutes."""
        return self.tripped and since(now, self.trip_t) >= RECLOSE_DELAY_MS

    def reset(self):
        """Service reset, or a clean end of session: forget trips and failures."""
        self.trips = 0
        self.tripped = False
        self.phase = IDLE
