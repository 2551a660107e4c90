# The command layer: every change made at run time goes through Commands.run(), whatever brings it (the
# serial console today; MQTT, the web page and OCPP later). It validates against the live session,
# authorises the caller, and answers with a Result that each transport renders. Commands: docs/console.md.
import sys

from .compat import const
from . import VERSION, calibration, errcodes, faults, iodata, pinhash
from . import settings as _settings

TYPE_CHECKING = False  # pyright takes the block below as true; at run time nothing is imported
if TYPE_CHECKING:
    from typing import Any

UNLOCK_MS = const(300000)  # `unlock` lasts 5 minutes of clock time
_TICKS_MASK = const(0x3FFFFFFF)  # time.ticks_ms() period on every MicroPython port
NO_LIMIT_MA = const(1000000)  # a runtime limit source that asks for nothing

# Settings that describe the installation: they cannot change while a session is live (a vehicle may be
# connected, or the contactor or its load side may be energised). Changing the socket type would release
# a Type 2 lock under load and drop the cable coding from the offer; the cable rating, PP sensing and
# ventilation decide what may be offered and when; the temperature limits could lift a derating or an
# over-temperature stop in force; the pilot calibration moves every state threshold. A refusal, not a change staged for later: the user sees at once why,
# and nothing changes behind their back once the vehicle leaves. docs/protocol.md "Settings during a
# session". max_current_a may change at any time: it is a current limit (a fall at once, a rise with the
# 5 s rule), and console_echo and pin do not touch charging.
SESSION_LOCKED = ("cable_current_a", "cal_cp_gain", "cal_cp_offset_mv", "pp_sense", "socket", "temp_derate_c",
                  "temp_stop_c", "ventilation")

# name, needs authorisation (the PIN when one is set), usage, help. Sorted by name.
COMMANDS = (
    ("ap", True, "ap [on]", "the set-up access point: its name, password and page; on: bring it up (docs/web.md)"),
    ("calibrate", True, "calibrate pilot <point>|apply|clear",
     "pilot calibration with known loads: open, b, c, neg, then apply (docs/bringup.md)"),
    ("diag", False, "diag", "live measured values and raw readings, for bring-up; charging goes on"),
    ("disable", True, "disable", "stop service: pilot -12 V (state F), contactor open"),
    ("enable", True, "enable", "back to normal service"),
    ("factory-reset", True, "factory-reset", "restore every default (PIN too) and save"),
    ("faults", False, "faults", "active faults and fault history"),
    ("get", False, "get <name>", "show one setting"),
    ("limit", True, "limit <amps>|none", "a current limit for now, not saved (lowers, never raises)"),
    ("lock", False, "lock", "end the unlocked period now"),
    ("log", False, "log", "last charging sessions"),
    ("net", False, "net", "WiFi and MQTT: link, broker, address, messages, last error"),
    ("reboot", True, "reboot", "restart the controller"),
    ("reset", True, "reset", "service reset: clear latched faults"),
    ("revert", True, "revert", "drop unsaved changes: reload settings from flash"),
    ("save", True, "save", "write settings to flash (after the contactor opens)"),
    ("selftest", True, "selftest", "run the residual-current self-test now"),
    ("service", True, "service", "let Ctrl-C stop the charger into the REPL (mpremote) until reboot"),
    ("set", True, "set <name> <value>", "change a setting now (save keeps it)"),
    ("settings", False, "settings", "every setting: type, range, unit, default, value"),
    ("sleep", True, "sleep", "stop offering current; contactor opens when the EV stops"),
    ("status", False, "status [long]", "state, offer, contactor, faults, temperature, uptime; long: all"),
    ("unlock", False, "unlock <pin>", "allow writes for 5 minutes"),
    ("version", False, "version", "firmware and interpreter version"),
)


class CommandError(Exception):
    """A command's refusal: a Result with ok False."""

    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code
        self.msg = msg


class Result:
    """What a command answers: ok, an error code (0 when ok), a line of text for people, and (key, value)
    pairs for programs (JSON, MQTT, HTTP). after, if set, is called once the answer has been delivered."""

    def __init__(self, ok, code, text, pairs, after=None):
        self.ok = ok
        self.code = code
        self.text = text
        self.pairs = pairs
        self.after = after


class Caller:
    """One front end as the command layer knows it: a console, later an MQTT client or a web session.
    pin: the PIN guards this caller's writes (a network caller is authenticated by its own transport)."""

    def __init__(self, name, pin=True):
        self.name = name
        self.pin = pin
        self.unlocked = False
        self.unlock_t = 0


def _noop():
    pass


class Commands:
    """Commands(charger, settings, history, clock_ms_fn, reboot_fn=None, diag_fn=None); history may be
    None. clock_ms_fn() returns milliseconds (monotonic; one wrap of a ticks_ms-like clock is tolerated).
    diag_fn() gives the board's raw readings as (key, value) pairs (hw.app.App.diag)."""

    def __init__(self, charger, settings, history, clock_ms_fn, reboot_fn=None, diag_fn=None):
        self.charger = charger
        self._diag_fn = diag_fn
        self.settings = settings
        self.history = history
        self._clock = clock_ms_fn
        self._reboot_fn = reboot_fn if reboot_fn is not None else _noop
        self._t0 = clock_ms_fn()
        self._limits = {}  # runtime current limits by source name, mA: their lowest applies
        self._guesses = pinhash.Lockout()  # wrong PINs, from any caller
        self.meter_kind = "none"  # the meter fitted (setting meter, as built at boot) and its Reading: fit_meter()
        self.reading = None
        self.net = None  # type: Any  # the network's status: a function giving (key, value) pairs (net/task.py)
        self.ocpp = None  # type: Any  # the OCPP charge point (ocpp16/cp.py): its state() joins the net line
        self.ap = None  # type: Any  # the set-up access point once up (net/ap.py AccessPoint)
        self.ap_open = None  # type: Any  # brings it up (main.py, on a board with a radio); None: no radio
        self.service = False  # `service` given: Ctrl-C may stop the firmware into the REPL until reboot
        self._cal = {}  # calibration point -> raw pilot mV read there

    # ---- the one entry point

    def run(self, caller, words):
        """Run a command given as words (name first) for caller. Never raises: an unexpected exception
        puts the settings back and answers ERR 99."""
        snap = None
        try:
            snap = dict(self.settings.values)
            if not words:
                raise CommandError(errcodes.USAGE, "no command")
            name = _settings.lower_ascii(words[0])
            entry = None
            for e in COMMANDS:
                if e[0] == name:
                    entry = e
                    break
            if entry is None:
                raise CommandError(errcodes.UNKNOWN_COMMAND, "unknown command, try help")
            if entry[1] and self.locked(caller):
                raise CommandError(errcodes.LOCKED, "locked: unlock <pin> first")
            fn = getattr(self, "_c_" + name.replace("-", "_"))
            return fn(caller, words[1:])
        except CommandError as e:
            return Result(False, e.code, e.msg, [])
        except Exception:
            self._restore(snap)
            return Result(False, errcodes.INTERNAL, "internal", [])

    def _restore(self, snap):
        try:
            if snap is not None and snap != self.settings.values:
                self.settings.values = snap
                self._apply_config()
        except Exception:
            pass

    # ---- authorisation: one check for every write, whatever the transport

    def locked(self, caller):
        """True if caller may not write now (a PIN is set and this caller has not unlocked)."""
        if not caller.pin or not self.settings.values.get("pin", ""):
            return False
        if caller.unlocked and _elapsed(self._clock(), caller.unlock_t) >= UNLOCK_MS:
            caller.unlocked = False
        return not caller.unlocked

    def _unlock(self, caller):
        caller.unlocked = True
        caller.unlock_t = self._clock()

    # ---- validation against the live session: every settings change comes through here

    def _check(self, new):
        """Raise, changing nothing, if new (a whole dict of setting values) would change a SESSION_LOCKED
        setting while a session is live."""
        cur = self.settings.values
        if self.charger.installation_locked():
            changed = [n for n in SESSION_LOCKED if new[n] != cur[n]]
            if changed:
                raise CommandError(errcodes.SESSION, "%s cannot change during a session (vehicle connected "
                                   "or contactor live): unplug first" % ",".join(changed))

    def _change(self, new):
        """Make new the current values if _check allows it, and apply them to the charger."""
        self._check(new)
        self.settings.values = new
        self._apply_config()

    def _apply_config(self):
        cfg = self.charger.config
        self.settings.to_config(cfg)
        lim = NO_LIMIT_MA
        for k in self._limits:
            if self._limits[k] < lim:
                lim = self._limits[k]
        cfg.runtime_ma = lim
        self.charger.apply_config()

    def set_limit(self, source, ma):
        """A runtime current limit from source (mA, or None to withdraw it): it can lower the offer, never
        raise it above the settings, cable or board. Through the core's min() path and its 5 s rule."""
        if ma is None:
            if source in self._limits:
                del self._limits[source]
        else:
            self._limits[source] = ma
        self._apply_config()

    def fit_meter(self, kind, reading):
        """The meter the firmware runs with (its kind and meter.reading.Reading), for the snapshot."""
        self.meter_kind = kind
        self.reading = reading

    # ---- the status snapshot, one for every front end

    def snapshot(self):
        """(key, value) pairs: state, pilot, offer, limits, faults, temperature, contactor, uptime."""
        c = self.charger
        io = c.io
        pwm = io.pilot == iodata.PILOT_PWM
        temp = None if io.temp_dc == iodata.TEMP_NONE else io.temp_dc
        if not c.inst.relay_sense or io.relay_v < 0:
            load = None
        else:
            load = "live" if io.relay_v == 1 else "dead"
        if self.history is not None:
            up = self.history.uptime_ms() // 1000  # counts the wraps of the tick clock
        else:
            up = _elapsed(self._clock(), self._t0) // 1000
        rt = c.config.runtime_ma
        return [("state", iodata.STATE_NAMES[c.state]), ("pilot", iodata.PILOT_NAMES[io.pilot]),
                ("duty_permille", io.duty if pwm else 0), ("offered_ma", c.offered_ma),
                ("contactor", "closed" if io.relay else "open"), ("load_side", load),
                ("faults", fault_names(c.faults)), ("latched", fault_names(c.latched)), ("temp_dc", temp),
                ("limit_ma", c.config.max_current_ma), ("runtime_limit_ma", rt if rt < NO_LIMIT_MA else None),
                ("cable_ma", c.cable_ma), ("enabled", bool(c.enabled)), ("sleeping", bool(c.sleeping)),
                ("session", bool(c.installation_locked())), ("save_pending", bool(self.settings.save_pending)),
                ("uptime_s", up), ("warnings", self.warnings())] + self._metering()

    def _metering(self):
        """The meter's part of the snapshot: what is fitted, whether it answers, power (W), current per phase
        (mA), session and lifetime energy (Wh). None where not measured."""
        r = self.reading
        h = self.history
        if r is None or not r.fitted:
            return [("meter", "none"), ("meter_state", "none"), ("power_w", None), ("current_ma", None),
                    ("session_wh", None), ("total_wh", None)]
        good = not r.lost and r.good > 0
        power = r.power_w if good else None
        cur = [r.current_ma[i] for i in range(r.phases)] if good and r.amps else None
        sess = h.session_wh if h is not None and h.session_wh >= 0 else None
        total = h.lifetime_wh() if h is not None else None
        state = "lost" if r.lost else "ok" if r.good else "starting"
        fitted = True
        return [("meter", self.meter_kind if fitted else "none"), ("meter_state", state), ("power_w", power),
                ("current_ma", cur), ("session_wh", sess), ("total_wh", total)]

    def warnings(self):
        """Load warnings of the settings and the history."""
        w = list(self.settings.warnings)
        if self.history is not None:
            w.extend(self.history.warnings)
        return w

    # ---- commands: each takes (caller, argument words) and returns a Result

    def _c_status(self, caller, args):
        if len(args) > 1 or (args and _settings.lower_ascii(args[0]) != "long"):
            raise CommandError(errcodes.USAGE, "usage: status [long]")
        p = self.snapshot()
        v = {}
        for k, x in p:
            v[k] = x
        temp = v["temp_dc"]
        if not args:
            return Result(True, 0, _short_status(v) + _meter_line(v) + self._net_line(p), p)
        rt = v["runtime_limit_ma"]
        text = "state=%s pilot=%s duty=%s offer=%s contactor=%s faults=%s latched=%s temp=%s " \
               "limit=%s cable=%s enabled=%s sleeping=%s uptime=%s" % (
                   v["state"], v["pilot"], tenths(v["duty_permille"]) + "%" if v["pilot"] == "pwm" else "-",
                   amps(v["offered_ma"]), v["contactor"], ",".join(v["faults"]) or "none",
                   ",".join(v["latched"]) or "none", "none" if temp is None else tenths(temp) + "C",
                   amps(v["limit_ma"] if rt is None or rt > v["limit_ma"] else rt),
                   amps(v["cable_ma"]) if v["cable_ma"] else "none",
                   _yes(v["enabled"]), _yes(v["sleeping"]), hms(v["uptime_s"] * 1000))
        if v["warnings"]:
            text += " warnings=%d" % len(v["warnings"])
        if v["save_pending"]:
            text += " save=pending"
        return Result(True, 0, text + _meter_line(v) + self._net_line(p), p)

    def _c_calibrate(self, caller, args):
        if len(args) != 2 or _settings.lower_ascii(args[0]) != "pilot":
            raise CommandError(errcodes.USAGE, "usage: calibrate pilot open|b|c|neg|apply|clear")
        what = _settings.lower_ascii(args[1])
        io = self.charger.io
        if what == "clear" or what == "apply":
            if what == "clear":
                gain, off = calibration.GAIN_ONE, 0
            else:
                ok, gain, off, worst, msg = calibration.fit(self._cal)
                if not ok:
                    raise CommandError(errcodes.REFUSED, "calibration not applied: " + msg)
            new = dict(self.settings.values)
            new["cal_cp_gain"] = gain
            new["cal_cp_offset_mv"] = off
            self._change(new)  # refused while a load on the pilot reads as a vehicle: remove it first
            self._cal = {}
            return Result(True, 0, "cal_cp_gain=%d cal_cp_offset_mv=%d unsaved (save keeps them)" % (gain, off),
                          [("cal_cp_gain", gain), ("cal_cp_offset_mv", off), ("saved", False)])
        point = None
        for p in calibration.POINTS:
            if p[0] == what:
                point = p
        if point is None:
            raise CommandError(errcodes.USAGE, "usage: calibrate pilot open|b|c|neg|apply|clear")
        mode = iodata.PILOT_NAMES[io.pilot]
        if io.relay or mode != point[2]:
            raise CommandError(errcodes.REFUSED, "the pilot must be a steady %s with the contactor open: %s first" % (
                point[2], "disable" if point[2] == "-12V" else "sleep"))
        raw = io.cp_high_mv  # the core applies the calibration itself: io holds the raw reading
        self._cal[what] = raw
        exp = calibration.expected_mv(what)
        return Result(True, 0, "pilot %s (%s): read %d mV, expected %d mV; %d of %d points" % (
            what, point[3], raw, exp, len(self._cal), len(calibration.POINTS)),
            [("point", what), ("read_mv", raw), ("expected_mv", exp), ("points", len(self._cal))])

    def _c_diag(self, caller, args):
        _no_args(args, "diag")
        c = self.charger
        io = c.io
        lo = None if io.cp_low_mv == iodata.NO_SAMPLE else io.cp_low_mv
        pp = None if io.pp_ohm == iodata.PP_OPEN else io.pp_ohm
        temp = None if io.temp_dc == iodata.TEMP_NONE else io.temp_dc
        if not c.inst.relay_sense or io.relay_v < 0:
            load = None
        else:
            load = "live" if io.relay_v == 1 else "dead"
        p = [("cp_high_mv", io.cp_high_mv), ("cp_low_mv", lo), ("pp_ohm", pp), ("earth", bool(io.ground)),
             ("load_side", load), ("trip", bool(io.rcd)), ("temp_dc", temp), ("lock_ok", bool(io.lock_ok)),
             ("pilot", iodata.PILOT_NAMES[io.pilot]), ("contactor", "closed" if io.relay else "open")]
        if self._diag_fn is not None:
            p.extend(self._diag_fn())
        words = []
        for k, v in p:
            if v is None:
                v = "-"
            elif v is True or v is False:
                v = "yes" if v else "no"
            words.append("%s=%s" % (k, v))
        lines = [" ".join(words[:6])]
        i = 6
        while i < len(words):
            lines.append("  " + " ".join(words[i:i + 5]))
            i += 5
        return Result(True, 0, "\n".join(lines), p)

    def _c_get(self, caller, args):
        if len(args) != 1:
            raise CommandError(errcodes.USAGE, "usage: get <name>")
        s = _setting(args[0])
        v = self.settings.values[s.name]
        return Result(True, 0, "%s=%s" % (s.name, _settings.show(s, v)), [("name", s.name), ("value", jval(s, v))])

    def _c_set(self, caller, args):
        if len(args) < 2:
            raise CommandError(errcodes.USAGE, "usage: set <name> <value>")
        s = _setting(args[0])
        if len(args) > 2 and s.kind != _settings.T_STR and s.kind != _settings.T_SECRET and \
                s.kind != _settings.T_PASSWORD:
            raise CommandError(errcodes.USAGE, "usage: set <name> <value>")
        # A text value may hold spaces (an SSID): the words after the name, one space between each.
        ok, v, code, msg = self.settings.validate(s.name, " ".join(args[1:]))
        if not ok:
            raise CommandError(code, "%s: %s" % (s.name, msg))
        new = dict(self.settings.values)
        new[s.name] = v
        self._change(new)
        if s.kind == _settings.T_PIN and v:
            self._unlock(caller)  # whoever set it knows it
        saved = not self.settings.dirty()
        text = "%s=%s%s" % (s.name, _settings.show(s, v), "" if saved else " unsaved")
        pairs = [("name", s.name), ("value", jval(s, v)), ("saved", saved)]
        if s.name == "max_current_a":
            eff = self.charger.config.max_current_ma
            if eff < v * 1000:
                text += " (board limit %s applies)" % amps(eff)
            pairs.append(("effective_ma", eff))
        return Result(True, 0, text, pairs)

    def _c_settings(self, caller, args):
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
            fixed = name in SESSION_LOCKED
            lines.append("  %-16s %-6s %-15s %-6s default=%s value=%s  %s%s" % (
                name, t, rng, s.unit or "-", _settings.show(s, s.default), _settings.show(s, vals[name]),
                s.help, " (fixed during a session)" if fixed else ""))
            rows.append({"name": name, "type": t, "min": s.lo, "max": s.hi,
                         "choices": list(s.choices) if s.choices else None, "unit": s.unit,
                         "default": jval(s, s.default), "value": jval(s, vals[name]), "help": s.help,
                         "session_locked": fixed})
        if self.settings.dirty():
            lines[0] += " (unsaved changes)"
        return Result(True, 0, "\n".join(lines), [("settings", rows), ("saved", not self.settings.dirty())])

    def _c_save(self, caller, args):
        _no_args(args, "save")
        if self.charger.io.relay:
            # No flash write during an energised session (rp2 stops interrupts, esp32 its flash cache):
            # staged, written by the housekeeping task once the contactor opens.
            self.settings.stage()
            return Result(True, 0, "staged: written when the contactor opens",
                          [("saved", False), ("pending", True)])
        if not self.settings.save():
            raise CommandError(errcodes.STORAGE, "flash write failed, settings not saved")
        return Result(True, 0, "saved", [("saved", True), ("pending", False)])

    def _c_revert(self, caller, args):
        _no_args(args, "revert")
        vals, w = self.settings.read()
        self._change(vals)
        self.settings.adopt(vals, w)
        return Result(True, 0, "reverted" + ("" if not w else " (%d warnings)" % len(w)), [("warnings", list(w))])

    def _c_factory_reset(self, caller, args):
        _no_args(args, "factory-reset")
        new = _settings.defaults()
        if self.charger.io.relay:
            self._change(new)
            self.settings.warnings = []
            self.settings.stage()
            return Result(True, 0, "defaults restored; save staged until the contactor opens",
                          [("saved", False), ("pending", True)])
        self._check(new)
        if not self.settings.factory_reset():
            raise CommandError(errcodes.STORAGE, "flash write failed, nothing changed")
        self._apply_config()
        return Result(True, 0, "defaults restored and saved", [("saved", True), ("pending", False)])

    def _c_limit(self, caller, args):
        if len(args) != 1:
            raise CommandError(errcodes.USAGE, "usage: limit <amps>|none")
        a = _settings.lower_ascii(args[0])
        if a == "none":
            self.set_limit(caller.name, None)
        else:
            ok, v, code, msg = _settings.parse(_LIMIT, a)
            if not ok or not isinstance(v, int):
                raise CommandError(code, "limit: %s" % msg)
            self.set_limit(caller.name, v * 1000)
        rt = self.charger.config.runtime_ma
        rt = rt if rt < NO_LIMIT_MA else None
        return Result(True, 0, "limit=%s" % ("none" if rt is None else amps(rt)), [("runtime_limit_ma", rt)])

    def _c_enable(self, caller, args):
        _no_args(args, "enable")
        self.charger.enable()
        return Result(True, 0, "enabled", [("enabled", bool(self.charger.enabled))])

    def _c_disable(self, caller, args):
        _no_args(args, "disable")
        self.charger.disable()
        return Result(True, 0, "disabled", [("enabled", bool(self.charger.enabled))])

    def _c_sleep(self, caller, args):
        _no_args(args, "sleep")
        self.charger.sleep()
        return Result(True, 0, "sleeping", [("sleeping", bool(self.charger.sleeping))])

    def _c_selftest(self, caller, args):
        _no_args(args, "selftest")
        if not self.charger.request_selftest():
            raise CommandError(errcodes.REFUSED,
                               "self-test refused now: contactor closed, test running or latched fault")
        return Result(True, 0, "selftest started", [("selftest", "started")])

    def _c_reset(self, caller, args):
        _no_args(args, "reset")
        c = self.charger
        io = c.io
        if io.relay or (c.inst.relay_sense and io.relay_v == 1):
            # A latched weld cleared while the load side is still live would hide the weld; with the
            # contactor closed nothing is latched anyway.
            raise CommandError(errcodes.REFUSED, "reset refused: contactor closed or load side live")
        c.reset_faults()
        active = fault_names(c.faults)
        return Result(True, 0, "faults reset, active=%s" % (",".join(active) or "none"), [("faults", active)])

    def _c_faults(self, caller, args):
        _no_args(args, "faults")
        c = self.charger
        active = fault_names(c.faults)
        latched = fault_names(c.latched)
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
        return Result(True, 0, "\n".join(lines), [("active", active), ("latched", latched), ("history", hist),
                                                  ("boot", h.boot if h is not None else 0)])

    def _c_log(self, caller, args):
        _no_args(args, "log")
        h = self.history
        rows = h.session_rows() if h is not None else []
        lines = ["%d sessions, this is boot %d" % (len(rows), h.boot if h is not None else 0)]
        out = []
        from .history import END_NAMES

        for boot, start, end, max_ma, status, wh, why in rows:
            dur = end - start if end >= start else 0
            endt = {0: _when(boot, end), 1: "interrupted", 2: "now"}.get(status, "?")
            reason = END_NAMES[why] if 0 <= why < len(END_NAMES) else None
            lines.append("  %s .. %s dur=%s%s max=%s energy=%s%s" % (
                _when(boot, start), endt, ">=" if status == 1 else "", hms(dur), amps(max_ma),
                "-" if wh < 0 else kwh(wh), " end=" + reason if reason and status == 0 else ""))
            out.append({"boot": boot, "start_ms": start, "end_ms": end, "duration_s": dur // 1000,
                        "max_ma": max_ma, "status": ("done", "interrupted", "active")[status],
                        "energy_wh": wh if wh >= 0 else None, "end": reason})
        return Result(True, 0, "\n".join(lines), [("sessions", out), ("boot", h.boot if h is not None else 0)])

    def _net_line(self, pairs):
        """status's network line, when the network runs: WiFi and MQTT state (their pairs join the status's)."""
        if self.net is None:
            return ""
        w = m = None
        for k, x in self.net():
            if k == "wifi":
                w = x
            elif k == "mqtt":
                m = x
        pairs.append(("wifi", w))
        pairs.append(("mqtt", m))
        return "\nwifi=%s mqtt=%s" % (w, m)

    def _c_net(self, caller, args):
        _no_args(args, "net")
        cp = self.ocpp
        if self.net is None and cp is None:
            return Result(True, 0, "wifi=none mqtt=none (no network on this board, or no wifi_ssid)",
                          [("wifi", "none"), ("mqtt", "none")])
        p = self.net() if self.net is not None else [("wifi", "none"), ("mqtt", "none")]
        if cp is not None:
            p = p + cp.state()  # the OCPP connection, its queue length, the open transaction
        words = []
        for k, v in p:
            words.append("%s=%s" % (k, "-" if v is None else v))
        return Result(True, 0, " ".join(words), p)

    def _c_ap(self, caller, args):
        # The answer holds the access point's password: the serial console's business only (a network
        # caller authenticates otherwise and must not learn it, nor open a network on the charger).
        if not caller.pin:
            raise CommandError(errcodes.REFUSED, "ap: on the serial console only")
        if len(args) > 1 or (args and _settings.lower_ascii(args[0]) != "on"):
            raise CommandError(errcodes.USAGE, "usage: ap [on]")
        if args:
            if self.ap_open is None:
                raise CommandError(errcodes.REFUSED, "this board has no WiFi radio")
            if self.charger.io.relay:
                # Starting the radio is a long C call: on esp32 the control step would wait for it.
                raise CommandError(errcodes.SESSION, "not while the contactor is closed: after the session")
            self.ap_open(False)  # (not printed by itself as well: the answer shows it)
        ap = self.ap
        if ap is None:
            return Result(True, 0, "access point off (ap on brings it up)", [("ap", "down")])
        return Result(True, 0, ap.console_line(), ap.pairs())

    def _c_version(self, caller, args):
        _no_args(args, "version")
        impl = sys.implementation
        pv = "%d.%d.%d" % (impl.version[0], impl.version[1], impl.version[2])
        return Result(True, 0, "evse %s on %s %s" % (VERSION, impl.name, pv), [
            ("firmware", VERSION), ("python", impl.name), ("python_version", pv)])

    def _c_reboot(self, caller, args):
        _no_args(args, "reboot")
        return Result(True, 0, "rebooting", [("rebooting", True)], self._reboot_fn)

    def _c_unlock(self, caller, args):
        if len(args) != 1:
            raise CommandError(errcodes.USAGE, "usage: unlock <pin>")
        pin = self.settings.values.get("pin", "")
        if not pin:
            return Result(True, 0, "no PIN set", [("unlocked", True)])
        now = self._clock()
        wait = self._guesses.wait_s(now)
        if wait:
            raise CommandError(errcodes.LOCKED_OUT, "too many wrong PINs, wait %d s" % wait)
        if pinhash.check(args[0], pin):
            self._unlock(caller)
            self._guesses.good()
            return Result(True, 0, "unlocked for %d s" % (UNLOCK_MS // 1000),
                          [("unlocked", True), ("for_s", UNLOCK_MS // 1000)])
        ms = self._guesses.bad(now)
        if not ms:
            raise CommandError(errcodes.WRONG_PIN, "wrong PIN")
        raise CommandError(errcodes.WRONG_PIN, "wrong PIN, next try in %d s" % (ms // 1000))

    def ctrl_c_allowed(self):
        """Ctrl-C may stop the firmware (into the REPL, where no PIN applies): no PIN set, or `service`."""
        return self.service or not self.settings.values.get("pin", "")

    def _c_service(self, caller, args):
        _no_args(args, "service")
        self.service = True
        return Result(True, 0, "service mode until reboot: Ctrl-C stops the charger (safe state) and opens "
                      "the REPL for mpremote", [("service", True)])

    def _c_lock(self, caller, args):
        _no_args(args, "lock")
        caller.unlocked = False
        pin = bool(self.settings.values.get("pin", ""))
        return Result(True, 0, "locked" if pin else "no PIN set", [("locked", pin)])


# The range a runtime limit may take (A): 0 stops offering; above the board is pointless but harmless.
_LIMIT = _settings.Setting("limit", _settings.T_INT, 0, 80, None, "A", 80, "")


# ---- helpers (also used by the front ends to render)

_STATUS_COLS = const(77)  # `status` fits an 80-column terminal with its "OK " in front


def kwh(wh):
    """'7.360kWh' for 7360 Wh."""
    return "%d.%03dkWh" % (wh // 1000, wh % 1000)


def _meter_line(v):
    """The status's second line when a meter is fitted: power, current per phase, session and total energy."""
    if v["meter"] == "none":
        return ""
    if v["meter_state"] != "ok":
        return "\nmeter=%s %s" % (v["meter"], v["meter_state"])
    cur = v["current_ma"]
    return "\nmeter=%s power=%dW current=%s session=%s total=%s" % (
        v["meter"], v["power_w"], "-" if cur is None else "/".join(amps(c) for c in cur),
        "-" if v["session_wh"] is None else kwh(v["session_wh"]), kwh(v["total_wh"]))


def _short_status(v):
    """The one-line status for a person: state, offer, contactor, temperature, uptime, then as many fault
    names as fit in 80 columns (the count of the rest as +N)."""
    temp = v["temp_dc"]
    head = "state=%s offer=%s%s contactor=%s temp=%s up=%s%s" % (
        v["state"], amps(v["offered_ma"]) if v["pilot"] == "pwm" else "-",
        "" if v["enabled"] else "(disabled)" if not v["sleeping"] else "(sleeping)",
        v["contactor"], "none" if temp is None else tenths(temp) + "C", hms(v["uptime_s"] * 1000),
        " save=pending" if v["save_pending"] else "")
    names = v["faults"]
    if not names:
        return head + " faults=none"
    out = head + " faults="
    for i in range(len(names)):
        rest = len(names) - i - 1
        more = ",+%d" % rest if rest else ""
        piece = ("," if i else "") + names[i]
        if len(out) + len(piece) + len(more) > _STATUS_COLS:
            return out + ("+%d" % (rest + 1) if not i else ",+%d" % (rest + 1))
        out += piece
    return out


def _elapsed(now, t0):
    """now - t0 on the injected clock; a single wrap of a ticks_ms-like clock is undone."""
    d = now - t0
    if d < 0:
        d &= _TICKS_MASK
    return d


def _no_args(args, name):
    if args:
        raise CommandError(errcodes.USAGE, "usage: %s (no arguments)" % name)


def _setting(name):
    s = _settings.find(_settings.lower_ascii(name))
    if s is None:
        raise CommandError(errcodes.UNKNOWN_SETTING, "unknown setting, see settings")
    return s


def jval(s, v):
    """A value for JSON: typed, except the PIN and the secrets, which are never shown."""
    if s.kind == _settings.T_PIN or s.kind == _settings.T_SECRET or s.kind == _settings.T_PASSWORD:
        return "****" if v else ""
    return v


def fault_names(mask):
    out = []
    for i in range(faults.COUNT):
        if mask & (1 << i):
            out.append(faults.NAMES[i])
    return out


def _yes(v):
    return "yes" if v else "no"


def tenths(v):
    sign = "-" if v < 0 else ""
    v = -v if v < 0 else v
    return "%s%d.%d" % (sign, v // 10, v % 10)


def amps(ma):
    return "%d.%dA" % (ma // 1000, ma % 1000 // 100)


def hms(ms):
    s = ms // 1000
    return "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)


def _when(boot, ms):
    return "b%d+%s" % (boot, hms(ms))
