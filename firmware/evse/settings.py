# Installation settings: the schema, validation of typed-in values, mapping onto iodata.Config,
# and persistence as a small JSON file on flash (atomic save, see store.py).
from .compat import const
from . import errcodes, iodata, jsonfmt, store

T_INT = const(0)
T_BOOL = const(1)
T_CHOICE = const(2)
T_PIN = const(3)  # typed as 4..8 ASCII digits; kept as "" (no PIN) or its salted hash (pinhash.py)
T_STR = const(4)  # text of lo..hi characters from the setting's chars ("" = not set; typed as none)
T_SECRET = const(5)  # as T_STR, but write-only: never shown, printed or put in a log (WiFi, MQTT passwords)
T_PASSWORD = const(6)  # as T_SECRET, but kept as its salted hash (pinhash.py) like the PIN: web_password
TYPE_NAMES = ("int", "bool", "choice", "pin", "str", "secret", "password")

SCHEMA_VERSION = const(1)
DEFAULT_PATH = "settings.json"
_RESTORE_HYST_DC = const(50)  # full current again 5.0 C below the derate point (I: OpenEVSE-like)
_DIGITS = "0123456789"
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" + _DIGITS
HOST_CHARS = _ALNUM + ".-_:"  # a DNS name, an IPv4 or an IPv6 address
TOPIC_CHARS = _ALNUM + "_-/"  # an MQTT topic prefix: no wildcards (+ #), no spaces
ID_CHARS = _ALNUM + "-_."  # an OCPP charge point identity: the last part of its URL
URL_CHARS = _ALNUM + ":/.-_~%?#[]@!$&'()*+,;="  # a ws:// or wss:// URL (RFC 3986's characters, no spaces)
PRINTABLE = None  # chars=PRINTABLE: any printable ASCII character, space included (SSIDs, passwords)
_PIN_MIGRATED = "settings: the PIN was stored in plain digits; it is now stored hashed"


class Setting:
    """One setting: name, type, min/max (ints; digit count for a PIN) or choices, unit, default, help."""

    def __init__(self, name, kind, lo, hi, choices, unit, default, help_, allowed=None, chars=PRINTABLE):
        self.name = name
        self.chars = chars  # a text setting's characters (None: printable ASCII); lo..hi is its length
        self.allowed = allowed  # an int setting that takes only these values in lo..hi (phases: 1 or 3)
        self.kind = kind
        self.lo = lo
        self.hi = hi
        self.choices = choices
        self.unit = unit
        self.default = default
        self.help = help_


# Sorted by name. Current limits are capped again by the board (Config.board_max_ma) and the cable.
SCHEMA = (
    Setting("cable_current_a", T_INT, 6, 80, None, "A", 80, "rating of the tethered cable"),
    Setting("cal_cp_gain", T_INT, 9000, 11000, None, "1/10000", 10000,
            "pilot sense gain from `calibrate pilot` (10000 = none)"),
    Setting("cal_cp_offset_mv", T_INT, -1500, 1500, None, "mV", 0, "pilot sense offset from `calibrate pilot`"),
    Setting("console_echo", T_BOOL, None, None, None, "", True, "echo typed characters on the console"),
    Setting("ha_discovery", T_BOOL, None, None, None, "", True,
            "publish Home Assistant discovery configs (off removes them)"),
    Setting("limit_kwh", T_INT, 0, 200, None, "kWh", 0, "end each session after this energy; 0 = no limit"),
    Setting("limit_min", T_INT, 0, 1440, None, "min", 0, "end each session after this long; 0 = no limit"),
    Setting("max_current_a", T_INT, 6, 80, None, "A", 32,
            "installation limit (breaker); board maximum and cable rating still apply"),
    Setting("meter", T_CHOICE, None, None, ("none", "s0", "sdm120", "sdm630", "abb_b23"), "", "none",
            "energy meter fitted (docs/metering.md); applies after save and reboot"),
    Setting("meter_address", T_INT, 1, 247, None, "address", 1, "Modbus address of the meter; applies after reboot"),
    Setting("meter_lost_stop", T_BOOL, None, None, None, "", False,
            "stop charging while the meter is lost (else it is reported only)"),
    Setting("mqtt_commands", T_BOOL, None, None, None, "", True,
            "accept commands over MQTT (<prefix>/set/...); off: telemetry only"),
    Setting("mqtt_host", T_STR, 1, 64, None, "chars", "", "MQTT broker name or address; none = no MQTT",
            chars=HOST_CHARS),
    Setting("mqtt_password", T_SECRET, 1, 64, None, "chars", "", "MQTT password (write-only)"),
    Setting("mqtt_port", T_INT, 1, 65535, None, "port", 1883, "MQTT broker port (8883 is usual with TLS)"),
    Setting("mqtt_prefix", T_STR, 1, 64, None, "chars", "", "MQTT topic prefix; none = evse/<board id>",
            chars=TOPIC_CHARS),
    Setting("mqtt_tls", T_BOOL, None, None, None, "", False, "TLS to the broker, its certificate checked "
            "against mqtt_ca.pem on the board"),
    Setting("mqtt_user", T_STR, 1, 64, None, "chars", "", "MQTT user name; none = anonymous"),
    Setting("ocpp_free_vend", T_BOOL, None, None, None, "", False,
            "OCPP: charge without authorisation (a transaction starts at plug-in)"),
    Setting("ocpp_id", T_STR, 1, 48, None, "chars", "evse", "OCPP: charge point identity (the URL's last part)",
            chars=ID_CHARS),
    Setting("ocpp_password", T_SECRET, 1, 40, None, "chars", "", "OCPP: Basic auth password (write-only)"),
    Setting("ocpp_url", T_STR, 1, 200, None, "chars", "",
            "OCPP central system, ws://host:port/path or wss://...; none = OCPP off; applies after reboot",
            chars=URL_CHARS),
    Setting("phases", T_INT, 1, 3, None, "phases", 1, "phases the charger supplies: 1 or 3", (1, 3)),
    Setting("pin", T_PIN, 4, 8, None, "digits", "", "PIN guarding every write; none = no PIN"),
    Setting("pp_sense", T_BOOL, None, None, None, "", False, "sense the latch (S3) of a tethered J1772 cable"),
    Setting("s0_ppk", T_INT, 1, 10000, None, "pulses/kWh", 1000, "an S0 meter's pulses per kWh (its label)"),
    Setting("socket", T_CHOICE, None, None, ("tethered", "type2"), "", "tethered",
            "tethered cable or Type 2 socket outlet"),
    Setting("temp_derate_c", T_INT, 30, 90, None, "degC", 65, "halve the current above this; below temp_stop_c"),
    Setting("temp_stop_c", T_INT, 40, 100, None, "degC", 75, "stop charging above this temperature"),
    Setting("ventilation", T_BOOL, None, None, None, "", False, "allow charging in state D (ventilated site)"),
    # issue 14: the web page (docs/web.md)
    Setting("web", T_BOOL, None, None, None, "", False, "serve the web page and its API on web_port; applies "
            "after reboot"),
    Setting("web_password", T_PASSWORD, 8, 64, None, "chars", "",
            "web login password (write-only, stored hashed); none = log in with the console PIN"),
    Setting("web_port", T_INT, 1, 65535, None, "port", 80, "TCP port of the web page; applies after reboot"),
    Setting("wifi_password", T_SECRET, 8, 63, None, "chars", "", "WiFi password (write-only); WPA2 takes 8..63"),
    Setting("wifi_setup", T_BOOL, None, None, None, "", True,
            "open the set-up access point at boot while no wifi_ssid is set (off: the radio stays off)"),
    Setting("wifi_ssid", T_STR, 1, 32, None, "chars", "", "WiFi network to join; none = no WiFi"),
)


def find(name):
    """The Setting called name, or None."""
    for s in SCHEMA:
        if s.name == name:
            return s
    return None


def defaults():
    """A new dict of every setting's default value."""
    d = {}
    for s in SCHEMA:
        d[s.name] = s.default
    return d


def lower_ascii(t):
    """t in lower case if it is all ASCII, else t unchanged (the same on both interpreters)."""
    for c in t:
        if ord(c) > 0x7E:
            return t
    return t.lower()


def _is_int(v):
    return isinstance(v, int) and v is not True and v is not False


def valid(s, v):
    """True if v is a well-typed, in-range value for setting s (cross-setting rules aside)."""
    k = s.kind
    if k == T_INT:
        return _is_int(v) and s.lo <= v <= s.hi and (s.allowed is None or v in s.allowed)
    if k == T_BOOL:
        return v is True or v is False
    if k == T_CHOICE:
        return isinstance(v, str) and v in s.choices
    if k == T_PIN:
        if v == "":
            return True
        from . import pinhash  # on first use: a board without a PIN never spends its RAM

        return pinhash.is_hash(v)
    if k == T_PASSWORD:
        from . import pinhash

        return v == "" or pinhash.is_hash(v)
    if k == T_STR or k == T_SECRET:
        return isinstance(v, str) and text_ok(s, v) and (s.chars is not TOPIC_CHARS or topic_ok(v))
    return False


def topic_ok(v):
    """An MQTT topic prefix: "" or levels of at least one character, no leading or trailing slash."""
    return v == "" or (v[0] != "/" and v[-1] != "/" and "//" not in v)


def text_ok(s, v):
    """True if v has the length and the characters text setting s allows ("" is always allowed)."""
    if v == "":
        return True
    if not (s.lo <= len(v) <= s.hi):
        return False
    for c in v:
        n = ord(c)
        if s.chars is None:
            if n < 0x20 or n > 0x7E:
                return False
        elif c not in s.chars:
            return False
    return True


def _plain_pin(s, v):
    """True for a PIN stored in plain digits (files written before PINs were hashed)."""
    if not isinstance(v, str) or not (s.lo <= len(v) <= s.hi):
        return False
    for c in v:
        if c not in _DIGITS:
            return False
    return True


def parse(s, text):
    """(ok, value, err_code, message) for text typed for setting s."""
    t = text.strip(" \t\r\n")  # ASCII only: CPython's strip() would also take Unicode spaces
    k = s.kind
    if k == T_INT:
        digits = t[1:] if t[:1] == "-" else t
        if not digits or len(digits) > 6:
            return False, None, errcodes.BAD_VALUE, "expected an integer"
        for c in digits:
            if c not in _DIGITS:
                return False, None, errcodes.BAD_VALUE, "expected an integer"
        v = int(t)
        if not (s.lo <= v <= s.hi):
            return False, None, errcodes.OUT_OF_RANGE, "range %d..%d %s" % (s.lo, s.hi, s.unit)
        if s.allowed is not None and v not in s.allowed:
            return False, None, errcodes.OUT_OF_RANGE, " or ".join(str(a) for a in s.allowed)
        return True, v, 0, ""
    if k == T_BOOL:
        t = lower_ascii(t)
        if t in ("on", "true", "yes", "1"):
            return True, True, 0, ""
        if t in ("off", "false", "no", "0"):
            return True, False, 0, ""
        return False, None, errcodes.BAD_VALUE, "expected on/off"
    if k == T_CHOICE:
        t = lower_ascii(t)
        if t in s.choices:
            return True, t, 0, ""
        return False, None, errcodes.BAD_VALUE, "one of " + "|".join(s.choices)
    if k == T_PIN:
        if lower_ascii(t) == "none":
            return True, "", 0, ""
        for c in t:
            if c not in _DIGITS:
                return False, None, errcodes.BAD_VALUE, "digits only, or none"
        if not (s.lo <= len(t) <= s.hi):
            return False, None, errcodes.OUT_OF_RANGE, "%d..%d digits" % (s.lo, s.hi)
        return True, t, 0, ""
    if k == T_STR or k == T_SECRET or k == T_PASSWORD:
        if lower_ascii(t) == "none":  # (a network literally called "none" cannot be joined)
            return True, "", 0, ""
        if len(t) > s.hi or len(t) < s.lo:
            return False, None, errcodes.OUT_OF_RANGE, "%d..%d characters" % (s.lo, s.hi)
        if not text_ok(s, t):
            return False, None, errcodes.BAD_VALUE, "printable ASCII only" if s.chars is None else \
                "letters, digits and " + " ".join(c for c in s.chars if c not in _ALNUM) + " only"
        if s.chars is TOPIC_CHARS and not topic_ok(t):
            return False, None, errcodes.BAD_VALUE, "no empty level: no leading, trailing or double /"
        if s.name == "ocpp_url" and not (t.startswith("ws://") or t.startswith("wss://")):
            return False, None, errcodes.BAD_VALUE, "ws://... or wss://..., or none"
        return True, t, 0, ""
    return False, None, errcodes.BAD_VALUE, "bad value"


def show(s, v):
    """Text for a value of setting s on the console; a PIN or a secret is never shown."""
    if s.kind == T_PIN or s.kind == T_SECRET or s.kind == T_PASSWORD:
        return "****" if v else "none"
    if s.kind == T_STR and v == "":
        return "none"
    if v is True:
        return "true"
    if v is False:
        return "false"
    return str(v)


class Settings:
    """Current setting values (`values`, name -> value), their flash copy and load warnings."""

    def __init__(self, path=DEFAULT_PATH):
        # type: (str | None) -> None
        self.path = path  # None: the "flash copy" is kept in RAM (the simulator never writes a file)
        self.values = defaults()
        self.warnings = []  # shown on the console at boot; filled by load()
        self.save_pending = False  # a save staged while the contactor was closed: flush() writes it
        self._staged = None  # the values as they were when that save was asked for
        self._saved = defaults()

    def preset(self, values):
        """Use values as both the current and the flash copy (the simulator's scenario settings)."""
        self.values = dict(values)
        self._saved = dict(values)

    def get(self, name):
        """Current value of a setting (KeyError if unknown)."""
        return self.values[name]

    def validate(self, name, text):
        """Check text for a setting against its type, range and the other settings, changing nothing:
        (ok, value, err_code, message)."""
        s = find(name)
        if s is None:
            return False, None, errcodes.UNKNOWN_SETTING, "unknown setting"
        ok, v, code, msg = parse(s, text)
        if not ok:
            return False, None, code, msg
        if name == "temp_derate_c" and v >= self.values["temp_stop_c"]:
            return False, None, errcodes.CONFLICT, "must be below temp_stop_c (%d)" % self.values["temp_stop_c"]
        if name == "temp_stop_c" and v <= self.values["temp_derate_c"]:
            return False, None, errcodes.CONFLICT, "must be above temp_derate_c (%d)" % self.values["temp_derate_c"]
        if (s.kind == T_PIN or s.kind == T_PASSWORD) and v:
            from . import pinhash

            v = pinhash.make(v)  # the digits (the password) are never kept
        return True, v, 0, show(s, v)

    def set(self, name, text):
        """Validate text for a setting and apply it: (ok, err_code, message). Changes nothing on error.
        (At run time the command layer, evse/commands.py, does this with the session's rules.)"""
        ok, v, code, msg = self.validate(name, text)
        if ok:
            self.values[name] = v
        return ok, code, msg

    def dirty(self):
        """True if the current values differ from the flash copy."""
        for k in self.values:
            if self.values[k] != self._saved.get(k):
                return True
        return False

    def to_config(self, config):
        """Apply the values to an iodata.Config (A -> mA, degC -> tenths, socket -> SOCKET_*)."""
        v = self.values
        ma = v["max_current_a"] * 1000
        if ma > config.board_max_ma:
            ma = config.board_max_ma
        config.max_current_ma = ma
        config.ventilation = v["ventilation"]
        config.socket = iodata.SOCKET_TYPE2 if v["socket"] == "type2" else iodata.SOCKET_TETHERED
        config.pp_sense = v["pp_sense"]
        config.cable_ma = v["cable_current_a"] * 1000
        config.temp_derate_dc = v["temp_derate_c"] * 10
        config.temp_restore_dc = v["temp_derate_c"] * 10 - _RESTORE_HYST_DC
        config.temp_stop_dc = v["temp_stop_c"] * 10
        config.cp_gain = v["cal_cp_gain"]
        config.cp_offset_mv = v["cal_cp_offset_mv"]
        config.meter_stop = v["meter_lost_stop"]
        config.limit_wh = v["limit_kwh"] * 1000
        config.limit_ms = v["limit_min"] * 60000  # 1440 min is 86,400,000 ms: a small int on 32-bit ports

    def text(self, values=None):
        """The file contents for the current values (or for values)."""
        return jsonfmt.dumps({"schema": SCHEMA_VERSION, "settings": self.values if values is None else values}) + "\n"

    def save(self, values=None):
        """Write the values (or values) to flash atomically. True on success; False (nothing lost) on an
        OSError. Without a path the flash copy is kept in RAM (the simulator writes no file)."""
        vals = dict(self.values if values is None else values)
        if self.path is not None:
            try:
                store.write_atomic(self.path, self.text(vals))
            except OSError:
                return False
        self._saved = vals
        self.save_pending = False
        self._staged = None
        return True

    def stage(self):
        """Ask for a save of the values as they are now, written by flush() once the contactor is open."""
        self._staged = dict(self.values)
        self.save_pending = True

    def flush(self, contactor_closed):
        """Write a staged save once the contactor is open (flash writes stop interrupts on rp2 and the
        cache on esp32, so none happens during an energised session). True if one was written; a failed
        write stays pending and is tried again."""
        if self.save_pending and not contactor_closed:
            return self.save(self._staged)
        return False

    def load(self):
        """Read the values from flash. Never raises: bad parts fall back to defaults with a warning.
        A PIN found in plain digits is hashed and the file rewritten (staged for the housekeeping task)."""
        vals, w = self.read()
        self.adopt(vals, w)
        for x in w:
            if x == _PIN_MIGRATED:
                self._saved["pin"] = None  # the file still holds the digits: it differs, and is rewritten
                self.stage()

    def adopt(self, values, warnings):
        """Take values (as read()) as both the current values and the flash copy."""
        self.values = values
        self.warnings = warnings
        self._saved = dict(values)
        self.save_pending = False
        self._staged = None

    def read(self):
        """(values, warnings) as stored on flash (the RAM copy without a path), changing nothing here.
        Never raises: bad parts fall back to defaults with a warning."""
        if self.path is None:
            return dict(self._saved), []
        vals = defaults()
        w = []
        try:
            self._read(vals, w)
        except Exception:  # belt and braces: whatever happened, run on defaults
            vals = defaults()
            w.append("settings: unreadable, using defaults")
        return vals, w

    def _read(self, values, w):
        obj, problem = store.load(self.path)
        if obj is None:
            if problem is not None:
                w.append("settings: %s is %s, using defaults" % (self.path, problem))
            return
        schema = obj.get("schema")
        vals = obj.get("settings")
        if not _is_int(schema) or schema != SCHEMA_VERSION or not isinstance(vals, dict):
            w.append("settings: %s has an unknown schema, using defaults" % self.path)
            return
        for s in SCHEMA:
            if s.name in vals:
                v = vals[s.name]
                if s.kind == T_PIN and _plain_pin(s, v):
                    from . import pinhash

                    values[s.name] = pinhash.make(v)
                    w.append(_PIN_MIGRATED)
                elif valid(s, v):
                    values[s.name] = v
                else:
                    w.append("settings: bad %s, default used" % s.name)
        for k in sorted(vals):
            if find(k) is None:
                w.append("settings: unknown setting %s ignored" % jsonfmt.string(str(k)))
        if values["temp_derate_c"] >= values["temp_stop_c"]:
            d = defaults()
            values["temp_derate_c"] = d["temp_derate_c"]
            values["temp_stop_c"] = d["temp_stop_c"]
            w.append("settings: temp_derate_c not below temp_stop_c, defaults used")

    def revert(self):
        """Drop unsaved changes: reload from flash."""
        self.load()

    def factory_reset(self):
        """Restore every default (the PIN too) and save. True on success; on a failed save nothing changes."""
        old = self.values
        self.values = defaults()
        if self.save():
            self.warnings = []
            return True
        self.values = old
        return False
