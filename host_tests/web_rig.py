# Test helper for the web side: the charger core on the scenario bench (core_rig.Rig) behind the real
# microdot server (firmware/web/server.py) on 127.0.0.1, and a small HTTP client on asyncio streams. Virtual
# time: the server's sleep_ms advances the bench. Plain Python: runs under MicroPython too (tools/mptest.py).
import asyncio
import json
import os

from evse.commands import Caller, Commands
from web.server import Web

from host_tests.core_rig import Rig

PASSWORD = "correct horse"
_PAGE = b"\x1f\x8b\x08\x00page"  # stands in for index.html.gz (the build makes the real one)
_port = [0]


def _base_port():
    if not _port[0]:
        try:
            n = os.getpid()
        except AttributeError:  # MicroPython's os has no getpid
            import time

            n = time.ticks_ms() if hasattr(time, "ticks_ms") else int(time.time())
        _port[0] = 20000 + (n * 7) % 20000
    _port[0] += 1
    return _port[0]


def static_dir():
    d = "build/web-test"
    for p in ("build", d):
        try:
            os.mkdir(p)
        except OSError:
            pass
    with open(d + "/index.html.gz", "wb") as f:
        f.write(_PAGE)
    return d


class WebRig:
    """A charging scenario (events, settings as core_rig.Rig) with the web server on a free 127.0.0.1 port."""

    def __init__(self, events=(), settings=None, password=PASSWORD, duration_ms=600000, max_conn=4):
        self.rig = Rig(events, settings, duration_ms=duration_ms)
        self.run = self.rig.run
        self.now = 0
        self.cmd = Commands(self.run.ch, self.run.settings, self.run.history, self.clock)
        self.advance(500)  # past the boot's first steps: state A
        if password:
            r = self.cmd.run(Caller("setup", pin=False), ["set", "web_password", password])
            assert r.ok, r.text
        self.web = Web(self.cmd, self.clock, self.sleep_ms, static_dir(), max_conn)
        self.port = 0
        self.task = None
        self.cookie = None
        self.csrf = None

    def clock(self):
        return self.now

    def advance(self, ms):
        self.now += ms
        self.rig.advance(self.now)

    async def sleep_ms(self, ms):
        self.advance(ms)
        await asyncio.sleep(0)

    async def start(self):
        for _ in range(20):
            self.port = _base_port()
            self.task = asyncio.create_task(self.web.start_server(host="127.0.0.1", port=self.port))
            for _ in range(50):
                await asyncio.sleep(0.01)
                if self.web.server is not None:
                    return self
            self.task.cancel()
        raise OSError("no free port")

    async def stop(self):
        self.web.shutdown()
        for _ in range(200):  # every connection's handler ended too: nothing left in the loop
            if self.task.done() and self.web.open == 0:
                break
            await asyncio.sleep(0.01)

    async def request(self, method, path, body=None, headers=None, raw=None, auth=True):
        """(status, headers dict with lower-case names, body bytes). body: an object sent as JSON."""
        r, w = await asyncio.open_connection("127.0.0.1", self.port)
        if raw is None:
            h = {"Host": "127.0.0.1"}
            data = b""
            if body is not None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                h["Content-Type"] = "application/json"
                h["Content-Length"] = str(len(data))
            if auth and self.cookie:
                h["Cookie"] = "evse_s=" + self.cookie
            if auth and self.csrf and method == "POST":
                h["X-CSRF-Token"] = self.csrf
            for k in headers or {}:
                h[k] = headers[k]
            raw = ("%s %s HTTP/1.0\r\n" % (method, path)).encode()
            for k in sorted(h):
                raw += ("%s: %s\r\n" % (k, h[k])).encode()
            raw += b"\r\n" + data
        w.write(raw)
        await w.drain()
        got = b""
        while True:
            chunk = await r.read(4096)
            if not chunk:
                break
            got += chunk
        w.close()
        await w.wait_closed()
        return parse(got)

    async def get(self, path):
        st, h, b = await self.request("GET", path)
        return st, json.loads(b.decode())

    async def post(self, path, obj, **kw):
        st, h, b = await self.request("POST", path, obj, **kw)
        return st, json.loads(b.decode())

    async def login(self, password=PASSWORD):
        st, h, b = await self.request("POST", "/api/login", {"password": password})
        obj = json.loads(b.decode())
        if st == 200:
            self.cookie = h["set-cookie"].split(";")[0].split("=", 1)[1]
            self.csrf = obj["csrf"]
        return st, obj

    async def events(self, until, limit=100):
        """Server-sent events of /api/events (parsed) up to the first for which until(obj) is true."""
        r, w = await asyncio.open_connection("127.0.0.1", self.port)
        w.write(b"GET /api/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        await w.drain()
        buf = b""
        out = []
        while len(out) < limit:
            chunk = await r.read(4096)
            if not chunk:
                break
            buf += chunk
            while b"\n\n" in buf:
                ev, buf = buf.split(b"\n\n", 1)
                i = ev.find(b"data: ")
                if i >= 0:
                    out.append(json.loads(ev[i + 6:].decode()))
            if out and until(out[-1]):
                break
        w.close()
        await w.wait_closed()
        return out


def parse(got):
    head, _, body = got.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    h = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        h[k.strip().lower()] = v.strip()
    return status, h, body


def run(coro_fn, *args):
    """Run an async test body with a fresh WebRig started and stopped around it."""

    async def main():
        wr = args[0] if args and isinstance(args[0], WebRig) else WebRig()
        await wr.start()
        try:
            await coro_fn(wr)
        finally:
            await wr.stop()

    asyncio.run(main())
