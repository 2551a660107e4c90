# make bench: the web server's RAM and CPU (issue 14). The whole firmware boots as tools/perf/mp_net_boot_ram.py
# does (.mpy files, do-nothing hardware, the console in use); then web.server is imported and its server object
# made, connections are held half-read, and /api/status, /api/settings and a login are served through
# Web.handle_request from in-memory streams that behave like asyncio's (each read and write gives the loop a
# turn; there are no sockets on the webassembly port). The read deadline's task (asyncio.wait_for_ms) is left
# out: a coroutine stands in for it. --together: MQTT and OCPP connected first (issue 12 and 13's runs), for
# the 96 KB budget. Figures: live heap after gc.collect() at each stage and after each turn (the most of them).
# Usage: micropython -X heapsize=512K tools/perf/mp_web_ram.py BOARD_FILE [--together]  (MICROPYPATH: stub, tree
#        with microdot); --cpu status|event N: N requests or N events after the set-up (callgrind, no figures).
#        webassembly: node tools/wasm/webram.mjs MPY_TREE BOARD_FILE [--together], stage by stage.
import gc
import sys

_args = globals().get("BOOT_ARGS") or sys.argv[1:]
_g = {"__name__": "_net", "STAGED": True, "BOOT_ARGS": [_args[0]]}
_here = globals().get("HERE") or (__file__.rsplit("/", 1)[0] if "/" in __file__ else ".")
with open(_here + "/mp_net_boot_ram.py") as _f:
    exec(_f.read(), _g)
_ST = _g["_ST"]
mem = _g["mem"]
PASSWORD = "bench-web-pass"
F = {}  # stage -> the most live heap seen in it (bytes above the interpreter's own)


class _Turn:
    """What an asyncio stream's read or write yields: a turn of the loop."""

    def __await__(self):
        yield self

    __iter__ = __await__


_TURN = _Turn()


class Reader:
    """An asyncio StreamReader over bytes; with hold, it has nothing more to give after them (a slow client)."""

    def __init__(self, data, hold=False):
        self.data = data
        self.hold = hold

    async def read(self, n=-1):
        await _TURN
        while not self.data and self.hold:
            await _TURN
        n = len(self.data) if n < 0 else n
        out = self.data[:n]
        self.data = self.data[n:]
        return out

    async def readline(self):
        await _TURN
        while b"\n" not in self.data and self.hold:
            await _TURN
        i = self.data.find(b"\n")
        i = len(self.data) if i < 0 else i + 1
        out = self.data[:i]
        self.data = self.data[i:]
        return out

    async def readexactly(self, n):
        out = b""
        while len(out) < n:
            b = await self.read(n - len(out))
            if not b:
                raise EOFError()
            out += b
        return out


class Writer:
    """An asyncio StreamWriter that keeps the status line and counts the bytes."""

    def __init__(self):
        self.n = 0
        self.head = b""

    def get_extra_info(self, what):
        return ("192.168.1.20", 50000)

    async def awrite(self, data):
        await _TURN
        if not self.head:
            self.head = bytes(data[:15])
        self.n += len(data)

    async def aclose(self):
        pass


def _bare(coro, ms):
    return coro


def _req(method, path, body=b"", headers=()):
    h = ["%s %s HTTP/1.1" % (method, path), "Host: evse"]
    if body:
        h.append("Content-Type: application/json")
        h.append("Content-Length: %d" % len(body))
    h.extend(headers)
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


def boot():
    _g["boot"](_args[0])
    app = _ST["app"]
    from evse import pinhash

    app.settings.values["web_password"] = pinhash.make(PASSWORD)
    return False


def together():
    """MQTT connected for 10 virtual s, then an OCPP charge point 20 s (mp_net_boot_ram.py's runs): one turn."""
    if "c" not in _ST:
        _g["connect"]()
        return True
    if not _ST.get("mqtt_done"):
        if _g["step"]():
            return True
        _ST["mqtt_done"] = True
        _g["finish"]()
        _g["ocpp"]()
        return True
    return _g["ocpp_step"]()


class _NoInspect:
    """A stand-in for the `inspect` the webassembly port freezes and the rp2 and esp32 builds do not have:
    microdot's `from inspect import ...` fails as on a board, and it calls handlers as the board does."""


def web_import():
    saved = sys.modules.get("inspect")
    sys.modules["inspect"] = _NoInspect()
    try:
        import web.server  # noqa: F401
    finally:
        if saved is None:
            del sys.modules["inspect"]
        else:
            sys.modules["inspect"] = saved
    return False


def web_server():
    import web.server as ws

    ws._within = _bare
    app = _ST["app"]
    cmd = _ST.get("cmd")
    if cmd is None:
        cmd = _ST["cmd"] = app.commands(app.history.uptime_ms)
    _ST["clock"] = clock = _g["_Clock"]()
    _ST["web"] = ws.Web(cmd, clock, _g["_Aio"].sleep_ms, "/nonexistent-evse-bench")
    return False


def hold4():
    """Four connections (the limit) that sent half a request line and wait for more: one turn each."""
    h = _ST.setdefault("held", [])
    if len(h) >= 4:
        return False
    co = _ST["web"].handle_request(Reader(b"GET /api/sta", hold=True), Writer())
    co.send(None)
    h.append(co)
    return len(h) < 4


def release():
    for co in _ST.pop("held", []):
        co.close()  # its finally gives the slot back
    return False


def _serve(raw, cookie=None):
    """A request's coroutine and its writer."""
    w = Writer()
    return _ST["web"].handle_request(Reader(raw), w), w


def _turns(name, make):
    """A stage that serves one request a turn at a time: True while it runs."""
    cur = _ST.get(name)
    if cur is None:
        cur = _ST[name] = make()
    try:
        cur[0].send(None)
        return True
    except StopIteration:
        _ST[name + "_answer"] = cur[1].head
        _ST[name] = None
        return False


def status():
    return _turns("status", lambda: _serve(_req("GET", "/api/status")))


def settings():
    return _turns("settings", lambda: _serve(_req("GET", "/api/settings")))


def login():
    body = ('{"password": "%s"}' % PASSWORD).encode()

    def make():
        return _serve(_req("POST", "/api/login", body))

    return _turns("login", make)


def post_setting():
    """A logged-in POST /api/settings max_current_a 16 (the cookie and CSRF token of a session made here)."""
    def make():
        s = _ST["web"].auth.login(PASSWORD, _ST["clock"]())[3]
        body = b'{"name": "max_current_a", "value": 16}'
        return _serve(_req("POST", "/api/settings", body, ("Cookie: evse_s=" + s[0], "X-CSRF-Token: " + s[1])))

    return _turns("post", make)


def event():
    """One look of an open /api/events stream that finds a change and sends it (the worst case)."""
    import web.server as ws

    e = _ST.get("events")
    if e is None:
        e = _ST["events"] = ws._Events(_ST["web"])
    e.last = "" if e.last is not None else None  # a change at every look
    co = e.__anext__()
    try:
        while True:
            co.send(None)
            _ST["clock"].t += 500
    except StopIteration as s:
        _ST["event_len"] = len(s.value)
    return False


PLAIN = ("boot", "web_import", "web_server", "hold4", "release", "status", "settings", "login", "post_setting",
         "event")
TOGETHER = ("boot", "together", "web_import", "web_server", "hold4", "release", "status", "settings", "login",
            "post_setting", "event")


def plan():
    return TOGETHER if "--together" in _args else PLAIN


def note(name):
    m = mem()
    if m > F.get(name, 0):
        F[name] = m


def report():
    keys = sorted(F)
    print("{" + ", ".join('"%s": %d' % (k, F[k]) for k in keys) + ', "status_answer": "%s", "post_answer": "%s", '
          '"event_bytes": %d}' % (_ST.get("status_answer", b"").decode(), _ST.get("post_answer", b"").decode(),
                                   _ST.get("event_len", 0)))


def main():
    if "--cpu" in _args:
        what = _args[_args.index("--cpu") + 1]
        n = int(_args[_args.index("--cpu") + 2])
        for s in ("boot", "web_import", "web_server"):
            globals()[s]()
        f = status if what == "status" else event
        for _ in range(3):  # warm: the first answer builds what the others reuse
            while f():
                pass
        i = 0
        while i < n:
            while f():
                pass
            i += 1
        return
    for s in plan():
        f = globals()[s]
        while f():
            note(s)
        note(s)
    report()


# The webassembly port frees garbage only in a later runPython call than the one that made it (see
# mp_boot_ram.py): tools/wasm/webram.mjs sets STAGED and runs each stage, each turn and each note() apart.
if not globals().get("STAGED"):
    main()
