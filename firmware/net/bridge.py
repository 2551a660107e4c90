# The charger on MQTT: telemetry from the command layer's status snapshot, commands into the command layer
# (never around it), availability, and the Home Assistant discovery configs. Topics: docs/network.md.
from evse import errcodes, jsonfmt
from evse.commands import Caller
from evse.compat import const

from . import discovery
from .aio import sleep_ms

ROUND_MS = const(250)  # the snapshot is looked at this often
STATUS_EVERY_MS = const(30000)  # <prefix>/status at least this often, and on a change: ...
STATUS_MIN_MS = const(1000)  # ... at once for the state, contactor, faults, enabled, limits; a changed measurement
# (power, current, energy, temperature) waits until a second after the last status, so a charging session
# publishes once a second, not four times
RATE_MS = const(200)  # commands: one per this on average (5 a second) ...
BURST = const(10)  # ... with bursts of up to this many
MAX_PAYLOAD = const(16)  # bytes: longer command payloads are refused unread
_WRAP = const(0x3FFFFFFF)
_SWITCH = ("on", "off")


def _since(now, t):
    return (now - t) & _WRAP


def _a(ma):
    return None if ma is None else jsonfmt.Fixed(ma, 3)


def status_of(pairs):
    """The <prefix>/status object for the snapshot's (key, value) pairs: currents in A, temperature in C."""
    v = {}
    for k, x in pairs:
        v[k] = x
    rt = v["runtime_limit_ma"]
    lim = v["limit_ma"]
    cur = v["current_ma"]
    temp = v["temp_dc"]
    return {"state": v["state"], "pilot": v["pilot"], "offer_a": _a(v["offered_ma"] if v["pilot"] == "pwm" else 0),
            "contactor": v["contactor"], "faults": v["faults"], "latched": v["latched"],
            "temperature_c": None if temp is None else jsonfmt.Fixed(temp, 1), "power_w": v["power_w"],
            "current_a": None if cur is None else [_a(c) for c in cur], "session_wh": v["session_wh"],
            "total_wh": v["total_wh"], "enabled": v["enabled"], "sleeping": v["sleeping"],
            "limit_a": _a(lim), "runtime_limit_a": _a(rt), "max_a": _a(lim if rt is None or rt > lim else rt),
            "meter": v["meter_state"]}


class Bridge:
    """Bridge(client, commands, prefix, node, model, clock_ms, phases, commands_on, discovery_on).
    run() never returns; pairs() for `net`."""

    def __init__(self, client, commands, prefix, node, model, clock_ms, phases=1, commands_on=True,
                 discovery_on=True):
        self.client = client
        self.cmd = commands
        self.prefix = prefix
        self.node = node
        self.model = model
        self._clock = clock_ms
        self.phases = phases
        self.commands_on = commands_on
        self.discovery_on = discovery_on
        self.caller = Caller("mqtt", pin=False)  # the broker authenticates: the console's PIN does not apply
        self._set = prefix + "/set/"
        self._status = None  # the last status text published, its urgent part, and when
        self._head = None
        self._status_t = 0
        self._state = None
        self._disc = 0  # the next discovery config to publish on this connection (len(ENTITIES): done)
        self._online = False
        self._tok = BURST
        self._tok_t = clock_ms()
        self._err = None  # the error waiting to be published: (topic part, code, text)
        self.commands = 0  # commands run, refused by the layer or by the checks here, dropped by the rate limit
        self.errors = 0
        self.dropped = 0
        self.published = 0
        client.on_connect = self._connected
        client.on_message = self._message
        if commands_on:
            client.subscribe(self._set + "+", 0)

    def pairs(self):
        return [("mqtt_prefix", self.prefix), ("mqtt_commands", self.commands), ("mqtt_command_errors", self.errors),
                ("mqtt_dropped", self.dropped), ("mqtt_published", self.published)]

    def _connected(self):
        """A new connection (the client has sent the subscriptions): everything again."""
        self._online = False
        self._disc = 0
        self._status = None
        self._head = None
        self._state = None

    async def run(self):
        while True:
            await sleep_ms(ROUND_MS)
            try:
                self.round(self._clock())
            except MemoryError:
                pass  # the heap is short now: the next round tries again
            except Exception:  # noqa: B902 -- never the end of the telemetry
                pass

    def round(self, now):
        """One round at now (ms): availability, a discovery config, telemetry, a pending error."""
        c = self.client
        if c.state != "up":
            return
        if not self._online:
            if not c.publish(self.prefix + "/availability", "online", True, 1):
                return
            self._online = True
        self._discovery()
        self._telemetry(now)
        e = self._err
        if e is not None and c.publish(self.prefix + "/error", jsonfmt.dumps(
                {"topic": e[0], "code": e[1], "error": e[2], "dropped": self.dropped}), False, 0):
            self._err = None

    def _discovery(self):
        """The discovery configs, a few per round as the buffer takes them: a wanted entity's config, or an
        empty retained payload that removes it (discovery off, commands off, phases it does not have)."""
        c = self.client
        n = len(discovery.ENTITIES)
        while self._disc < n:
            i = self._disc
            if self.discovery_on and discovery.wanted(i, self.phases, self.commands_on):
                t, payload = discovery.config(i, self.node, self.prefix, self.model, self._max_a())
            else:
                t, payload = discovery.topic(i, self.node), ""
            if not c.room(len(t) + len(payload) + 8) or not c.publish(t, payload, True, 1):
                return
            self._disc += 1

    def _max_a(self):
        return self.cmd.charger.config.max_current_ma // 1000  # the installation's limit as the board caps it

    def _telemetry(self, now):
        c = self.client
        pairs = self.cmd.snapshot()
        obj = status_of(pairs)
        text = jsonfmt.dumps(obj)
        head = "%s %s %s %s %s %s %s" % (obj["state"], obj["contactor"], obj["faults"], obj["latched"], obj["enabled"],
                                         obj["sleeping"], jsonfmt.dumps(obj["max_a"]))
        gone = _since(now, self._status_t)
        if head != self._head or gone >= STATUS_EVERY_MS or (text != self._status and gone >= STATUS_MIN_MS):
            if c.publish(self.prefix + "/status", text):
                self._status = text
                self._head = head
                self._status_t = now
                self.published += 1
        st = obj["state"][:1]
        if st != self._state and c.publish(self.prefix + "/state", st, True):
            self._state = st

    # ---- commands

    def _message(self, topic, payload, retained=False):
        """A message on <prefix>/set/<what>. Loop context (the client's task)."""
        if not topic.startswith(self._set):
            return
        what = topic[len(self._set):]
        if retained:
            # A retained command is an old one, delivered again at every (re)connect: a stale OFF would
            # disable the charger after each broker restart. Commands are taken as they are sent only.
            if self._err is None:
                self._error(what, errcodes.REFUSED, "retained command ignored: publish commands without retain")
            return
        now = self._clock()
        gained = _since(now, self._tok_t) // RATE_MS
        if gained:
            self._tok = min(BURST, self._tok + gained)
            self._tok_t = now if self._tok == BURST else (self._tok_t + gained * RATE_MS) & _WRAP
        if self._tok <= 0:
            self.dropped += 1
            if self._err is None:
                self._error(what, errcodes.RATE_LIMITED, "rate limited: commands dropped")
            return
        self._tok -= 1
        self.commands += 1
        if not self.commands_on:
            self._error(what, errcodes.REFUSED, "MQTT commands are off (setting mqtt_commands)")
            return
        words = self._words(what, payload)
        if words is None:
            return
        r = self.cmd.run(self.caller, words)
        if not r.ok:
            self._error(what, r.code, r.text)
        self._head = None  # the change shows at the next round

    def _words(self, what, payload):
        """The command layer's words for a command topic and payload, or None (the error set)."""
        if len(payload) > MAX_PAYLOAD:
            self._error(what, errcodes.LINE_TOO_LONG, "payload longer than %d bytes" % MAX_PAYLOAD)
            return None
        for b in payload:
            if b < 0x20 or b > 0x7E:
                self._error(what, errcodes.BAD_VALUE, "payload is not printable ASCII")
                return None
        t = payload.decode().strip(" ")
        low = t.lower()
        if what == "max_current":
            if low in ("none", ""):
                return ["limit", "none"]
            while low.endswith("0") and "." in low:  # HA may send 16.0
                low = low[:-1]
            if low.endswith("."):
                low = low[:-1]
            return ["limit", low]
        if what == "enabled":
            if low == "on":
                return ["enable"]
            if low == "off":
                return ["disable"]
            self._error(what, errcodes.BAD_VALUE, "ON or OFF")
            return None
        if what == "sleep":
            if low in ("", "press", "on", "1"):
                return ["sleep"]
            self._error(what, errcodes.BAD_VALUE, "PRESS")
            return None
        self._error(what, errcodes.UNKNOWN_COMMAND, "unknown command topic; set/max_current, set/enabled, set/sleep")
        return None

    def _error(self, what, code, text):
        self.errors += 1
        self._err = (what, code, text)
