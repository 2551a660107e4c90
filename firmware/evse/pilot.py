# Control-pilot reading: high-plateau millivolts -> EV state with hysteresis, time filter, diode check.
from .compat import const

# EV state as read on the pilot (the session state lives in charger.py).
PS_A = const(0)  # 12 V: nothing connected
PS_B = const(1)  # 9 V: EV connected, not ready
PS_C = const(2)  # 6 V: EV ready
PS_D = const(3)  # 3 V: EV ready, ventilation required
PS_E = const(4)  # 0 V: CP shorted to PE (or EVSE unpowered)
PS_F = const(5)  # -12 V on the high plateau: only the EVSE may drive this
PS_INVALID = const(6)  # outside every window: pilot fault
READING_NAMES = ("A", "B", "C", "D", "E", "F", "invalid")

# One threshold table, top down (docs/standards.md "State windows", IEC 61851-1 Table A.4).
# Row i covers _BOUND[i] <= mV < _BOUND[i-1]. Where _UPPER[i] != _LOWER[i] the row is a hysteresis
# band: the previous state is kept if it is one of the two, otherwise the nearer half wins.
_BOUND = (13001, 11000, 10000, 8000, 7000, 5000, 4000, 2000, -1000, -2000, -10000, -11000, -13000)
_UPPER = (PS_INVALID, PS_A, PS_A, PS_B, PS_B, PS_C, PS_C, PS_D, PS_E, PS_E, PS_INVALID, PS_INVALID, PS_F)
_LOWER = (PS_INVALID, PS_A, PS_B, PS_B, PS_C, PS_C, PS_D, PS_D, PS_E, PS_INVALID, PS_INVALID, PS_F, PS_F)
_TOP = const(20000)  # upper edge used for the midpoint of the first row

# Filter: the believed state must be absent from the readings this long before a new one is believed:
# two readings in a row, 10 ms apart (each the mean of the plateaus of 2 pulses). With the 10 ms control
# tick the worst case is 20 ms from the change, plus the step's own time: inside our 30 ms budget from the
# EV's change to the contactor, with room for the step on the chip (issue 9: at 20 ms the worst was 30 ms
# plus the step, over the budget), and inside IEC 61851-1's 50 ms detection bound; a 200 ms C pulse is
# still reported; a glitch only one reading sees (under a tick) is ignored (docs/standards.md "Timing").
DEBOUNCE_MS = const(10)

# Diode check (docs/standards.md, tag N): while PWM runs the low plateau must reach -12 V,
# accepted -12.6 .. -11.4 V. Anything higher means the EV's diode is missing or shorted.
LOW_OK_MAX_MV = const(-11400)
LOW_OK_MIN_MV = const(-12600)  # below this the generator itself is out of tolerance

_TICKS_MASK = const(0x3FFFFFFF)  # time.ticks_ms() period on every MicroPython port


def since(now, t0):
    """Milliseconds from t0 to now on a wrapping ms counter. No allocation."""
    return (now - t0) & _TICKS_MASK


def classify_high(mv, prev):
    """EV state for a high-plateau reading in mV, keeping prev inside a hysteresis band."""
    i = 0
    n = len(_BOUND)
    while i < n and mv < _BOUND[i]:
        i += 1
    if i == n:  # below -13 V
        return PS_INVALID
    up = _UPPER[i]
    lo = _LOWER[i]
    if up == lo:
        return up
    if prev == up or prev == lo:
        return prev
    top = _BOUND[i - 1] if i else _TOP
    return up if 2 * mv >= _BOUND[i] + top else lo


def _keep_range(state):
    # The high-plateau mV for which classify_high(mv, state) keeps state: the rows that name it, if they are
    # next to each other. (0, 0) where they are not (the invalid reading): such a reading is never kept.
    rows = [i for i in range(len(_BOUND)) if _UPPER[i] == state or _LOWER[i] == state]
    if not rows or rows[-1] - rows[0] != len(rows) - 1 or rows[-1] == len(_BOUND) - 1 and state == PS_INVALID:
        return 0, 0
    return _BOUND[rows[-1]], (_BOUND[rows[0] - 1] if rows[0] else 100000)


# KEEP_MIN[s] <= mv < KEEP_MAX[s]: classify_high(mv, s) == s. Made once at import (the charger's quiet tick).
KEEP_MIN = tuple(_keep_range(s)[0] for s in range(PS_INVALID + 1))
KEEP_MAX = tuple(_keep_range(s)[1] for s in range(PS_INVALID + 1))


def low_plateau_ok(mv):
    """True when a low-plateau reading proves the EV's diode (-12 V reached)."""
    return LOW_OK_MIN_MV <= mv <= LOW_OK_MAX_MV


class PilotFilter:
    """Time filter over pilot readings: a change is believed once the believed state has been absent
    from every reading for DEBOUNCE_MS; the latest reading is then taken."""

    def __init__(self):
        self.stable = PS_A
        self._cand = -1  # the latest reading that differs from stable, -1 while they agree
        self._cand_t = 0  # when the readings first stopped agreeing with stable
        self._fresh = True  # next reading is adopted at once (boot, or after driving -12 V)

    def restart(self):
        """Forget the history: the next reading is adopted as it is (after -12 V, nothing was seen)."""
        self._fresh = True
        self._cand = -1

    def feed(self, mv, now):
        """Take one high-plateau reading at now (ms); return the filtered state. No allocation."""
        raw = classify_high(mv, self.stable)
        if self._fresh:
            self._fresh = False
            self.stable = raw
            self._cand = -1
        elif raw == self.stable:
            self._cand = -1
        elif self._cand < 0:
            self._cand = raw
            self._cand_t = now
        elif since(now, self._cand_t) >= DEBOUNCE_MS:
            # Not the believed state for DEBOUNCE_MS. Readings that disagree among themselves (a pilot
            # near a band midpoint) must not hold a stale C: take the latest (Table A.6: open in 100 ms).
            self.stable = raw
            self._cand = -1
        else:
            self._cand = raw
        return self.stable

    def settling(self):
        """True while a change is pending or the next reading will be adopted as it is."""
        return self._cand >= 0 or self._fresh
