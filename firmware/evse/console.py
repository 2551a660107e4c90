# The console's front end, independent of any transport: bytes in (feed) or whole lines (handle_line),
# replies out as `OK ...` / `ERR <code> <message>` text, or exactly one JSON line each in json mode. Line
# editing, parsing and rendering only: the commands and their rules are the command layer's (commands.py).
# It runs in the console task, never in the charger's control tick. Commands: docs/console.md.
from .compat import const
from . import VERSION, errcodes, jsonfmt
from . import settings as _settings
from .commands import Caller, Commands, COMMANDS

MAX_LINE = const(120)  # bytes; a longer line is discarded with ERR 5
PROMPT = "evse> "  # after the banner and every reply, for a person (echo on, text mode)

_BS = const(8)
_TAB = const(9)
_LF = const(10)
_CR = const(13)
_CTRL_U = const(21)  # erase the whole line, as in a shell
_DEL = const(127)

# The console's own commands: how it renders, not what the charger does. Merged into `help`.
_LOCAL = (
    ("help", False, "help", "this list"),
    ("json", False, "json", "replies as one JSON line each"),
    ("text", False, "text", "replies as text"),
)


class ConsoleError(Exception):
    """A command's refusal: becomes `ERR <code> <message>`."""

    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code
        self.msg = msg


class Console:
    """Console(charger, settings, history, clock_ms_fn, write_fn, reboot_fn=None, commands=None).

    clock_ms_fn() returns milliseconds (monotonic; one wrap of a ticks_ms-like clock is tolerated);
    write_fn(str) sends text; reboot_fn() restarts the board (default: nothing); history may be None.
    commands: the firmware's one command layer (made here if not given); this console is one caller."""

    def __init__(self, charger, settings, history, clock_ms_fn, write_fn, reboot_fn=None, commands=None):
        if commands is None:
            commands = Commands(charger, settings, history, clock_ms_fn, reboot_fn)
        self.commands = commands
        self.caller = Caller("console")
        self.charger = charger
        self.settings = settings
        self.history = history
        self._write_fn = write_fn
        self.json = False  # reply mode
        self._buf = bytearray(MAX_LINE)
        self._n = 0
        self._long = False  # the line passed MAX_LINE bytes
        self._ctrl = -1  # the first forbidden control byte in the line, or -1
        self._after_cr = False  # swallow the LF of a CR LF pair
        self._after = None  # what the last command asked to run once its reply is out (reboot)

    # ---- transport side

    def start(self):
        """Write the boot banner and any load warnings."""
        self._write("EVSE %s console: type help\r\n" % VERSION)
        for w in self.warnings():
            self._write("WARN %s\r\n" % w)
        self._prompt()

    def warnings(self):
        """Load warnings of the settings and the history."""
        return self.commands.warnings()

    def feed(self, b):
        """One received byte (int 0..255). Never raises."""
        try:
            self._feed(b)
        except Exception:
            self._n = 0
            self._long = False
            self._ctrl = -1
            self._write(self._err(errcodes.INTERNAL, "internal") + "\r\n")

    def _feed(self, b):
        if not isinstance(b, int) or b < 0 or b > 255:
            if self._ctrl < 0:
                self._ctrl = 256  # not a byte at all
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
        elif b == _CTRL_U:
            while self._n > 0:  # one erase per character typed, as the echo showed it
                self._n -= 1
                if (self._buf[self._n] & 0xC0) != 0x80:
                    self._echo("\b \b")
            self._long = False
            self._ctrl = -1
        elif b < 0x20 and b != _TAB:
            if self._ctrl < 0:
                self._ctrl = b
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
        self._long = False
        self._ctrl = -1
        if long:
            reply = self._err(errcodes.LINE_TOO_LONG, "line too long")
        elif ctrl >= 0:
            reply = self._err(errcodes.CONTROL_BYTE, _ctrl_msg(ctrl))
        elif not _utf8_ok(self._buf, n):
            reply = self._err(errcodes.BAD_UTF8, "invalid UTF-8")
        else:
            reply = self._line(bytes(self._buf[:n]).decode())
        if reply:
            self._write(reply.replace("\n", "\r\n") + "\r\n")
        self._prompt()  # also after an empty line: a person sees the board is alive
        self._after_reply()

    def _echo(self, s):
        # People get their typing back; json mode is for programs, whose stream stays pure JSON lines.
        if self.settings.values.get("console_echo") and not self.json:
            self._write(s)

    def _prompt(self):
        self._echo(PROMPT)

    def _write(self, s):
        try:
            self._write_fn(s)
        except Exception:  # a broken transport must not take the console down
            pass

    def _after_reply(self):
        fn = self._after
        self._after = None
        if fn is not None:
            try:
                fn()
            except Exception:
                pass

    # ---- lines

    def handle_line(self, text):
        """Run one command line; returns the reply ("" for an empty line). Never raises."""
        reply = self._line(text)
        self._after_reply()
        return reply

    def _line(self, text):
        try:
            return self._run(text)
        except ConsoleError as e:
            return self._err(e.code, e.msg)
        except Exception:
            self._after = None
            return self._err(errcodes.INTERNAL, "internal")

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
                raise ConsoleError(errcodes.CONTROL_BYTE, _ctrl_msg(n))
        words = _words(text)
        if not words:
            return ""
        name = _settings.lower_ascii(words[0])
        if name == "help":
            msg, pairs = self._help(words[1:])
        elif name == "json" or name == "text":
            if len(words) > 1:
                raise ConsoleError(errcodes.USAGE, "usage: %s (no arguments)" % name)
            self.json = name == "json"
            msg, pairs = name, [("mode", name)]
        else:
            r = self.commands.run(self.caller, words)
            if not r.ok:
                return self._err(r.code, r.text)
            self._after = r.after
            msg, pairs = r.text, r.pairs
        return self._ok(msg, pairs)

    def _help(self, args):
        if args:
            raise ConsoleError(errcodes.USAGE, "usage: help (no arguments)")
        lines = ["commands (* = needs unlock when a PIN is set)"]
        cmds = []
        for name, write, usage, hlp in sorted(COMMANDS + _LOCAL):
            lines.append("  %-20s %s %s" % (usage, "*" if write else " ", hlp))
            cmds.append({"name": name, "usage": usage, "help": hlp, "pin": write})
        return "\n".join(lines), [("commands", cmds)]

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


# ---- helpers


def _ctrl_msg(b):
    if b > 255:
        return "control character in line (not a byte)"
    name = "0x03 (Ctrl-C)" if b == 3 else "0x%02x" % b
    return "control character %s in line" % name


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
