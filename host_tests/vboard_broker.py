# A misbehaving MQTT broker on real sockets on 127.0.0.1, run as an asyncio task of the virtual board
# (tools/vboard/vmain.py) beside the firmware: it answers as a broker would, or never answers, floods the
# charger with commands, sends malformed packets, or restarts. Non-blocking sockets only, so it runs in the
# board's virtual time. Plain Python: CPython and the MicroPython unix port.
import socket

_EAGAIN = (11, 35, 115)


def _addr(port):
    return socket.getaddrinfo("127.0.0.1", port, socket.AF_INET, socket.SOCK_STREAM)[0][-1]


def _listen():
    """A listening socket on a free port of 127.0.0.1, and the port."""
    seed = id(object()) & 0x3FFF
    for i in range(200):
        port = 20000 + (seed * 7 + i * 131) % 40000
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(_addr(port))
        except OSError:
            s.close()
            continue
        s.listen(4)
        s.setblocking(False)
        return s, port
    raise OSError("no free port on 127.0.0.1")


def _eagain(e):
    return isinstance(e, OSError) and (e.args[0] if e.args else None) in _EAGAIN or type(e).__name__ == \
        "BlockingIOError"


def _frames(buf):
    """(whole packets as (first byte, body), rest) of the client's bytes."""
    out = []
    while len(buf) >= 2:
        n = 0
        mult = 1
        i = 1
        while i < len(buf) and buf[i] & 0x80:
            n += (buf[i] & 0x7F) * mult
            mult <<= 7
            i += 1
        if i >= len(buf):
            break
        n += buf[i] * mult
        i += 1
        if len(buf) - i < n:
            break
        out.append((buf[0], bytes(buf[i:i + n])))
        buf = buf[i + n:]
    return out, buf


def _publish(topic, payload):
    t = topic.encode()
    body = bytes((len(t) >> 8, len(t) & 0xFF)) + t + payload
    return bytes((0x30, len(body))) + body


class Broker:
    """mode: "ok" (a plain broker), "silent" (accepts TCP, never answers, never reads), "flood" (rate
    commands a second on <prefix>/set/max_current once subscribed), "malformed" (a broken packet at
    bad_ms after the CONNACK), "restart" (drops every connection and stops listening at down_ms for
    down_for_ms). publishes: (ms, topic, payload) received; subscribes: (ms, connection no., filter)."""

    def __init__(self, mode="ok", clock=None):
        self.mode = mode
        self.ls, self.port = _listen()
        self.conns = []  # [socket, buffer, number, subscribed]
        self.n = 0
        self.publishes = []
        self.subscribes = []
        self.connects = []  # ms of every CONNECT
        self.sent = 0
        self.dropped = 0  # flood messages the socket would not take
        self.rate = 1000
        self.prefix = "evse/vb"
        self.bad_ms = 2000
        self.bad = b"\x20\x05\x00\x00\x00\x00\x00"  # a second CONNACK, of the wrong length
        self.down_ms = 2000
        self.down_for_ms = 1500
        self._bad_sent = False
        self._down = False

    async def serve(self, app=None):
        import asyncio
        import time

        t_flood = None
        k = 0
        while True:
            now = time.ticks_ms()
            if self.mode == "restart" and not self._down and now >= self.down_ms:
                self._down = True
                for c in self.conns:
                    c[0].close()
                self.conns = []
                self.ls.close()
            if self._down and self.ls is not None and now >= self.down_ms + self.down_for_ms:
                self.ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                self.ls.bind(_addr(self.port))
                self.ls.listen(4)
                self.ls.setblocking(False)
                self._down = False
                self.mode = "ok"
            if not self._down and self.mode != "silent":
                try:
                    s, _ = self.ls.accept()
                    s.setblocking(False)
                    self.n += 1
                    self.conns.append([s, b"", self.n, False])
                except OSError as e:
                    if not _eagain(e):
                        raise
            for c in list(self.conns):
                self._serve_one(c, now)
            if self.mode == "flood":
                if t_flood is None:
                    t_flood = now
                due = (now - t_flood) * self.rate // 1000
                for c in self.conns:
                    if not c[3]:
                        continue
                    while k < due:
                        k += 1
                        v = ("%d" % (6 + k % 20)).encode() if k % 7 else b"x!"  # now and then a bad one
                        self._send(c, _publish(self.prefix + "/set/max_current", v), True)
            await asyncio.sleep_ms(5)

    def _send(self, c, data, flood=False):
        try:
            n = c[0].send(data)
            self.sent += 1
            if n != len(data):
                self.dropped += 1
        except OSError as e:
            if not _eagain(e):
                self._close(c)
            elif flood:
                self.dropped += 1

    def _close(self, c):
        try:
            c[0].close()
        except OSError:
            pass
        if c in self.conns:
            self.conns.remove(c)

    def _serve_one(self, c, now):
        try:
            b = c[0].recv(1024)
        except OSError as e:
            if _eagain(e):
                b = None
            else:
                self._close(c)
                return
        if b is not None and not b:
            self._close(c)
            return
        if b:
            c[1] += b
        frames, c[1] = _frames(c[1])
        for first, body in frames:
            kind = first >> 4
            if kind == 1:
                self.connects.append(now)
                self._send(c, b"\x20\x02\x00\x00")
            elif kind == 3:
                tl = (body[0] << 8) | body[1]
                qos = (first >> 1) & 3
                at = 2 + tl + (2 if qos else 0)
                self.publishes.append((now, body[2:2 + tl].decode(), body[at:]))
                if qos:
                    self._send(c, b"\x40\x02" + body[2 + tl:at])
            elif kind == 8:
                self.subscribes.append((now, c[2], body[4:4 + ((body[2] << 8) | body[3])].decode()))
                self._send(c, b"\x90\x03" + body[:2] + b"\x00")
                c[3] = True
            elif kind == 12:
                self._send(c, b"\xd0\x00")
            elif kind == 14:
                self._close(c)
                return
        if self.mode == "malformed" and not self._bad_sent and c[3] and now >= self.bad_ms:
            self._bad_sent = True
            self._send(c, self.bad)

    def topics(self, topic):
        return [(t, p) for t, tp, p in self.publishes if tp == topic]

    def close(self):
        for c in self.conns:
            try:
                c[0].close()
            except OSError:
                pass
        self.conns = []
        if self.ls is not None:
            self.ls.close()
            self.ls = None
