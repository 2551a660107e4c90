# MQTT 3.1.1 packets (OASIS standard, 2014): building what the client sends and taking apart what the broker
# sends, with every length checked. No I/O: bytes in, packets out (net/client.py does the sockets).
from evse.compat import const

CONNECT = const(1)
CONNACK = const(2)
PUBLISH = const(3)
PUBACK = const(4)
SUBSCRIBE = const(8)
SUBACK = const(9)
UNSUBACK = const(11)
PINGREQ = const(12)
PINGRESP = const(13)
DISCONNECT = const(14)

MAX_IN = const(1024)  # the largest packet taken from the broker; a larger PUBLISH is skipped, never stored
_MAX_TOPIC = const(256)
PINGREQ_PACKET = b"\xc0\x00"
DISCONNECT_PACKET = b"\xe0\x00"

# CONNACK return codes (3.2.2.3), for people
CONNACK_TEXT = ("accepted", "bad protocol version", "client id rejected", "server unavailable",
                "bad user name or password", "not authorised")


class ProtocolError(Exception):
    """The broker sent something MQTT 3.1.1 does not allow: the connection is dropped."""


def _varlen(n):
    """The Remaining Length field (2.2.3): 1..4 bytes of 7 bits, lowest first."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return out


def _str(s):
    b = s.encode() if isinstance(s, str) else bytes(s)
    if len(b) > 0xFFFF:
        raise ValueError("mqtt: string too long")
    return bytes((len(b) >> 8, len(b) & 0xFF)) + b


def _packet(first, body):
    return bytes((first,)) + bytes(_varlen(len(body))) + body


def connect(client_id, keepalive_s, user=None, password=None, will=None, clean=True):
    """CONNECT (3.1). will: (topic, message, retain, qos) or None."""
    flags = 0x02 if clean else 0
    payload = _str(client_id)
    if will is not None:
        topic, msg, retain, qos = will
        flags |= 0x04 | (qos << 3) | (0x20 if retain else 0)
        payload += _str(topic) + _str(msg)
    if user:
        flags |= 0x80
        payload += _str(user)
        if password:
            flags |= 0x40
            payload += _str(password)
    body = b"\x00\x04MQTT\x04" + bytes((flags, keepalive_s >> 8, keepalive_s & 0xFF)) + payload
    return _packet(0x10, body)


def publish(topic, payload, qos=0, retain=False, pid=0, dup=False):
    """PUBLISH (3.3). payload: bytes or str."""
    first = 0x30 | (qos << 1) | (0x01 if retain else 0) | (0x08 if dup else 0)
    body = _str(topic)
    if qos:
        body += bytes((pid >> 8, pid & 0xFF))
    body += payload.encode() if isinstance(payload, str) else bytes(payload)
    return _packet(first, body)


def puback(pid):
    return bytes((0x40, 2, pid >> 8, pid & 0xFF))


def subscribe(pid, topics):
    """SUBSCRIBE (3.8): topics is [(filter, qos)]."""
    body = bytes((pid >> 8, pid & 0xFF))
    for t, q in topics:
        body += _str(t) + bytes((q,))
    return _packet(0x82, body)


class Packet:
    """One packet from the broker: kind (CONNACK...), flags (low 4 bits of the first byte), body (bytes);
    for a PUBLISH also topic (str), pid (0 at QoS 0), qos, retain, payload (bytes)."""

    def __init__(self, kind, flags, body):
        self.kind = kind
        self.flags = flags
        self.body = body
        self.topic = None
        self.pid = 0
        self.qos = 0
        self.retain = False
        self.payload = b""


class Parser:
    """Takes the broker's bytes as they come (feed) and gives whole packets (next). A packet that breaks
    the protocol raises ProtocolError; a PUBLISH longer than MAX_IN is skipped (counted in skipped) without
    ever holding more than MAX_IN bytes."""

    def __init__(self, max_in=MAX_IN):
        self.max_in = max_in
        self.buf = bytearray()
        self.skip = 0  # bytes still to discard of an oversize PUBLISH
        self.skipped = 0

    def feed(self, data):
        """Add data. Raises ProtocolError if more than max_in bytes would wait (nobody calls next())."""
        if self.skip:
            n = min(self.skip, len(data))
            self.skip -= n
            data = data[n:]
            if not data:
                return
        if len(self.buf) + len(data) > self.max_in + 5:
            raise ProtocolError("input buffer full")
        self.buf.extend(data)

    def next(self):
        """The next whole packet, or None until more bytes come."""
        while True:
            b = self.buf
            if len(b) < 2:
                return None
            n = 0
            mult = 1
            i = 1
            while True:
                if i >= len(b):
                    return None
                c = b[i]
                n += (c & 0x7F) * mult
                i += 1
                if not c & 0x80:
                    break
                if i > 4:  # 2.2.3: at most four bytes
                    raise ProtocolError("remaining length longer than 4 bytes")
                mult <<= 7
            kind = b[0] >> 4
            if n > self.max_in:
                if kind != PUBLISH:
                    raise ProtocolError("packet of %d bytes" % n)
                have = len(b) - i
                self.buf = bytearray()
                self.skip = n - have if have < n else 0
                self.skipped += 1
                if have > n:  # the next packet began in the same read
                    self.buf.extend(b[i + n:])
                    continue
                return None
            if len(b) - i < n:
                return None
            body = bytes(b[i:i + n])
            self.buf = b[i + n:]
            return check(kind, b[0] & 0x0F, body)


def check(kind, flags, body):
    """A Packet for a received first byte's kind and flags and its body, checked against 3.1.1; raises
    ProtocolError for anything a broker may not send a client."""
    n = len(body)
    p = Packet(kind, flags, body)
    if kind == PUBLISH:
        qos = (flags >> 1) & 3
        if qos == 3:
            raise ProtocolError("PUBLISH with QoS 3")
        if qos == 2:  # we subscribe at QoS 0 and 1 only: a broker never sends QoS 2 to us (3.8.4)
            raise ProtocolError("PUBLISH with QoS 2")
        if n < 2:
            raise ProtocolError("PUBLISH without topic")
        tl = (body[0] << 8) | body[1]
        at = 2 + tl
        if tl == 0 or tl > _MAX_TOPIC or at + (2 if qos else 0) > n:
            raise ProtocolError("PUBLISH topic length %d in %d bytes" % (tl, n))
        try:
            p.topic = body[2:at].decode()
        except UnicodeError:
            raise ProtocolError("PUBLISH topic not UTF-8")
        if "+" in p.topic or "#" in p.topic:
            raise ProtocolError("PUBLISH topic with a wildcard")
        if qos:
            p.pid = (body[at] << 8) | body[at + 1]
            if p.pid == 0:
                raise ProtocolError("PUBLISH packet id 0")
            at += 2
        p.qos = qos
        p.retain = bool(flags & 1)
        p.payload = body[at:]
        return p
    if flags != 0:  # 2.2.2: every other packet from the broker has flags 0
        raise ProtocolError("flags %d on packet type %d" % (flags, kind))
    if kind == CONNACK:
        if n != 2 or body[0] & 0xFE:
            raise ProtocolError("bad CONNACK")
        return p
    if kind == PUBACK or kind == UNSUBACK:
        if n != 2:
            raise ProtocolError("bad PUBACK/UNSUBACK length %d" % n)
        p.pid = (body[0] << 8) | body[1]
        return p
    if kind == SUBACK:
        if n < 3:
            raise ProtocolError("bad SUBACK length %d" % n)
        p.pid = (body[0] << 8) | body[1]
        for c in body[2:]:
            if c not in (0, 1, 2, 0x80):
                raise ProtocolError("bad SUBACK return code %d" % c)
        return p
    if kind == PINGRESP:
        if n:
            raise ProtocolError("bad PINGRESP")
        return p
    raise ProtocolError("packet type %d from the broker" % kind)
