# The console's logic, independent of any transport: bytes in (feed) or whole lines (handle_line),
# replies out as `OK ...` / `ERR <code> <message>` text, or exactly one JSON line each in json mode.
# It runs in the console task, never in the charger's control tick. Commands: docs/console.md.
import sys

from .compat import const
from . import VERSION, errcodes, faults, iodata, jsonfmt
from . import settings as _settings

MAX_LINE = const(120)  # bytes; a longer line is discarded with ERR 5
UNLOCK_MS = const(300000)  # `unlock` lasts 5 minutes of clock time
PIN_TRIES = const(3)  # wrong PINs before a lockout
LOCKOUT_MS = const(30000)  # first lockout; doubles with each further one
LOCKOUT_MAX_MS = const(3840000)  # 30 s doubled 7 times (64 min): the cap

_TICKS_MASK = const(0x3FFFFFFF)  # time.ticks_ms() period on every MicroPython port
_BS = const(8)
_TAB = const(9)
_LF = const(10)
_CR = const(13)
_DEL = const(127)

# name, needs unlock when a PIN is set, usage, help. Sorted by name.
_COMMANDS = (
    ("disable", True, "disable", "stop service: pilot -12 V (state F), contactor open"),
    ("enable", True, "enable", "back to normal service"),
    ("factory-reset", True, "factory-reset", "restore every default (PIN too) and save"),
    ("faults", False, "faults", "active faults and fault history"),
    ("get", False, "get <name>", "show one setting"),
    ("help", False, "help", "this list"),
    ("json", False, "json", "replies as one JSON line each"),
    ("lock", False, "lock", "end the unlocked period now"),
    ("log", False, "log", "last charging sessions"),
    ("reboot", True, "reboot", "restart the controller"),
    ("reset", True, "reset", "service reset: clear latched faults"),
    ("revert", True, "revert", "drop unsaved changes: reload settings from flash"),
    ("save", True, "save", "write settings to flash"),
    ("selftest", True, "selftest", "run the residual-current self-test now"),
    ("set", True, "set <name> <value>", "change a setting now (save keeps it)"),
    ("settings", False, "settings", "every setting: type, range, unit, default, value"),
    ("sleep", True, "sleep", "stop offering current; contactor opens when the EV stops"),
    ("status", False, "status", "state, pilot, contactor, faults, temperature, limits, uptime"),
    ("text", False, "text", "replies as text"),
    ("unlock", False, "unlock <pin>", "allow writes for 5 minutes"),
    ("version", False, "version", "firmware and interpreter version"),
)


class ConsoleError(Exception):
    """A command's refusal: becomes `ERR <code> <message>`."""

    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code
        self.msg = msg


def _noop():
    pass


class Console:
    """Console(charger, settings, history, clock_ms_fn, write_fn, reboot_fn=None).

    clock_ms_fn() returns milliseconds (monotonic; one wrap of a ticks_ms-like clock is tolerated);
    write_fn(str) sends text; reboot_fn() restarts the board (default: nothing); history may be None."""

    def __init__(self, charger, settings, history, clock_ms_fn, write_fn, reboot_fn=None):
        self.charger = charger
        self.settings = settings
        self.history = history
        self._clock = clock_ms_fn
        self._write_fn = write_fn
        self._reboot_fn = reboot_fn if reboot_fn is not None else _noop
        self.json = False  # reply mode
        self._t0 = clock_ms_fn()
        self._buf = bytearray(MAX_LINE)
        self._n = 0
        self._long = False  # the line passed MAX_LINE bytes
        self._ctrl = False  # the line held a forbidden control byte
        self._after_cr = False  # swallow the LF of a CR LF pair
        self._unlocked = False
        self._unlock_t = 0
        self._wrong = 0
        self._lockouts = 0
        self._lockout_ms = 0  # 0: no lockout running
        self._lockout_t = 0
        self._reboot = False

    # ---- transport side

    def start(self):
        """Write the boot banner and any load warnings."""
        self._write("EVSE %s console: type help\r\n" % VERSION)
        for w in self.warnings():
            self._write("WARN %s\r\n" % w)

    def warnings(self):
        """Load warnings of the settings and the history."""
        w = list(self.settings.warnings)
        if self.history is not None:
            w.extend(self.history.warnings)
        return w

    def feed(self, b):
        """One received byte (int 0..255). Never raises."""
        try:
            self._feed(b)
        except Exception:
            self._n = 0
            self._long = self._ctrl = False
            self._write(self._err(errcodes.INTERNAL, "internal") + "\r\n")

    def _feed(self, b):
        if not isinstance(b, int) or b < 0 or b > 255:
            self._ctrl = True
            return
        if b == _LF and self._after_cr:
            self._after_cr = False
            return
        self._after_cr = b == _CR
        if b == _CR or b == _LF:
            self._end_line()
        elif b == _BS or b == _DEL:
            if self._n > 0:
                self._n -= 1
                # a whole UTF-8 character: continuation bytes, then its lead byte
                while self._n > 0 and (self._buf[self._n] & 0xC0) == 0x80:
                    self._n -= 1
                self._echo("\b \b")
        elif b < 0x20 and b != _TAB:
            self._ctrl = True
        elif self._n >= MAX_LINE:
            self._long = True
        else:
            self._buf[self._n] = b
            self._n += 1
            if b < 0x7F:
                self._echo(chr(b))
            elif b >= 0xC0:  # one mark per non-ASCII character
                self._echo("?")

    def _end_line(self):
        self._echo("\r\n")
        n = self._n
        long = self._long
        ctrl = self._ctrl
        self._n = 0
        self._long = self._ctrl = False
        if long:
            reply = self._err(errcodes.LINE_TOO_LONG, "line too long")
        elif ctrl:
            reply = self._err(errcodes.CONTROL_BYTE, "control character in line")
        elif not _utf8_ok(self._buf, n):
            reply = self._err(errcodes.BAD_UTF8, "invalid UTF-8")
        else:
            reply = self._line(bytes(self._buf[:n]).decode())
        if reply:
            self._write(reply.replace("\n", "\r\n") + "\r\n")
        self._after_reply()

    def _echo(self, s):
        # People get their typing back; json mode is for programs, whose stream stays pure JSON lines.
        if self.settings.values.get("console_echo") and not self.json:
            self._write(s)

    def _write(self, s):
        try:
            self._write_fn(s)
        except Exception:  # a broken transport must not take the console down
            pass

    def _after_reply(self):
        if self._reboot:
            self._reboot = False
            try:
                self._reboot_fn()
            except Exception:
                pass

    # ---- lines

    def handle_line(self, text):
        """Run one command line; returns the reply ("" for an empty line). Never raises."""
        reply = self._line(text)
        self._after_reply()
        return reply

    def _line(self, text):
        snap = None
        try:
            snap = dict(self.settings.values)
            return self._run(text)
        except ConsoleError as e:
            return self._err(e.code, e.msg)
        except Exception:
            self._reboot = False
            self._restore(snap)
            return self._err(errcodes.INTERNAL, "internal")

    def _restore(self, snap):
        """After an unexpected exception: put the settings and the charger's config back."""
        try:
            if snap is not None and snap != self.settings.values:
                self.settings.values = snap
                self.settings.to_config(self.charger.config)
                self.charger.apply_config()
        except Exception:
            pass

    def _run(self, text):
        if not isinstance(text, str):
            raise ConsoleError(errcodes.USAGE, "text expected")
        while text[-1:] in ("\r", "\n"):
            text = text[:-1]
        if _utf8_len(text) > MAX_LINE:
            raise ConsoleError(errcodes.LINE_TOO_LONG, "line too long")
        for c in text:
            n = ord(c)
            if (n < 0x20 and n != _TAB) or n == _DEL:
                raise ConsoleError(errcodes.CONTROL_BYTE, "control character in line")
        words = _words(text)
        if not words:
            return ""
        name = _settings.lower_ascii(words[0])
        entry = None
        for e in _COMMANDS:
            if e[0] == name:
                entry = e
                break
        if entry is None:
            raise ConsoleError(errcodes.UNKNOWN_COMMAND, "unknown command, try help")
        if entry[1] and self._locked():
            raise ConsoleError(errcodes.LOCKED, "locked: unlock <pin> first")
        fn = getattr(self, "_c_" + name.replace("-", "_"))
        msg, pairs = fn(words[1:])
        return self._ok(msg, pairs)

    def _ok(self, msg, pairs):
        if self.json:
            out = ['{"ok": true']
            for k, v in pairs:
                out.append(", %s: %s" % (jsonfmt.string(k), jsonfmt.dumps(v)))
            out.append("}")
            return "".join(out)
        return "OK " + msg if msg else "OK"

    def _err(self, code, msg):
        if self.json:
            return '{"ok": false, "code": %d, "error": %s}' % (code, jsonfmt.string(msg))
        return "ERR %d %s" % (code, msg)

    # ---- PIN

    def _pin(self):
        return self.settings.values.get("pin", "")

    def _locked(self):
        if not self._pin():
            return False
        if self._unlocked and _elapsed(self._clock(), self._unlock_t) >= UNLOCK_MS:
            self._unlocked = False
        return not self._unlocked

    def _unlock(self):
        self._unlocked = True
        self._unlock_t = self._clock()

    # ---- commands: each takes the argument words and returns (text, [(json key, value)])

    def _c_help(self, args):
        lines = ["commands (* = needs unlock when a PIN is set)"]
        cmds = []
        for name, write, usage, hlp in _COMMANDS:
            lines.append("  %-20s %s %s" % (usage, "*" if write else " ", hlp))
            cmds.append({"name": name, "usage": usage, "help": hlp, "pin": write})
        return "\n".join(lines), [("commands", cmds)]

    def _c_status(self, args):
        _no_args(args, "status")
        c = self.charger
        io = c.io
        now = self._clock()
        st = iodata.STATE_NAMES[c.state]
        pilot = iodata.PILOT_NAMES[io.pilot]
        pwm = io.pilot == iodata.PILOT_PWM
        active = _fault_names(c.faults)
        latched = _fault_names(getattr(c, "latched", 0))
        temp = None if io.temp_dc == iodata.TEMP_NONE else io.temp_dc
        if self.history is not None:
            up = self.history.uptime_ms() // 1000  # counts the wraps of the tick clock
        else:
            up = _elapsed(now, self._t0) // 1000
        warns = self.warnings()
        msg = "state=%s pilot=%s duty=%s offer=%s contactor=%s faults=%s latched=%s temp=%s " \
              "limit=%s cable=%s enabled=%s sleeping=%s uptime=%s" % (
                  st, pilot, _tenths(io.duty) + "%" if pwm else "-", _amps(c.offered_ma),
                  "closed" if io.relay else "open", ",".join(active) or "none",
                  ",".join(latched) or "none", "none" if temp is None else _tenths(temp) + "C",
                  _amps(c.config.max_current_ma), _amps(c.cable_ma) if c.cable_ma else "none",
                  _yes(c.enabled), _yes(c.sleeping), _hms(up * 1000))
        if warns:
            msg += " warnings=%d" % len(warns)
        pairs = [("state", st), ("pilot", pilot), ("duty_permille", io.duty if pwm else 0),
                 ("offered_ma", c.offered_ma), ("contactor", "closed" if io.relay else "open"),
                 ("faults", active), ("latched", latched), ("temp_dc", temp),
                 ("limit_ma", c.config.max_current_ma), ("cable_ma", c.cable_ma),
                 ("enabled", bool(c.enabled)), ("sleeping", bool(c.sleeping)), ("uptime_s", up),
                 ("warnings", warns)]
        return msg, pairs

    def _c_get(self, args):
        if len(args) != 1:
            raise ConsoleError(errcodes.USAGE, "usage: get <name>")
        s = _setting(args[0])
        v = self.settings.values[s.name]
        return "%s=%s" % (s.name, _settings.show(s, v)), [("name", s.name), ("value", _jval(s, v))]

    def _c_set(self, args):
        if len(args) != 2:
            raise ConsoleError(errcodes.USAGE, "usage: set <name> <value>")
        s = _setting(args[0])
        ok, code, msg = self.settings.set(s.name, args[1])
        if not ok:
            raise ConsoleError(code, "%s: %s" % (s.name, msg))
        self._apply()
        v = self.settings.values[s.name]
        if s.kind == _settings.T_PIN and v:
            self._unlock()  # whoever set it knows it
        saved = not self.settings.dirty()
        text = "%s=%s%s" % (s.name, _settings.show(s, v), "" if saved else " unsaved")
        pairs = [("name", s.name), ("value", _jval(s, v)), ("saved", saved)]
        if s.name == "max_current_a":
            eff = self.charger.config.max_current_ma
            if eff < v * 1000:
                text += " (board limit %s applies)" % _amps(eff)
            pairs.append(("effective_ma", eff))
        return text, pairs

    def _c_settings(self, args):
        _no_args(args, "settings")
        vals = self.settings.values
        lines = ["%d settings" % len(_settings.SCHEMA)]
        rows = []
        for s in sorted(_settings.SCHEMA, key=lambda x: x.name):
            name = s.name
            t = _settings.TYPE_NAMES[s.kind]
            if s.kind == _settings.T_CHOICE:
                rng = "|".join(s.choices)
            elif s.lo is not None:
                rng = "%d..%d" % (s.lo, s.hi)
            else:
                rng = "on|off"
            lines.append("  %-16s %-6s %-15s %-6s default=%s value=%s  %s" % (
                name, t, rng, s.unit or "-", _settings.show(s, s.default),
                _settings.show(s, vals[name]), s.help))
            rows.append({"name": name, "type": t, "min": s.lo, "max": s.hi,
                         "choices": list(s.choices) if s.choices else None, "unit": s.unit,
                         "default": _jval(s, s.default), "value": _jval(s, vals[name]), "help": s.help})
        if self.settings.dirty():
            lines[0] += " (unsaved changes)"
        return "\n".join(lines), [("settings", rows), ("saved", not self.settings.dirty())]

    def _c_save(self, args):
        _no_args(args, "save")
        if not self.settings.save():
            raise ConsoleError(errcodes.STORAGE, "flash write failed, settings not saved")
        return "saved", [("saved", True)]

    def _c_revert(self, args):
        _no_args(args, "revert")
        self.settings.revert()
        self._apply()
        w = self.settings.warnings
        return "reverted" + ("" if not w else " (%d warnings)" % len(w)), [("warnings", list(w))]

    def _c_factory_reset(self, args):
        _no_args(args, "factory-reset")
        if not self.settings.factory_reset():
            raise ConsoleError(errcodes.STORAGE, "flash write failed, nothing changed")
        self._apply()
        return "defaults restored and saved", [("saved", True)]

    def _c_enable(self, args):
        _no_args(args, "enable")
        self.charger.enable()
        return "enabled", [("enabled", bool(self.charger.enabled))]

    def _c_disable(self, args):
        _no_args(args, "disable")
        self.charger.disable()
        return "disabled", [("enabled", bool(self.charger.enabled))]

    def _c_sleep(self, args):
        _no_args(args, "sleep")
        self.charger.sleep()
        return "sleeping", [("sleeping", bool(self.charger.sleeping))]

    def _c_selftest(self, args):
        _no_args(args, "selftest")
        if not self.charger.request_selftest():
            raise ConsoleError(errcodes.REFUSED, "self-test refused now: contactor closed, test running or latched fault")
        return "selftest started", [("selftest", "started")]

    def _c_reset(self, args):
        _no_args(args, "reset")
        self.charger.reset_faults()
        active = _fault_names(self.charger.faults)
        return "faults reset, active=%s" % (",".join(active) or "none"), [("faults", active)]

    def _c_faults(self, args):
        _no_args(args, "faults")
        c = self.charger
        active = _fault_names(c.faults)
        latched = _fault_names(getattr(c, "latched", 0))
        lines = ["active=%s latched=%s" % (",".join(active) or "none", ",".join(latched) or "none")]
        hist = []
        h = self.history
        if h is not None:
            for bit, n, fb, fms, lb, lms in h.fault_rows():
                lines.append("  %-18s count=%d first=%s last=%s" % (
                    faults.NAMES[bit], n, _when(fb, fms), _when(lb, lms)))
                hist.append({"name": faults.NAMES[bit], "count": n, "first_boot": fb, "first_ms": fms,
                             "last_boot": lb, "last_ms": lms})
        if len(lines) == 1:
            lines.append("  no faults recorded")
        return "\n".join(lines), [("active", active), ("latched", latched), ("history", hist),
                                  ("boot", h.boot if h is not None else 0)]

    def _c_log(self, args):
        _no_args(args, "log")
        h = self.history
        rows = h.session_rows() if h is not None else []
        lines = ["%d sessions, this is boot %d" % (len(rows), h.boot if h is not None else 0)]
        out = []
        for boot, start, end, max_ma, status in rows:
            dur = end - start if end >= start else 0
            endt = {0: _when(boot, end), 1: "interrupted", 2: "now"}.get(status, "?")
            lines.append("  %s .. %s dur=%s%s max=%s" % (
                _when(boot, start), endt, ">=" if status == 1 else "", _hms(dur), _amps(max_ma)))
            out.append({"boot": boot, "start_ms": start, "end_ms": end, "duration_s": dur // 1000,
                        "max_ma": max_ma, "status": ("done", "interrupted", "active")[status]})
        return "\n".join(lines), [("sessions", out), ("boot", h.boot if h is not None else 0)]

    def _c_version(self, args):
        _no_args(args, "version")
        impl = sys.implementation
        pv = "%d.%d.%d" % (impl.version[0], impl.version[1], impl.version[2])
        return "evse %s on %s %s" % (VERSION, impl.name, pv), [
            ("firmware", VERSION), ("python", impl.name), ("python_version", pv)]

    def _c_reboot(self, args):
        _no_args(args, "reboot")
        self._reboot = True  # after the reply has been written
        return "rebooting", [("rebooting", True)]

    def _c_unlock(self, args):
        if len(args) != 1:
            raise ConsoleError(errcodes.USAGE, "usage: unlock <pin>")
        pin = self._pin()
        if not pin:
            return "no PIN set", [("unlocked", True)]
        now = self._clock()
        if self._lockout_ms:
            gone = _elapsed(now, self._lockout_t)
            if gone < self._lockout_ms:
                wait = (self._lockout_ms - gone + 999) // 1000
                raise ConsoleError(errcodes.LOCKED_OUT, "too many wrong PINs, wait %d s" % wait)
            self._lockout_ms = 0
        if _same(args[0], pin):
            self._unlock()
            self._wrong = 0
            self._lockouts = 0
            return "unlocked for %d s" % (UNLOCK_MS // 1000), [("unlocked", True), ("for_s", UNLOCK_MS // 1000)]
        self._wrong += 1
        if self._wrong < PIN_TRIES:
            raise ConsoleError(errcodes.WRONG_PIN, "wrong PIN")
        ms = LOCKOUT_MS
        for _ in range(self._lockouts):
            ms *= 2
            if ms >= LOCKOUT_MAX_MS:
                ms = LOCKOUT_MAX_MS
                break
        self._lockouts += 1
        self._wrong = 0
        self._lockout_ms = ms
        self._lockout_t = now
        raise ConsoleError(errcodes.WRONG_PIN, "wrong PIN, next try in %d s" % (ms // 1000))

    def _c_lock(self, args):
        _no_args(args, "lock")
        self._unlocked = False
        return ("locked" if self._pin() else "no PIN set"), [("locked", bool(self._pin()))]

    def _c_json(self, args):
        _no_args(args, "json")
        self.json = True
        return "json", [("mode", "json")]

    def _c_text(self, args):
        _no_args(args, "text")
        self.json = False
        return "text", [("mode", "text")]

    def _apply(self):
        self.settings.to_config(self.charger.config)
        self.charger.apply_config()


# ---- helpers


def _elapsed(now, t0):
    """now - t0 on the injected clock; a single wrap of a ticks_ms-like clock is undone."""
    d = now - t0
    if d < 0:
        d &= _TICKS_MASK
    return d


def _no_args(args, name):
    if args:
        raise ConsoleError(errcodes.USAGE, "usage: %s (no arguments)" % name)


def _setting(name):
    s = _settings.find(_settings.lower_ascii(name))
    if s is None:
        raise ConsoleError(errcodes.UNKNOWN_SETTING, "unknown setting, see settings")
    return s


def _jval(s, v):
    """A value for JSON: typed, except the PIN, which is never shown."""
    if s.kind == _settings.T_PIN:
        return "****" if v else ""
    return v


def _same(a, b):
    """Compare in time independent of where they differ."""
    if len(a) != len(b):
        return False
    d = 0
    for i in range(len(a)):
        d |= ord(a[i]) ^ ord(b[i])
    return d == 0


def _words(text):
    """Split on ASCII spaces and tabs only (CPython's split() would also split on Unicode spaces)."""
    out = []
    start = -1
    for i in range(len(text)):
        if text[i] == " " or text[i] == "\t":
            if start >= 0:
                out.append(text[start:i])
                start = -1
        elif start < 0:
            start = i
    if start >= 0:
        out.append(text[start:])
    return out


def _fault_names(mask):
    out = []
    for i in range(faults.COUNT):
        if mask & (1 << i):
            out.append(faults.NAMES[i])
    return out


def _yes(v):
    return "yes" if v else "no"


def _tenths(v):
    sign = "-" if v < 0 else ""
    v = -v if v < 0 else v
    return "%s%d.%d" % (sign, v // 10, v % 10)


def _amps(ma):
    return "%d.%dA" % (ma // 1000, ma % 1000 // 100)


def _hms(ms):
    s = ms // 1000
    return "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)


def _when(boot, ms):
    return "b%d+%s" % (boot, _hms(ms))


def _utf8_len(text):
    n = 0
    for c in text:
        o = ord(c)
        n += 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4
    return n


def _utf8_ok(b, n):
    """Strict UTF-8 check of b[:n] (RFC 3629: no overlongs, surrogates or > U+10FFFF).
    MicroPython's decode() accepts all three, so the console checks itself."""
    i = 0
    while i < n:
        c = b[i]
        if c < 0x80:
            i += 1
            continue
        lo = 0x80
        hi = 0xBF
        if 0xC2 <= c <= 0xDF:
            k = 1
        elif c == 0xE0:
            k = 2
            lo = 0xA0
        elif c == 0xED:
            k = 2
            hi = 0x9F
        elif 0xE1 <= c <= 0xEF:
            k = 2
        elif c == 0xF0:
            k = 3
            lo = 0x90
        elif 0xF1 <= c <= 0xF3:
            k = 3
        elif c == 0xF4:
            k = 3
            hi = 0x8F
        else:
            return False
        if i + k >= n:
            return False
        if not (lo <= b[i + 1] <= hi):
            return False
        for j in range(i + 2, i + k + 1):
            if (b[j] & 0xC0) != 0x80:
                return False
        i += k + 1
    return True
