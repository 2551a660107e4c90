# JSON text for OCPP frames: evse/jsonfmt.py's encoder (sorted keys, ASCII only, the same bytes on CPython
# and MicroPython) without spaces, and decimal numbers written from integer tenths (Dec) since floats print
# differently on the two interpreters.
from evse.jsonfmt import Fixed
from evse.jsonfmt import dumps as _dumps


class Dec(Fixed):
    """A decimal number with one digit after the point, kept as integer tenths: Dec(165) is 16.5."""

    def __init__(self, tenths):
        Fixed.__init__(self, tenths, 1)
        self.t = tenths

    def __eq__(self, other):
        return isinstance(other, Dec) and other.t == self.t

    def __repr__(self):
        return "Dec(%d)" % self.t


def dumps(obj):
    """Compact JSON text for None, bool, int, Dec, str, list/tuple and dicts with str keys (sorted)."""
    return _dumps(obj, True)
