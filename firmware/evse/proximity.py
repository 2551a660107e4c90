# Proximity pin: IEC 62196 cable coding for a Type 2 socket, and the J1772 latch (S3) for a tethered cable.
from .compat import const
from .iodata import PP_OPEN

# IEC 61851-1 Table B.2 / IEC 62196 (docs/standards.md "Proximity pilot", tag S). Rows top down:
# a resistance at or above _RC_BOUND[i] (and below the row above) codes _RC_MA[i]. Readings between
# two nominal ranges take the lower ampacity; above 4.5 kOhm there is no cable.
# 100 Ohm codes 63 A three-phase or 70 A single-phase: we take 63 A, the lower, for both.
# Below the 63 A range (80 Ohm) is no cable. The standard says so below 60 Ohm; 60-80 Ohm lies
# between "no cable" and the highest ampacity, and we take the safe side (tag I): nothing offered.
_RC_BOUND = (4501, 937, 309, 141, 80)
_RC_MA = (0, 13000, 20000, 32000, 63000)


def type2_cable_ma(ohm):
    """Cable ampacity (mA) from its Rc, or 0 for no cable / out of range."""
    if ohm == PP_OPEN:
        return 0
    for i in range(len(_RC_BOUND)):
        if ohm >= _RC_BOUND[i]:
            return _RC_MA[i]
    return 0


# J1772 / Type 1 latch, seen by an EVSE that senses PP on its tethered cable (docs/standards.md, tag S):
# S3 closed -> 150 Ohm, release button pressed -> 150 + 330 = 480 Ohm. The windows around the two
# nominal values are ours (tag I): wide enough for resistor and ADC tolerance, disjoint.
LATCH_ENGAGED = const(0)
LATCH_PRESSED = const(1)
LATCH_INVALID = const(2)  # open circuit, short, or between the windows: cable fault
_ENGAGED_MIN = const(100)
_ENGAGED_MAX = const(300)
_PRESSED_MIN = const(330)
_PRESSED_MAX = const(800)


def j1772_latch(ohm):
    """LATCH_ENGAGED, LATCH_PRESSED or LATCH_INVALID for a PP-PE reading in ohm."""
    if _ENGAGED_MIN <= ohm <= _ENGAGED_MAX:
        return LATCH_ENGAGED
    if _PRESSED_MIN <= ohm <= _PRESSED_MAX:
        return LATCH_PRESSED
    return LATCH_INVALID


# The quiet tick (charger.py) keeps a reading's window: the ohms that give the same answer as ohm.
_NONE_MIN = const(1)  # an empty window: min > max, no reading is kept
_NONE_MAX = const(0)
_ANY = const(0x3FFFFFFF)


def pp_window(ohm, type2, upper):
    """The bound (upper: the highest, else the lowest ohm) of a window of readings around ohm that all give what
    ohm gives: type2_cable_ma (type2) or j1772_latch. An empty window (min > max) for an invalid latch: such a
    reading is never taken as unchanged. No allocation."""
    if type2:
        if ohm < 0:  # PP_OPEN (no plug): that reading alone
            return ohm
        i = 0
        while i < len(_RC_BOUND) and ohm < _RC_BOUND[i]:
            i += 1
        if i == 0:  # above 4.5 kOhm: no cable (the window need only lie inside what reads the same)
            return _ANY if upper else _RC_BOUND[0]
        if i == len(_RC_BOUND):  # below 80 Ohm: no cable either
            return _RC_BOUND[i - 1] - 1 if upper else 0
        return _RC_BOUND[i - 1] - 1 if upper else _RC_BOUND[i]
    latch = j1772_latch(ohm)
    if latch == LATCH_ENGAGED:
        return _ENGAGED_MAX if upper else _ENGAGED_MIN
    if latch == LATCH_PRESSED:
        return _PRESSED_MAX if upper else _PRESSED_MIN
    return _NONE_MAX if upper else _NONE_MIN
