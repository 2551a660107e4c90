# Deterministic JSON text: sorted keys, ASCII only, the same bytes on CPython and MicroPython.
# (MicroPython's json.dumps follows dict order, which is not insertion order there, and keeps non-ASCII.)

_ESC = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


class Fixed:
    """A decimal number for JSON made from an int: Fixed(16500, 3) is 16.5 (floats are never emitted: they
    format differently on the two interpreters). Trailing zeros go, down to one decimal."""

    def __init__(self, n, places):
        sign = "-" if n < 0 else ""
        n = -n if n < 0 else n
        d = 10 ** places
        frac = ("%0" + str(places) + "d") % (n % d)
        while len(frac) > 1 and frac[-1] == "0":
            frac = frac[:-1]
        self.text = "%s%d.%s" % (sign, n // d, frac)


def dumps(obj, compact=False):
    """JSON text for None, bool, int, Fixed, str, list/tuple and dicts with str keys (sorted). compact: no
    space after "," and ":" (OCPP frames, where every byte goes over the air)."""
    out = []
    _enc(obj, out, "," if compact else ", ", ":" if compact else ": ")
    return "".join(out)


def string(s):
    """JSON string literal for s (ASCII, control and non-ASCII characters escaped)."""
    out = []
    _str(s, out)
    return "".join(out)


def _enc(o, out, comma, colon):
    if o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif isinstance(o, int):
        out.append(str(o))
    elif isinstance(o, Fixed):
        out.append(o.text)
    elif isinstance(o, str):
        _str(o, out)
    elif isinstance(o, (list, tuple)):
        out.append("[")
        first = True
        for v in o:
            if not first:
                out.append(comma)
            first = False
            _enc(v, out, comma, colon)
        out.append("]")
    elif isinstance(o, dict):
        out.append("{")
        first = True
        for k in sorted(o):
            if not first:
                out.append(comma)
            first = False
            _str(str(k), out)
            out.append(colon)
            _enc(o[k], out, comma, colon)
        out.append("}")
    else:  # floats format differently on the two interpreters: never emitted
        raise TypeError("jsonfmt: unsupported type")


def _plain(s):
    """True if s needs no escape: printable ASCII without a quote or a backslash, the usual case. These
    checks run in C; the loop in _str costs about 2 us a character on an RP2040 (a status answer: 4x)."""
    if not s:
        return True
    b = s.encode()
    return len(b) == len(s) and min(b) >= 0x20 and max(b) < 0x7F and '"' not in s and "\\" not in s


def _str(s, out):
    if _plain(s):
        out.append('"')
        out.append(s)
        out.append('"')
        return
    out.append('"')
    for c in s:
        e = _ESC.get(c)
        if e is not None:
            out.append(e)
            continue
        n = ord(c)
        if 0x20 <= n < 0x7F:
            out.append(c)
        elif n < 0x10000:
            out.append("\\u%04x" % n)
        else:  # outside the BMP: a UTF-16 surrogate pair, as JSON requires
            n -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (n >> 10), 0xDC00 + (n & 0x3FF)))
    out.append('"')
