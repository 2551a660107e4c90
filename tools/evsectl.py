# evsectl: talk to a running charger over its USB serial console (pyserial), or to a virtual board's
# pseudo-terminal the same way. Usage: evsectl --port PORT [--pin PIN] [--json] COMMAND ...
# Each command is three round trips (json mode on, the command, text mode back) and no waiting beyond
# the board's answers: well under 0.5 s on a board or a virtual board.
import argparse
import collections
import errno
import json
import sys
import time

USAGE_EPILOG = """commands:
  status                 state, pilot, contactor, faults, temperature, limits, uptime
  get NAME               one setting
  set NAME VALUE         change a setting now (then 'save' on the console, or evsectl set ... --save)
  settings               every setting with type, range, unit, default and value
  watch                  a live view of state, pilot, current and faults (Ctrl-C stops)
  faults                 active faults and the fault history
  log                    the last charging sessions
  enable | disable       allow charging / refuse it (the pilot shows -12 V, state F)
  sleep                  pause: no current offered (steady +12 V) until enable
  reset                  service reset of latched faults
  selftest               run the residual-current self-test now (contactor open only)
  save                   save the current settings to flash
  diag                   live measured values (pilot mV, PP, raw ADC counts, senses, trip line, ...)
With a PIN set on the board, give --pin PIN for the commands that change something.
"""
ANSWER_S = 3.0  # a board that has not answered within this is not running the firmware
TEMP_NOISE_DC = 10  # watch: a temperature change under 1.0 C is sensor noise (the MCP9700's +-1 C over its
#                     range; the ADC's LSB is ~0.1 C), not a change worth a line
PLAIN = ("enable", "disable", "sleep", "reset", "selftest", "save", "diag")  # sent as they are


class CtlError(Exception):
    """A problem the user can act on; its text is the whole message."""


def open_port(port, baud=115200):
    """Open a serial device, a pseudo-terminal or a pyserial URL; say clearly why it failed."""
    import serial

    try:
        if "://" in port:
            return serial.serial_for_url(port, baudrate=baud, timeout=0.05)
        return serial.Serial(port, baudrate=baud, timeout=0.05, exclusive=True)
    except serial.SerialException as e:
        no = getattr(e, "errno", None)
        text = str(e)
        if no == errno.ENOENT or "No such file" in text or "could not open port" in text and "[Errno 2]" in text:
            raise CtlError("evsectl: no such port: %s (is the board plugged in? list ports with "
                           "'python -m serial.tools.list_ports')" % port)
        if no in (errno.EBUSY, errno.EAGAIN) or "busy" in text.lower() or "lock" in text.lower():
            raise CtlError("evsectl: port %s is busy: another program (mpremote, screen, picocom, "
                           "another evsectl) has it open" % port)
        if no == errno.EACCES or "Permission denied" in text:
            raise CtlError("evsectl: no permission to open %s (on Linux: add yourself to the "
                           "'dialout' group and log in again)" % port)
        raise CtlError("evsectl: cannot open %s: %s" % (port, text))


class Link:
    """One conversation with the console in its json mode: a line out, one JSON object back."""

    def __init__(self, ser, answer_s=ANSWER_S):
        self.ser = ser
        self.answer_s = answer_s
        self._buf = b""
        self.round_trips = 0  # lines sent that waited for an answer (tests count them)

    def _lines(self, deadline):
        while time.monotonic() < deadline:
            chunk = self.ser.read(256)
            if chunk:
                self._buf += chunk
            while b"\n" in self._buf:
                line, self._buf = self._buf.split(b"\n", 1)
                yield line.strip(b"\r").decode("utf-8", "replace")

    def ask(self, command):
        """Send one command line, return the decoded JSON reply (a dict with "ok", in the board's key order)."""
        self.ser.write(command.encode() + b"\r\n")
        self.ser.flush()
        self.round_trips += 1
        deadline = time.monotonic() + self.answer_s
        seen = []
        for line in self._lines(deadline):
            s = line.strip()
            if s.startswith("{"):
                try:
                    obj = json.loads(s, object_pairs_hook=collections.OrderedDict)
                except ValueError:
                    continue
                if isinstance(obj, dict) and "ok" in obj:
                    return obj
            seen.append(s)
        if any(s.endswith(">>>") or s == ">>>" for s in seen) or b">>>" in self._buf:
            raise CtlError("evsectl: the board shows a MicroPython prompt, not the charger console: "
                           "the firmware is stopped (reset the board, or check main.py is deployed)")
        raise CtlError("evsectl: no answer from the board within %.0f s (is the EVSE firmware running "
                       "on this port?)" % self.answer_s)

    def start(self):
        """Sync: finish any half-typed line, then switch the console to json replies."""
        self.ser.reset_input_buffer()
        self.ser.write(b"\r\n")
        r = self.ask("json")
        if not r.get("ok"):
            raise CtlError("evsectl: the console refused json mode: %s" % r.get("error"))

    def stop(self):
        """Back to text replies for the next person at a terminal. The answer is a text line, not JSON:
        wait for that line (one round trip), not for a JSON reply that never comes."""
        try:
            self.ser.write(b"text\r\n")
            self.ser.flush()
            self.round_trips += 1
            for _line in self._lines(time.monotonic() + self.answer_s):
                return
        except Exception:  # the board went away meanwhile: nothing left to restore
            pass


def _fail(r):
    return "ERR %s %s" % (r.get("code"), r.get("error"))


def _amps(ma):
    if ma is None:
        return "-"
    return ("%d" % (ma // 1000)) if ma % 1000 == 0 else ("%.1f" % (ma / 1000.0))


def status_line(r):
    """One human line for a status reply."""
    pilot = r.get("pilot")
    if pilot == "pwm":
        pilot = "PWM %.1f%% (%s A)" % (r.get("duty_permille", 0) / 10.0, _amps(r.get("offered_ma")))
    temp = r.get("temp_dc")
    faults = ",".join(r.get("faults") or []) or "none"
    latched = ",".join(r.get("latched") or [])
    return "state %-3s pilot %-18s contactor %-6s faults %s%s  temp %s  limit %s A  cable %s  up %ss" % (
        r.get("state"), pilot, r.get("contactor"), faults, (" (latched: %s)" % latched) if latched else "",
        "-" if temp is None else "%.1f C" % (temp / 10.0), _amps(r.get("limit_ma")),
        ("%s A" % _amps(r.get("cable_ma"))) if r.get("cable_ma") else "none", r.get("uptime_s"))


def _print_reply(r, as_json, text):
    if as_json:
        print(json.dumps(r))  # the board's key order (docs/console.md lists it)
    elif not r.get("ok"):
        print(_fail(r))
    else:
        print(text(r))


def _settings_text(r):
    rows = ["%-16s %-6s %-16s %-6s %-10s %s" % ("name", "type", "range", "unit", "default", "value")]
    for s in r.get("settings", []):
        if s.get("choices"):
            rng = "|".join(s["choices"])
        elif s.get("min") is not None:
            rng = "%s..%s" % (s["min"], s["max"])
        else:
            rng = "true|false"
        rows.append("%-16s %-6s %-16s %-6s %-10s %s" % (
            s.get("name"), s.get("type"), rng, s.get("unit") or "-", json.dumps(s.get("default")),
            json.dumps(s.get("value"))))
    if r.get("saved") is False:
        rows.append("(unsaved changes: 'save' on the console, or evsectl set ... --save)")
    return "\n".join(rows)


def _when(boot, ms, this_boot):
    s = ms // 1000
    t = "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)
    return t if boot == this_boot else "boot %d %s" % (boot, t)


def _faults_text(r):
    out = ["active: %s" % (", ".join(r.get("active") or []) or "none")]
    if r.get("latched"):
        out.append("latched (needs a service reset): %s" % ", ".join(r["latched"]))
    hist = r.get("history") or []
    if hist:
        out.append("history:")
    for f in hist:
        out.append("  %-18s x%-4d first %-16s last %s" % (
            f.get("name"), f.get("count", 0), _when(f.get("first_boot"), f.get("first_ms", 0), r.get("boot")),
            _when(f.get("last_boot"), f.get("last_ms", 0), r.get("boot"))))
    return "\n".join(out)


def _log_text(r):
    rows = r.get("sessions") or []
    if not rows:
        return "no sessions yet"
    out = ["%-18s %-10s %-8s %s" % ("start", "duration", "max", "status")]
    for s in rows:
        d = s.get("duration_s", 0)
        out.append("%-18s %-10s %-8s %s" % (
            _when(s.get("boot"), s.get("start_ms", 0), r.get("boot")),
            "%d:%02d:%02d" % (d // 3600, d // 60 % 60, d % 60), _amps(s.get("max_ma")) + " A", s.get("status")))
    return "\n".join(out)


def _plain_text(r):
    """A reply to enable/disable/.../diag as text: OK, then its fields in the board's order."""
    rows = ["OK"]
    for k in r:
        if k != "ok":
            v = r[k]
            rows.append("  %-18s %s" % (k, json.dumps(v) if isinstance(v, (dict, list)) else v))
    return "\n".join(rows) if len(rows) > 1 else "OK"


def watch_key(r):
    """What makes a watch line new: every status field but the uptime, and the temperature only to the
    degree (TEMP_NOISE_DC); the caller keeps the last printed temperature to compare against."""
    return tuple((k, r[k]) for k in r if k not in ("uptime_s", "temp_dc"))


def _temp_moved(t, last):
    if t is None or last is None:
        return t is not last
    return abs(t - last) >= TEMP_NOISE_DC


def run(args, link, out=sys.stdout):
    """Carry out one command on an open link; return the exit status."""
    cmd = args.command
    if args.pin is not None:
        r = link.ask("unlock %s" % args.pin)
        if not r.get("ok"):
            _print_reply(r, args.json, str)
            return 1
    if cmd in PLAIN:
        r = link.ask(cmd)
        _print_reply(r, args.json, _plain_text)
    elif cmd == "status":
        r = link.ask("status")
        _print_reply(r, args.json, status_line)
    elif cmd == "get":
        r = link.ask("get %s" % args.name)
        _print_reply(r, args.json, lambda r: "%s = %s" % (args.name, json.dumps(r.get("value"))))
    elif cmd == "set":
        r = link.ask("set %s %s" % (args.name, args.value))
        if r.get("ok") and args.save:
            r = link.ask("save")
        _print_reply(r, args.json, lambda r: "OK")
    elif cmd == "settings":
        r = link.ask("settings")
        _print_reply(r, args.json, _settings_text)
    elif cmd == "faults":
        r = link.ask("faults")
        _print_reply(r, args.json, _faults_text)
    elif cmd == "log":
        r = link.ask("log")
        _print_reply(r, args.json, _log_text)
    elif cmd == "watch":
        n = 0
        last = None
        last_temp = None
        try:
            while args.count is None or n < args.count:
                r = link.ask("status")
                key = watch_key(r)
                temp = r.get("temp_dc")
                if key != last or _temp_moved(temp, last_temp):  # a real change, not the clock or noise
                    last = key
                    last_temp = temp
                    if args.json:
                        print(json.dumps(r))
                    else:
                        print(time.strftime("%H:%M:%S ") + status_line(r))
                sys.stdout.flush()
                n += 1
                if args.count is None or n < args.count:
                    time.sleep(args.interval)
        except KeyboardInterrupt:
            pass
        return 0
    return 0 if r.get("ok") else 1


def parser():
    p = argparse.ArgumentParser(prog="evsectl", description="Configure and watch an EVSE over its serial console.",
                                epilog=USAGE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", required=True, help="serial device (/dev/ttyACM0, COM3), a virtual board's "
                   "/dev/pts/N, or a pyserial URL such as socket://host:port")
    p.add_argument("--json", action="store_true", help="print the board's JSON replies")
    p.add_argument("--timeout", type=float, default=ANSWER_S, help="seconds to wait for an answer")
    p.add_argument("--pin", default=None, help="the board's console PIN: sends 'unlock PIN' first")
    sub = p.add_subparsers(dest="command", required=True)
    for name in PLAIN:
        sub.add_parser(name)
    sub.add_parser("status")
    g = sub.add_parser("get")
    g.add_argument("name")
    s = sub.add_parser("set")
    s.add_argument("name")
    s.add_argument("value")
    s.add_argument("--save", action="store_true", help="also save to flash")
    sub.add_parser("settings")
    w = sub.add_parser("watch")
    w.add_argument("--interval", type=float, default=0.5)
    w.add_argument("--count", type=int, default=None, help="stop after this many updates")
    sub.add_parser("faults")
    sub.add_parser("log")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        ser = open_port(args.port)
    except CtlError as e:
        print(str(e), file=sys.stderr)
        return 2
    try:
        link = Link(ser, args.timeout)
        link.start()
        try:
            return run(args, link)
        finally:
            link.stop()
    except CtlError as e:
        print(str(e), file=sys.stderr)
        return 2
    finally:
        ser.close()


if __name__ == "__main__":
    sys.exit(main())
