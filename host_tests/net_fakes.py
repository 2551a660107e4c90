# Fakes for the network unit tests: a broker-side Link without sockets, a client that records publishes,
# and a small virtual-time driver for coroutines that await net.aio.sleep_ms. Plain Python: both interpreters.
import sys

from net import mqtt


class Clock:
    def __init__(self, t=0):
        self.t = t

    def __call__(self):
        return self.t & 0x3FFFFFFF


class _Sleep:
    def __init__(self, ms):
        self.ms = ms

    def __await__(self):
        yield self

    __iter__ = __await__


class _Asyncio:
    """What net.aio.sleep_ms finds as asyncio while drive() runs."""

    @staticmethod
    def sleep_ms(ms):
        return _Sleep(ms)


class Loop:
    """Coroutines in virtual time on clock: until(ms) runs them up to ms and can be called again (the tasks
    go on where they were); each(t) after every step. close() ends them."""

    def __init__(self, coros, clock, each=None):
        self.clock = clock
        self.tasks = [[c, clock.t] for c in coros]
        self.each = each

    def until(self, until_ms):
        clock = self.clock
        saved = sys.modules.get("asyncio")
        sys.modules["asyncio"] = _Asyncio
        try:
            while self.tasks:
                self.tasks.sort(key=lambda x: x[1])
                task = self.tasks[0]
                if task[1] > until_ms:
                    break
                if task[1] > clock.t:
                    clock.t = task[1]
                try:
                    y = task[0].send(None)
                except StopIteration:
                    self.tasks.pop(0)
                    continue
                task[1] = clock.t + y.ms
                if self.each is not None:
                    self.each(clock.t)
        finally:
            if saved is not None:
                sys.modules["asyncio"] = saved
            else:
                del sys.modules["asyncio"]
        if clock.t < until_ms:
            clock.t = until_ms
        return self

    def close(self):
        for t in self.tasks:
            t[0].close()
        self.tasks = []


class FakeLink:
    """The broker end of one connection, as net/link.Link: what the client writes is parsed into
    packets (sent), what a test puts into inbox the client reads. connack: the return code, or None for
    a broker that never answers."""

    def __init__(self, connack=0, write_max=100000):
        self.inbox = bytearray()
        self.out = bytearray()
        self.sent = []  # (first byte, body) of each packet the client wrote
        self.closed = False
        self.connack = connack
        self.write_max = write_max
        self.fail = None  # an OSError text: the next read raises it (the broker went away)
        self.ready_calls = 0

    def start(self):
        pass

    def ready(self, tls_ok=True):
        self.ready_calls += 1
        return True

    def busy(self):
        return False

    def read(self):
        if self.fail:
            raise OSError(self.fail)
        if not self.inbox:
            return None
        b = bytes(self.inbox[:512])
        self.inbox = self.inbox[512:]
        return b

    def write(self, data):
        n = min(len(data), self.write_max)
        self.out.extend(data[:n])
        while len(self.out) >= 2:
            i = 1
            ln = 0
            mult = 1
            while self.out[i] & 0x80:
                ln += (self.out[i] & 0x7F) * mult
                mult <<= 7
                i += 1
            ln += self.out[i] * mult
            i += 1
            if len(self.out) - i < ln:
                break
            first, body = self.out[0], bytes(self.out[i:i + ln])
            self.out = self.out[i + ln:]
            self.sent.append((first, body))
            if first >> 4 == mqtt.CONNECT and self.connack is not None:
                self.inbox.extend(bytes((0x20, 2, 0, self.connack)))
        return n

    def close(self):
        self.closed = True

    def kinds(self):
        return [f >> 4 for f, _ in self.sent]

    def publishes(self):
        """(topic, payload, qos, retain, dup) of each PUBLISH the client wrote."""
        out = []
        for f, body in self.sent:
            if f >> 4 == mqtt.PUBLISH:
                tl = (body[0] << 8) | body[1]
                q = (f >> 1) & 3
                out.append((body[2:2 + tl].decode(), body[2 + tl + (2 if q else 0):], q, bool(f & 1),
                            bool(f & 8)))
        return out


class Opener:
    """Gives the links of a list one after the other (then FakeLink()s), and counts the calls."""

    def __init__(self, links=()):
        self.links = list(links)
        self.made = []

    def __call__(self, heavy_ok):
        lk = self.links.pop(0) if self.links else FakeLink()
        self.made.append(lk)
        return lk


class RecClient:
    """A client for the bridge tests: up or not, records (topic, payload, retain, qos) it is asked to publish."""

    def __init__(self):
        self.state = "up"
        self.pubs = []
        self.subs = {}
        self.on_connect = None
        self.on_message = None
        self.full = False

    def subscribe(self, topic, qos=0):
        self.subs[topic] = qos

    def room(self, n):
        return not self.full

    def publish(self, topic, payload, retain=False, qos=0):
        if self.state != "up" or self.full:
            return False
        self.pubs.append((topic, payload, retain, qos))
        return True

    def topics(self, t):
        return [p for p in self.pubs if p[0] == t]
