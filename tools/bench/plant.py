# The hardware around the pilot: contactor, residual-current monitor, socket lock, ground, temperature.
# Every model works in integer virtual ms. Commands take now_ms. To change an attribute input (a flag) at
# virtual time t: update(t), change it, update(t) (ResidualMonitor.set_inputs does this for you).
# next_change_ms(now_ms) gives the next time an output changes by itself with inputs held (or None),
# so a runner can jump virtual time and still see every change.
from evse.iodata import TEMP_NONE

# Contactor timing: typical figures for EV-charger contactors (ASSUMED, not from a standard).
PULL_IN_MS = 25  # coil energised -> main contacts closed
DROP_OUT_MS = 15  # coil released -> main contacts open

# Residual current, AC, two monitors a scenario can choose ("monitor", docs/scenarios.md):
# "ccid20" (default): UL 2231-2 CCID20 threshold with the UL 943 inverse-time curve (S): 30 mA -> 560 ms.
AC_THRESHOLD_MA = 20
CURVE_REF_MA = 20  # T = (CURVE_REF_MA / I) ** CURVE_EXP seconds (UL 943: 264 mA -> 25 ms)
CURVE_EXP = 1.43
MIN_TRIP_MS = 10  # floor of the curve for very large currents
# "iec30": a 30 mA general-type RCD as IEC 61008-1 / 61009-1 bound it (S): at the rated 30 mA within
# 300 ms, at 2x within 150 ms, at 5x within 40 ms. Modelled at those limits (the slowest allowed); a
# real one may trip from 15 mA (half the rating), which the model leaves out: it trips at 30 mA.
IEC_THRESHOLD_MA = 30
IEC_STEPS = ((150, 40), (60, 150), (30, 300))  # (from mA, trip ms), largest current first
MONITORS = ("ccid20", "iec30")
# DC: IEC 62955 RDC-DD removes supply at >= 6 mA smooth DC; the 100 ms delay is ASSUMED.
DC_THRESHOLD_MA = 6
DC_TRIP_MS = 100
TEST_TRIP_MS = 20  # self-test: the injected test current is far above threshold
RELEASE_MS = 10  # trip output falls this long after the last cause is gone
# The monitor module's trip output as wired on the reference boards (docs/hardware.md): an open-drain
# output that conducts while all is well and lets go on a fault, with a pull-up on the board, so the line
# is high on a trip. The virtual board drives the pin from this, not from the board file's flag, so a
# board file that disagrees with the circuit reads a permanent trip there, as it would on the bench.
TRIP_LINE_HIGH_ON_TRIP = True

LOCK_TRAVEL_MS = 300  # socket lock actuator travel, both directions (ASSUMED)


def ac_trip_ms(residual_ma, monitor="ccid20"):
    """Trip time (ms) of the monitor's AC curve for residual_ma, or None below its threshold."""
    if monitor == "iec30":
        for ma, ms in IEC_STEPS:
            if residual_ma >= ma:
                return ms
        return None
    if residual_ma < AC_THRESHOLD_MA:
        return None
    t = int(1000.0 * (CURVE_REF_MA / residual_ma) ** CURVE_EXP + 0.5)
    if t < MIN_TRIP_MS:
        return MIN_TRIP_MS
    return t


def _later(t, now_ms):
    return t if t > now_ms else None


class Contactor:
    """Main contactor with load-side voltage sense. Flags: weld, fail_close; input: mains."""

    def __init__(self):
        self.weld = False  # contacts, once closed, do not open again
        self.fail_close = False  # contacts never close
        self.mains = True  # supply present on the line side
        self._cmd = False
        self._cmd_ms = 0
        self._closed = False

    def update(self, now_ms):
        """Settle the contacts up to now_ms."""
        if self._cmd:
            if not self._closed and not self.fail_close and now_ms >= self._cmd_ms + PULL_IN_MS:
                self._closed = True
        elif self._closed and not self.weld and now_ms >= self._cmd_ms + DROP_OUT_MS:
            self._closed = False

    def command(self, closed, now_ms):
        """Energise (True) or release (False) the coil at now_ms."""
        self.update(now_ms)
        closed = bool(closed)
        if closed != self._cmd:
            self._cmd = closed
            self._cmd_ms = now_ms
            self.update(now_ms)

    def closed_contacts(self, now_ms):
        """True while the main contacts are closed."""
        self.update(now_ms)
        return self._closed

    def load_live(self, now_ms):
        """Load-side voltage present: contacts closed and mains present."""
        return self.closed_contacts(now_ms) and self.mains

    def next_change_ms(self, now_ms):
        """When the contacts next move by themselves, or None."""
        self.update(now_ms)
        if self._cmd:
            if not self._closed and not self.fail_close:
                return _later(self._cmd_ms + PULL_IN_MS, now_ms)
        elif self._closed and not self.weld:
            return _later(self._cmd_ms + DROP_OUT_MS, now_ms)
        return None


class ResidualMonitor:
    """Residual-current monitor (CCID20 AC curve, 6 mA DC, self-test winding) and its trip output.

    Inputs: residual_ma (AC), residual_dc_ma, test_drive, dead. After changing one at virtual time t,
    call update(t) (or set_inputs) so its timer starts at t.
    """

    def __init__(self, monitor="ccid20"):
        self.monitor = monitor  # the AC curve: one of MONITORS
        self.residual_ma = 0
        self.residual_dc_ma = 0
        self.test_drive = False
        self.dead = False  # sensor dead: never signals
        # per cause (AC, DC, test): start ms or None, due ms, tripped
        self._start = [None, None, None]
        self._due = [0, 0, 0]
        self._tripped = [False, False, False]
        self._release_ms = None  # output stays high until this ms after the last cause went

    def _trip_ms(self, i):
        if self.dead:
            return None
        if i == 0:
            return ac_trip_ms(self.residual_ma, self.monitor)
        if i == 1:
            return DC_TRIP_MS if self.residual_dc_ma >= DC_THRESHOLD_MA else None
        return TEST_TRIP_MS if self.test_drive else None

    def update(self, now_ms):
        """Advance to now_ms with the current inputs (call after every input change)."""
        was_high = False
        for i in range(3):
            if self._start[i] is not None and (self._tripped[i] or now_ms >= self._due[i]):
                self._tripped[i] = True
                was_high = True
        high = False
        for i in range(3):
            t = self._trip_ms(i)
            if t is None:
                self._start[i] = None
                self._tripped[i] = False
                continue
            if self._start[i] is None:
                self._start[i] = now_ms
            if not self._tripped[i]:
                self._due[i] = self._start[i] + t
                if now_ms >= self._due[i]:
                    self._tripped[i] = True
            high = high or self._tripped[i]
        if self.dead:
            self._release_ms = None
        elif was_high and not high:
            self._release_ms = now_ms + RELEASE_MS

    def set_inputs(self, now_ms, residual_ma=None, residual_dc_ma=None, test_drive=None, dead=None):
        """Change the given inputs at now_ms (None = keep), settling the state before and after."""
        self.update(now_ms)
        if residual_ma is not None:
            self.residual_ma = residual_ma
        if residual_dc_ma is not None:
            self.residual_dc_ma = residual_dc_ma
        if test_drive is not None:
            self.test_drive = test_drive
        if dead is not None:
            self.dead = dead
        self.update(now_ms)

    def _high_at(self, t):
        # output at time t >= last update, inputs held
        if self.dead:
            return False
        for i in range(3):
            if self._start[i] is not None and (self._tripped[i] or t >= self._due[i]):
                return True
        return self._release_ms is not None and t < self._release_ms

    def signal(self, now_ms):
        """The trip output: True while tripped, until RELEASE_MS after every cause is gone."""
        self.update(now_ms)
        return self._high_at(now_ms)

    def next_change_ms(self, now_ms):
        """When signal() next flips with inputs held, or None."""
        self.update(now_ms)
        times = []
        for i in range(3):
            if self._start[i] is not None and not self._tripped[i] and self._due[i] > now_ms:
                times.append(self._due[i])
        if self._release_ms is not None and self._release_ms > now_ms:
            times.append(self._release_ms)
        times.sort()
        level = self._high_at(now_ms)
        for t in times:
            if self._high_at(t) != level:
                return t
        return None


class SocketLock:
    """Type 2 socket lock actuator with a "locked" feedback switch. Flag: jammed (never confirms locked).
    It moves only while driven, LOCK_TRAVEL_MS from end to end: command() is a level drive (held on or
    off), drive() an H-bridge (+1 towards locked, -1 back, 0 off: it stays where it stopped, so a pulse
    shorter than the travel leaves it short of the end). The switch closes at the locked end and opens
    once it is back at the unlocked end."""

    def __init__(self):
        self.jammed = False
        self._dir = 0  # -1, 0, +1: the direction it is driven in now
        self._pos = 0  # ms of travel from the unlocked end (0) towards locked (LOCK_TRAVEL_MS)
        self._t = 0
        self._locked = False

    def update(self, now_ms):
        """Settle the actuator up to now_ms."""
        if now_ms > self._t:
            if self._dir:
                p = self._pos + self._dir * (now_ms - self._t)
                self._pos = 0 if p < 0 else LOCK_TRAVEL_MS if p > LOCK_TRAVEL_MS else p
            self._t = now_ms
        if self._pos >= LOCK_TRAVEL_MS and not self.jammed:
            self._locked = True
        elif self._pos <= 0:
            self._locked = False

    def drive(self, direction, now_ms):
        """H-bridge: +1 drives towards locked, -1 towards unlocked, 0 leaves it where it is, from now_ms."""
        self.update(now_ms)
        self._dir = direction
        self.update(now_ms)

    def command(self, lock, now_ms):
        """Level drive: towards locked (True) or unlocked (False) from now_ms, until told otherwise."""
        self.drive(1 if lock else -1, now_ms)

    def locked(self, now_ms):
        """Feedback: True when the lock confirms locked."""
        self.update(now_ms)
        return self._locked

    def next_change_ms(self, now_ms):
        """When the feedback next changes by itself, or None."""
        self.update(now_ms)
        if self._dir > 0 and not self._locked and not self.jammed:
            return _later(now_ms + LOCK_TRAVEL_MS - self._pos, now_ms)
        if self._dir < 0 and self._locked:
            return _later(now_ms + self._pos, now_ms)
        return None


class Ground:
    """Protective earth: present or not (set the attribute)."""

    def __init__(self, present=True):
        self.present = present

    def next_change_ms(self, now_ms):
        """Never changes by itself."""
        return None


class TempSensor:
    """Temperature in tenths of a degree C, or TEMP_NONE when no sensor is fitted."""

    def __init__(self, temp_dc=TEMP_NONE):
        self.temp_dc = temp_dc

    def next_change_ms(self, now_ms):
        """Never changes by itself."""
        return None
