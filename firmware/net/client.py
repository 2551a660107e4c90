# An MQTT 3.1.1 client for asyncio, beside the control loop: QoS 0 and 1 publish, subscriptions restored
# after every reconnect, keepalive, a last will, user name and password, TLS, reconnect with exponential
# backoff and jitter, bounded buffers. It polls one non-blocking socket (net/link.py) and sleeps between
# polls, so it never holds the loop; a broker that misbehaves drops the connection, never raises out of run().
from evse.compat import const

from . import mqtt

TYPE_CHECKING = False  # pyright takes the block below as true; at run time nothing is imported
if TYPE_CHECKING:
    from typing import Any
from .aio import sleep_ms

POLL_MS = const(20)  # between polls of the socket while there is nothing to do
CONNECT_MS = const(10000)  # TCP, TLS and CONNACK must be done within this, or the attempt is dropped
BACKOFF_MIN_MS = const(1000)  # the first retry waits 0.5..1 of this; each failure doubles it ...
BACKOFF_MAX_MS = const(60000)  # ... up to this
MAX_OUT = const(2048)  # bytes waiting to be sent; a publish that does not fit is refused (False)
MAX_INFLIGHT = const(4)  # QoS 1 publishes waiting for their PUBACK
PACKETS_PER_POLL = const(8)  # packets handled before the client yields to the other tasks
_WRAP = const(0x3FFFFFFF)


def _since(now, t):
    return (now - t) & _WRAP


class Client:
    """Client(opener, client_id, clock_ms, keepalive_s=60, user=None, password=None, will=None, rand=None).
    opener(allowed) makes a started net.link.Link, or None when it may not now (a DNS lookup held while the
    contactor is closed); will is (topic, message, retain, qos). on_connect() runs after each CONNACK (the
    subscriptions already sent), on_message(topic, payload, retained) for each message. run() never returns."""

    def __init__(self, opener, client_id, clock_ms, keepalive_s=60, user=None, password=None, will=None,
                 rand=None):
        self._opener = opener
        self.client_id = client_id
        self._clock = clock_ms
        self.keepalive_s = keepalive_s
        self._user = user
        self._password = password
        self._will = will
        self._rand = rand if rand is not None else _rand
        self.subs = {}  # topic filter -> qos, sent again at each connect
        self.on_connect = None
        self.on_message = None
        self.link_ok = _yes  # type: Any  # False: WiFi is down, do not try
        self.heavy_ok = _yes  # type: Any  # False: no long C call now (TLS handshake steps; DNS: the opener)
        self.opener = opener  # (net/task.py's Opener: the address cache, the last link)
        self.state = "down"  # down, wait, connecting, up
        self.error = None  # the last reason a connection ended or failed, for `net`
        self.connects = 0  # CONNACKs accepted
        self.attempts = 0
        self.sent = 0  # packets sent, received, malformed connections, oversize messages skipped
        self.received = 0
        self.malformed = 0
        self.refused = 0  # publishes refused: buffer full or not connected
        self.backoff_ms = BACKOFF_MIN_MS
        self._out = bytearray()
        self._inflight = {}  # pid -> PUBLISH packet (bytes)
        self._pid = 0
        self._link = None  # type: Any
        self._parser = None  # type: Any
        self._t_sent = 0
        self._t_ping = None  # when the outstanding PINGREQ went, or None

    # ---- what the application calls

    def subscribe(self, topic, qos=0):
        """Subscribe now if connected, and again after every reconnect."""
        self.subs[topic] = qos
        if self.state == "up":
            self._queue(mqtt.subscribe(self._next_pid(), [(topic, qos)]))

    def room(self, n):
        """True if a packet of n bytes fits the output buffer now."""
        return self.state == "up" and len(self._out) + n <= MAX_OUT

    def publish(self, topic, payload, retain=False, qos=0):
        """Queue a message: True if queued, False if refused (not connected, buffer or in-flight full)."""
        if self.state != "up" or (qos and len(self._inflight) >= MAX_INFLIGHT):
            self.refused += 1
            return False
        pid = self._next_pid() if qos else 0
        p = mqtt.publish(topic, payload, qos, retain, pid)
        if len(self._out) + len(p) > MAX_OUT:
            self.refused += 1
            return False
        if qos:
            self._inflight[pid] = p
        self._out.extend(p)
        return True

    def pairs(self):
        """(key, value) pairs for `net`."""
        return [("mqtt", self.state), ("mqtt_error", self.error), ("mqtt_connects", self.connects),
                ("mqtt_sent", self.sent), ("mqtt_received", self.received), ("mqtt_malformed", self.malformed),
                ("mqtt_skipped", self._parser.skipped if self._parser is not None else 0)]

    # ---- the task

    async def run(self):
        while True:
            if not self.link_ok():
                self.state = "down"
                await sleep_ms(500)
                continue
            try:
                await self._session()
            except mqtt.ProtocolError as e:
                self.malformed += 1
                self.error = "malformed: %s" % e
            except MemoryError:
                self.error = "out of memory"
            except Exception as e:  # noqa: B902 -- OSError mostly; whatever it is, the charger runs on
                self.error = "%s %s" % (type(e).__name__, e)
            if self.state == "up":
                self.backoff_ms = BACKOFF_MIN_MS  # it was up: the next try comes soon
            self._drop()
            wait = self.backoff_ms // 2 + self._rand(self.backoff_ms // 2)
            self.backoff_ms = min(self.backoff_ms * 2, BACKOFF_MAX_MS)
            self.state = "wait"
            await self._wait(wait)

    async def _wait(self, ms):
        t0 = self._clock()
        while _since(self._clock(), t0) < ms and self.link_ok():
            await sleep_ms(min(500, ms))

    def _drop(self):
        if self._link is not None:
            self._link.close()
        self._link = None
        self._out = bytearray()
        if self.state == "up":
            self.state = "down"

    async def _session(self):
        """One connection, from the connect to its loss (an exception; state "up" once past the CONNACK)."""
        self.state = "connecting"
        self.attempts += 1
        self._out = bytearray()
        link = self._opener(self.heavy_ok())
        while link is None:  # the address is not known and may not be looked up now
            self.state = "wait"
            self.error = "waiting to look the broker up (contactor closed)"
            await sleep_ms(1000)
            if not self.link_ok():
                return
            link = self._opener(self.heavy_ok())
        self.state = "connecting"
        self._link = link
        t0 = self._clock()
        while not link.ready(self.heavy_ok()):
            if _since(self._clock(), t0) >= CONNECT_MS:
                raise OSError("connect timed out")
            if not self.link_ok():
                raise OSError("WiFi lost")
            await sleep_ms(POLL_MS)
        self._parser = mqtt.Parser()
        self._t_ping = None  # (a PINGREQ of the last connection is not this one's)
        self._t_sent = self._clock()
        ka = self.keepalive_s
        self._out.extend(mqtt.connect(self.client_id, ka, self._user, self._password, self._will))
        while True:
            p = None
            if not link.busy() or self.heavy_ok():  # a TLS handshake step only when long C calls may run
                self._flush()
                p = self._receive()
            if p is not None:
                if p.kind != mqtt.CONNACK:
                    raise mqtt.ProtocolError("packet type %d before CONNACK" % p.kind)
                rc = p.body[1]
                if rc:
                    raise OSError("refused: " + (mqtt.CONNACK_TEXT[rc] if rc < 6 else "code %d" % rc))
                break
            if _since(self._clock(), t0) >= CONNECT_MS:
                raise OSError("no CONNACK")
            if not self.link_ok():
                raise OSError("WiFi lost")
            await sleep_ms(POLL_MS)
        self.state = "up"
        self.connects += 1
        self.error = None
        if self.subs:
            self._queue(mqtt.subscribe(self._next_pid(), sorted(self.subs.items())))
        for pid in sorted(self._inflight):  # 4.4: unacknowledged QoS 1 publishes again, with DUP
            p = bytearray(self._inflight[pid])
            p[0] |= 0x08
            self._inflight[pid] = bytes(p)
            self._out.extend(p)
        if self.on_connect is not None:
            self.on_connect()
        while True:
            self._flush()
            n = 0
            while n < PACKETS_PER_POLL:
                p = self._receive()
                if p is None:
                    break
                self._handle(p)
                n += 1
            now = self._clock()
            if self._t_ping is not None and _since(now, self._t_ping) >= ka * 500 + 5000:
                raise OSError("no PINGRESP")
            if ka and self._t_ping is None and _since(now, self._t_sent) >= ka * 750:  # 3/4 of it idle
                self._queue(mqtt.PINGREQ_PACKET)
                self._t_ping = now
            if not self.link_ok():
                raise OSError("WiFi lost")
            if n < PACKETS_PER_POLL:
                await sleep_ms(POLL_MS)
            else:
                await sleep_ms(0)  # more may be waiting: the other tasks first all the same

    def _queue(self, p):
        if len(self._out) + len(p) <= MAX_OUT + 64:  # (control packets are small: a little headroom)
            self._out.extend(p)

    def _flush(self):
        out = self._out
        if not out:
            return
        n = self._link.write(out)
        if n:
            self._out = out[n:]
            self._t_sent = self._clock()
            self.sent += 1

    def _receive(self):
        """One packet from the broker, or None. Reads only when the parser has no whole packet yet."""
        pr = self._parser
        p = pr.next()
        if p is not None:
            return p
        b = self._link.read()
        if b is None:
            return None
        pr.feed(b)
        return pr.next()

    def _handle(self, p):
        self.received += 1
        k = p.kind
        if k == mqtt.PUBLISH:
            if p.qos:
                self._queue(mqtt.puback(p.pid))
            if self.on_message is not None:
                try:
                    self.on_message(p.topic, p.payload, p.retain)
                except Exception:  # noqa: B902 -- a failing handler never drops the connection
                    pass
        elif k == mqtt.PUBACK:
            self._inflight.pop(p.pid, None)
        elif k == mqtt.PINGRESP:
            self._t_ping = None
        elif k == mqtt.CONNACK:
            raise mqtt.ProtocolError("second CONNACK")
        # SUBACK and UNSUBACK: nothing to do (a refused subscription shows as commands that never come)

    def _next_pid(self):
        pid = self._pid % 0xFFFF + 1
        while pid in self._inflight:
            pid = pid % 0xFFFF + 1
        self._pid = pid
        return pid


def _yes():
    return True


_seed = [12345]


def _rand(n):
    """0..n-1, for the backoff's jitter (spreads reconnecting chargers after a broker restart)."""
    if n <= 0:
        return 0
    try:
        import random

        return random.getrandbits(16) % n
    except (ImportError, AttributeError):  # a build without random: a small LCG
        _seed[0] = (_seed[0] * 1103515245 + 12345) & 0x3FFFFFFF
        return _seed[0] % n
