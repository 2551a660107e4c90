# JSON text for OCPP frames: sorted keys, ASCII only, the same bytes on CPython and MicroPython, and decimal
# numbers written from integer tenths (Dec) since floats print differently on the two interpreters.
from evse.jsonfmt import string


class Dec:
    """A decimal number with one digit after the point, kept as integer tenths: Dec(165) is 16.5."""

    def __init__(self, tenths):
        self.t = tenths

    def __eq__(self, other):
        return isinstance(other, Dec) and other.t == self.t

    def __repr__(self):
        return "Dec(%d)" % self.t


def dec_text(t):
    """'16.5' for 165 tenths, '-0.5' for -5."""
    sign = "-" if t < 0 else ""
    t = -t if t < 0 else t
    return "%s%d.%d" % (sign, t // 10, t % 10)


def dumps(obj):
    """JSON text for None, bool, int, Dec, str, list/tuple and dicts with str keys (sorted)."""
    out = []
    _enc(obj, out)
    return "".join(out)


def _enc(o, out):
    if o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif isinstance(o, int):
        out.append(str(o))
    elif isinstance(o, Dec):
        out.append(dec_text(o.t))
    elif isinstance(o, str):
        out.append(string(o))
    elif isinstance(o, (list, tuple)):
        out.append("[")
        first = True
        for v in o:
            if not first:
                out.append(",")
            first = False
            _enc(v, out)
        out.append("]")
    elif isinstance(o, dict):
        out.append("{")
        first = True
        for k in sorted(o):
            if not first:
                out.append(",")
            first = False
            out.append(string(str(k)))
            out.append(":")
            _enc(o[k], out)
        out.append("}")
    else:
        raise TypeError("jsonw: unsupported type")
