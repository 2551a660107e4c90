# HTTP clients on real sockets of 127.0.0.1 that run as asyncio tasks of the virtual board
# (tools/vboard/vmain.py's extra tasks) beside the firmware, in its virtual time: a plain request, a client
# with a login, and the misbehaving ones of host_tests/test_vboard_web.py (a poller, an event stream, an idle
# connection, a slowloris, one that never reads, garbage). Plain Python: CPython and the MicroPython unix port.
import json
import socket

ANSWER_MS = 3000  # a client gives up on an answer after this long (the server's own deadline is 5 s)


def _addr(port):
    return socket.getaddrinfo("127.0.0.1", port, socket.AF_INET, socket.SOCK_STREAM)[0][-1]


def _bound(listen):
    """A socket bound to a free port of 127.0.0.1 (the unix port has no getsockname: ports are tried)."""
    seed = id(object()) & 0x3FFF
    for i in range(200):
        port = 20000 + (seed * 11 + i * 137) % 40000
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if not listen:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(_addr(port))
            if listen:
                s.listen(1)
        except OSError:
            s.close()
            continue
        return s, port
    raise OSError("no free port on 127.0.0.1")


def free_port():
    s, port = _bound(False)
    s.close()
    return port


def taken_port():
    """(a listening socket, its port): a port another program holds."""
    return _bound(True)


def parse(raw):
    """(status, {lower-case header: value}, body as JSON or bytes) of an HTTP answer; status 0 if none."""
    head, sep, body = _split(raw)
    if not sep or not head.startswith(b"HTTP/"):
        return 0, {}, raw
    lines = head.decode().split("\r\n")
    status = int(lines[0].split(" ")[1])
    h = {}
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            h[k.strip().lower()] = v.strip()
    if h.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(body)
        except ValueError:
            pass
    return status, h, body


def _split(raw):
    i = raw.find(b"\r\n\r\n")
    if i < 0:
        return raw, b"", b""
    return raw[:i], raw[i:i + 4], raw[i + 4:]


def _request_bytes(method, path, body=None, headers=None):
    h = {"Host": "vboard"}
    data = b""
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
        h["Content-Length"] = str(len(data))
    if headers:
        for k in headers:
            h[k] = headers[k]
    lines = ["%s %s HTTP/1.1" % (method, path)] + ["%s: %s" % (k, h[k]) for k in sorted(h)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def _read_all(r, ms):
    """The whole answer (the server closes after it, HTTP/1.0), or what came within ms."""
    import asyncio

    out = b""
    try:
        while True:
            b = await asyncio.wait_for_ms(r.read(1024), ms)
            if not b:
                return out
            out += b
    except asyncio.TimeoutError:
        return out


async def request(port, method, path, body=None, headers=None, log=None):
    """One request on its own connection: (status, headers, body); status 0 when no answer came."""
    import asyncio

    r, w = await asyncio.open_connection("127.0.0.1", port)
    if log is not None:
        log.connections += 1
    try:
        await w.awrite(_request_bytes(method, path, body, headers))
        raw = await _read_all(r, ANSWER_MS)
    except OSError:
        raw = b""
    finally:
        await w.aclose()
    out = parse(raw)
    if log is not None:
        log.note(out[0])
    return out


class Client:
    """A browser's session: the cookie and CSRF token of a login go with each POST."""

    def __init__(self, port, log=None):
        self.port = port
        self.log = log
        self.cookie = None
        self.csrf = None

    async def login(self, password):
        res = await request(self.port, "POST", "/api/login", {"password": password}, log=self.log)
        if res[0] == 200:
            self.cookie = res[1]["set-cookie"].split(";")[0]
            self.csrf = res[2]["csrf"]
        return res

    async def post(self, path, body):
        h = {}
        if self.cookie is not None:
            h = {"Cookie": self.cookie, "X-CSRF-Token": self.csrf}
        return await request(self.port, "POST", path, body, h, log=self.log)


class Log:
    """What the clients saw."""

    def __init__(self):
        self.codes = {}  # HTTP status -> count
        self.connections = 0
        self.broken = 0  # answers that were not HTTP
        self.sets = 0  # settings posted and taken
        self.events = []  # events received, one count per stream served
        self.slow_opened = 0
        self.slow_cut = 0  # slowloris connections closed by the server with no answer
        self.garbage = 0
        self.garbage_codes = {}  # HTTP status -> count of the answers to garbage

    def note(self, status):
        if status == 0:
            self.broken += 1
            return
        self.codes[status] = self.codes.get(status, 0) + 1


class Peak:
    """A task that samples the server's open connections and streams every 2 ms; the highest of each."""

    def __init__(self):
        self.open = 0
        self.streams = 0

    async def _run(self, app):
        import asyncio

        while True:
            await asyncio.sleep_ms(2)
            c = app._commands
            w = getattr(c, "web", None) if c is not None else None
            if w is not None:
                self.open = max(self.open, w.open)
                self.streams = max(self.streams, w.streams)

    def task(self, app):
        return self._run(app)


def _now():
    import time

    return time.ticks_ms()


def poller(port, log, start, end, every=100):
    """GET /api/status every `every` ms from start to end."""
    async def run(app):
        import asyncio

        await asyncio.sleep_ms(start)
        while _now() < end:
            await request(port, "GET", "/api/status", log=log)
            await asyncio.sleep_ms(every)

    return lambda app: run(app)


def writer(port, log, password, start, end, every=300):
    """A logged-in page that sets max_current_a to 16 and 20 A in turn; logs in again when told to."""
    async def run(app):
        import asyncio

        await asyncio.sleep_ms(start)
        c = Client(port, log)
        n = 0
        while _now() < end:
            if c.cookie is None:
                await c.login(password)
            else:
                res = await c.post("/api/settings", {"name": "max_current_a", "value": 16 if n % 2 else 20})
                if res[0] == 200:
                    log.sets += 1
                    n += 1
                elif res[0] == 401:
                    c.cookie = None
            await asyncio.sleep_ms(every)

    return lambda app: run(app)


def streamer(port, log, start, end):
    """An open page: GET /api/events, counting its events until end; told 503, it tries again 500 ms later."""
    async def run(app):
        import asyncio

        await asyncio.sleep_ms(start)
        while _now() < end:
            r, w = await asyncio.open_connection("127.0.0.1", port)
            log.connections += 1
            got = b""
            try:
                await w.awrite(_request_bytes("GET", "/api/events"))
                while _now() < end:
                    try:
                        b = await asyncio.wait_for_ms(r.read(1024), end - _now())
                    except asyncio.TimeoutError:
                        break
                    if not b:
                        break
                    got += b
                    if len(got) > 4096:  # keep the head and the count only
                        got = got[:256] + b"\n" + b"data: " * got[256:].count(b"data: ")
            finally:
                await w.aclose()
            st = parse(got)[0]
            log.note(st)
            if st == 200:
                log.events.append(got.count(b"data: "))
            await asyncio.sleep_ms(500)

    return lambda app: run(app)


def idler(port, log, start, hold):
    """A connection opened and left silent for hold ms (a browser's preconnect), then closed."""
    async def run(app):
        import asyncio

        await asyncio.sleep_ms(start)
        r, w = await asyncio.open_connection("127.0.0.1", port)
        log.connections += 1
        raw = await _read_all(r, hold)
        await w.aclose()
        if raw:
            log.note(parse(raw)[0])

    return lambda app: run(app)


def slowloris(port, log, start, end, n, every=1000, hold=None):
    """n connections at once, each sending a request a header byte every `every` ms and never ending it;
    one the server closes or refuses is opened again until end; the others are kept on until hold."""
    async def open_one():
        import asyncio

        r, w = await asyncio.open_connection("127.0.0.1", port)
        log.slow_opened += 1
        log.connections += 1
        await w.awrite(b"GET /api/status HTTP/1.1\r\nX-Slow: ")
        return [r, w, b""]

    async def run(app):
        import asyncio

        await asyncio.sleep_ms(start)
        conns = []
        last = end if hold is None else hold
        while _now() < last and (conns or _now() < end):
            while len(conns) < n and _now() < end:
                conns.append(await open_one())
            keep = []
            for c in conns:
                try:
                    b = await asyncio.wait_for_ms(c[0].read(512), 1)
                    closed = not b
                    c[2] += b or b""
                except asyncio.TimeoutError:
                    closed = False
                except OSError:
                    closed = True
                if not closed:
                    try:
                        await c[1].awrite(b"x")
                    except OSError:
                        closed = True
                if closed:
                    if c[2]:
                        log.note(parse(c[2])[0])
                    else:
                        log.slow_cut += 1
                    await c[1].aclose()
                else:
                    keep.append(c)
            conns = keep
            await asyncio.sleep_ms(every)
        for c in conns:
            await c[1].aclose()

    return lambda app: run(app)


_SO_RCVBUF = getattr(socket, "SO_RCVBUF", 8)  # (8 on Linux; the unix port's socket module has no name for it)
_RCVBUF = 1024  # asked of Linux (it floors it at about 2.3 KB): a phone's window that stays shut


async def _small_window(port):
    """A connection whose receive buffer is the smallest the host allows: (reader, writer), one stream."""
    import asyncio

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, _SO_RCVBUF, _RCVBUF)
    s.setblocking(False)
    try:
        s.connect(_addr(port))
    except OSError as e:
        if not (e.args and e.args[0] in (11, 115)):  # EAGAIN, EINPROGRESS: connecting
            s.close()
            raise
    st = asyncio.Stream(s, {"peername": _addr(port)})
    await st.awrite(b"")  # (waits until the socket can be written: connected)
    return st, st


def never_reads(port, log, start, path, end):
    """A whole request for path, and then not one byte read of the answer until end (a small window)."""
    async def run(app):
        import asyncio

        await asyncio.sleep_ms(start)
        r, w = await _small_window(port)
        log.connections += 1
        await w.awrite(_request_bytes("GET", path))
        await asyncio.sleep_ms(end - _now())
        await w.aclose()

    return lambda app: run(app)


GARBAGE = (
    b"\x00\xff\xfe\x80" * 200,  # binary, no line end
    b"A" * 600 + b"\r\n\r\n",  # a request line over the 512-byte limit
    b"\r\n\r\n",  # an empty request line
    b"GET\r\n\r\n",  # a request line of one word
    b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",  # a header without a name
    b"POST /api/settings HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    b"GET /api/status HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
    b"POST /api/login HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"passwo",
    b"GET /%ff%00../../etc HTTP/1.1\r\n\r\n",
)


def garbage(port, log, start, end, every=200):
    """A connection every `every` ms sending one of GARBAGE, then reading what comes back."""
    async def run(app):
        import asyncio

        await asyncio.sleep_ms(start)
        i = 0
        while _now() < end:
            r, w = await asyncio.open_connection("127.0.0.1", port)
            log.connections += 1
            raw = b""
            try:
                await w.awrite(GARBAGE[i % len(GARBAGE)])
                raw = await _read_all(r, 500)
            except OSError:
                pass
            if raw:
                st = parse(raw)[0]
                log.garbage_codes[st] = log.garbage_codes.get(st, 0) + 1
            await w.aclose()
            log.garbage += 1
            i += 1
            await asyncio.sleep_ms(every)

    return lambda app: run(app)
