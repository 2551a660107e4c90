# Wall-clock time for OCPP: the central system's time (BootNotification, Heartbeat) sets an offset from the
# board's ms clock; before that the time is unknown and only relative rules apply. ISO 8601 written and read
# here (MicroPython has no datetime). Times are Unix seconds (big ints on 32-bit ports: task context only).

_DAYS_BEFORE = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)


def days_from_civil(y, m, d):
    """Days since 1970-01-01 for a proleptic Gregorian date."""
    y -= 1 if m <= 2 else 0
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
    """(y, m, d) for days since 1970-01-01."""
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return (y + (1 if m <= 2 else 0), m, d)


def fmt_iso(secs):
    """'2026-12-01T12:00:00Z' for Unix seconds."""
    days, s = divmod(secs, 86400)
    y, m, d = civil_from_days(days)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (y, m, d, s // 3600, s // 60 % 60, s % 60)


def _num(t, i, n):
    v = 0
    for k in range(i, i + n):
        c = ord(t[k]) - 48
        if c < 0 or c > 9:
            raise ValueError
        v = v * 10 + c
    return v


def parse_iso(t):
    """Unix seconds for an RFC 3339 date-time ('2026-12-01T12:00:00.123Z', '+01:00' offsets; fractions are
    dropped), or None if t is not one."""
    try:
        if not isinstance(t, str) or len(t) < 20 or len(t) > 40:
            return None
        if t[4] != "-" or t[7] != "-" or t[10] not in "Tt" or t[13] != ":" or t[16] != ":":
            return None
        y = _num(t, 0, 4)
        mo = _num(t, 5, 2)
        d = _num(t, 8, 2)
        hh = _num(t, 11, 2)
        mi = _num(t, 14, 2)
        ss = _num(t, 17, 2)
        i = 19
        if t[i] == ".":
            i += 1
            j = i
            while i < len(t) and "0" <= t[i] <= "9":
                i += 1
            if i == j:
                return None
        z = t[i:]
        if z in ("Z", "z"):
            off = 0
        elif len(z) == 6 and z[0] in "+-" and z[3] == ":":
            off = _num(z, 1, 2) * 3600 + _num(z, 4, 2) * 60
            if z[0] == "-":
                off = -off
        else:
            return None
        if not (1 <= mo <= 12 and 1 <= d <= 31 and hh <= 23 and mi <= 59 and ss <= 60):
            return None
        return days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss - off
    except (ValueError, IndexError):
        return None


class Clock:
    """Unix time from the central system's, kept as an offset from the board's ms clock (which must not
    wrap between readings: the caller passes an uptime in ms that counts the wraps)."""

    def __init__(self):
        self.known = False
        self._base_s = 0  # Unix seconds at uptime _base_ms
        self._base_ms = 0

    def set(self, unix_s, now_ms):
        self.known = True
        self._base_s = unix_s
        self._base_ms = now_ms

    def now(self, now_ms):
        """Unix seconds now, or None before the central system's time is known."""
        if not self.known:
            return None
        return self._base_s + (now_ms - self._base_ms) // 1000

    def at(self, t_ms):
        """Unix seconds at uptime t_ms of this boot, or None."""
        return self.now(t_ms)
