# The web server: microdot routes for the status page and the JSON API under /api/, server-sent events,
# a connection limit (503 before RAM runs out) and a deadline on reading a request (a slow client cannot
# hold a slot). Reads come from the command layer's snapshot and commands; writes go through
# Commands.run() only, after a login (auth.py). docs/web.md lists every endpoint.
import asyncio
import json

from microdot import Microdot, Request, Response  # pyright: ignore[reportMissingImports] -- PyPI, in the image

from evse import errcodes, jsonfmt
from evse.commands import Caller
from evse.compat import const

from .auth import SESSION_MS, Auth
from .chart import Chart

MAX_CONN = const(4)  # connections served at once; one more is answered 503 and closed
MAX_EVENTS = const(2)  # of which event streams (open pages): the others stay free for the API
READ_MS = const(5000)  # the request line, headers and body must arrive within this
WRITE_MS = const(5000)  # an answer, or one event of a stream, must be taken by the client within this: one
#                         that stops reading (its window shut, the board's send buffer full) loses its slot
EVENT_MS = const(500)  # /api/events looks at the status this often: a change is sent <= 0.5 s later
HEARTBEAT_MS = const(10000)  # and sends it anyway after this long without a change
_COOKIE = "evse_s"
_NOT_OVER_WEB = ("service", "unlock", "lock")  # the serial console's own business
_JSON = {"Content-Type": "application/json", "Cache-Control": "no-store"}
_BUSY = (b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 2\r\n"
         b"Connection: close\r\n\r\n{\"code\": 16, \"error\": \"busy, try again\", \"ok\": false}")

# Requests are small: a body of more than 1 KB or a line of more than 512 bytes is refused, not read.
Request.max_content_length = 1024
Request.max_body_length = 1024
Request.max_readline = 512


def _within(coro, ms):
    """coro, cancelled after ms (asyncio.TimeoutError)."""
    w = getattr(asyncio, "wait_for_ms", None)  # MicroPython's
    if w is not None:
        return w(coro, ms)
    return asyncio.wait_for(coro, ms / 1000)


async def _drain(reader, n):
    while n > 0:
        b = await reader.read(n if n < 512 else 512)
        if not b:
            return
        n -= len(b)


def answer(obj, status=200, headers=None):
    """A JSON Response (keys sorted: the same bytes on both interpreters)."""
    h = dict(_JSON)
    if headers:
        for k in headers:
            h[k] = headers[k]
    return Response(jsonfmt.dumps(obj), status, h)


def error(status, code, text):
    return answer({"ok": False, "code": code, "error": text}, status)


def as_dict(pairs):
    d = {}
    for k, v in pairs:
        d[k] = v
    return d


_STATUS = {errcodes.LOCKED: 401, errcodes.WRONG_PIN: 401, errcodes.LOCKED_OUT: 429, errcodes.SESSION: 409,
           errcodes.REFUSED: 409, errcodes.STORAGE: 500, errcodes.INTERNAL: 500,
           errcodes.UNKNOWN_COMMAND: 404, errcodes.UNKNOWN_SETTING: 404}


def _word(v):
    """A JSON value as the console would type it."""
    if v is True:
        return "on"
    if v is False:
        return "off"
    if v is None or v == "":
        return "none"
    return str(v)


class Web(Microdot):
    """Web(commands, clock_ms, sleep_ms, static_dir): the whole web side. clock_ms() gives monotonic ms
    (the history's uptime on the board); sleep_ms(ms) is awaited between looks at the status (the test's
    one moves virtual time). static_dir holds index.html.gz."""

    def __init__(self, commands, clock_ms, sleep_ms, static_dir="web", max_conn=MAX_CONN):
        super().__init__()
        self.commands = commands
        self.clock = clock_ms
        self.sleep_ms = sleep_ms
        self.static_dir = static_dir
        self.max_conn = max_conn
        self.caller = Caller("web", pin=False)  # authenticated by the login, not the PIN
        self.auth = Auth(commands.settings)
        self.open = 0  # connections being served now
        self.streams = 0  # of which /api/events
        self.served = 0
        self.busy = 0  # answered 503
        self.dropped = 0  # closed unanswered: too slow, malformed or broken
        self.chart = Chart(commands)  # the last hour for the page's chart (chart.py); sampled by _serve's task
        r = self.route
        r("/")(self._page)
        r("/api/status")(self._status)
        r("/api/sessions")(self._sessions)
        r("/api/faults")(self._faults)
        r("/api/settings", methods=["GET", "POST"])(self._settings)
        r("/api/command", methods=["POST"])(self._command)
        r("/api/login", methods=["POST"])(self._login)
        r("/api/logout", methods=["POST"])(self._logout)
        r("/api/session")(self._session)
        r("/api/events")(self._events)
        r("/api/chart")(self._chart)

    # ---- connections: a limit, a read deadline, and nothing ever raised into the loop

    async def handle_request(self, reader, writer):
        self.open += 1
        stream = None
        try:
            if self.open > self.max_conn:
                self.busy += 1
                try:  # take in what the client sent (up to 1 KB, 100 ms): a close over unread data is a reset
                    await _within(reader.read(1024), 100)
                except Exception:
                    pass
                await writer.awrite(_BUSY)
                return
            try:
                req = await _within(self._read(reader, writer), READ_MS)
            except Exception:  # too slow, too long, malformed: closed without an answer
                req = None
            if req is None:
                self.dropped += 1
                return
            res = await self.dispatch_request(req)
            self.served += 1
            if isinstance(res.body, _Events):
                stream = res.body
            if res is not Response.already_handled:
                if stream is not None:  # runs as long as the page is open: a deadline on each write
                    await res.write(_Timed(writer))
                else:
                    await _within(res.write(writer), WRITE_MS)
            if req.content_length > Request.max_body_length:  # refused unread (413): take in up to 4 KB of
                try:  # it, so the close is not a reset that loses the answer on its way
                    await _within(_drain(reader, 4096 if req.content_length > 4096 else req.content_length), 200)
                except Exception:
                    pass
        except Exception:  # noqa: B902 -- a broken connection ends that connection, nothing else
            self.dropped += 1
        finally:
            self.open -= 1
            if stream is not None:
                stream.done()
            try:
                await writer.aclose()
            except Exception:
                pass

    async def _read(self, reader, writer):
        return await Request.create(self, reader, writer, writer.get_extra_info("peername"))

    # ---- reads: no login needed

    def status(self):
        d = as_dict(self.commands.snapshot())
        d["t_ms"] = self.clock()
        d["session_s"] = None  # how long the session in progress has run (the history's open session)
        h = self.commands.history
        if h is not None and d["session"]:
            rows = h.session_rows()
            if rows and rows[0][6] == -1:
                d["session_s"] = (rows[0][2] - rows[0][1]) // 1000
        return d

    async def _page(self, req):
        path = self.static_dir + "/index.html.gz"
        try:
            f = open(path, "rb")
        except OSError:
            return error(404, errcodes.UNKNOWN_COMMAND, "page not installed")
        return Response(f, 200, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip",
                                 "Cache-Control": "no-cache"})

    async def _status(self, req):
        return answer(self.status())

    def _run(self, words):
        r = self.commands.run(self.caller, words)
        if not r.ok:
            return error(_STATUS.get(r.code, 400), r.code, r.text)
        return answer(as_dict(r.pairs))

    async def _sessions(self, req):
        return self._run(["log"])

    async def _faults(self, req):
        return self._run(["faults"])

    async def _session(self, req):
        s = self.auth.find(req.cookies.get(_COOKIE), self.clock())
        return answer({"logged_in": s is not None, "csrf": s[1] if s is not None else None,
                       "login_possible": bool(self.auth.stored())})

    async def _events(self, req):
        if self.streams >= MAX_EVENTS:
            self.busy += 1
            return error(503, errcodes.RATE_LIMITED, "too many pages open, try again")
        return Response(_Events(self), 200, {"Content-Type": "text/event-stream", "Cache-Control": "no-store"})

    async def _chart(self, req):
        return Response(self.chart.chunks(self.clock()), 200, dict(_JSON))  # streamed in pieces: no 6 KB string

    # ---- writes: JSON bodies only, a live login and its CSRF token

    def _body(self, req):
        """The JSON object of a POST, or an error Response."""
        ct = req.headers.get("Content-Type", "") or ""
        if ct.split(";")[0].strip() != "application/json":
            return error(415, errcodes.BAD_VALUE, "send application/json")
        try:
            obj = json.loads(req.body.decode())
        except Exception:
            return error(400, errcodes.BAD_VALUE, "not JSON")
        if not isinstance(obj, dict):
            return error(400, errcodes.BAD_VALUE, "a JSON object expected")
        return obj

    def _write(self, req):
        """The JSON object of a POST that carries a live login and its CSRF token, or the error Response."""
        bad = self._authorised(req)
        return bad if bad is not None else self._body(req)

    def _authorised(self, req):
        """None if the request carries a live session and its CSRF token, else the error Response."""
        why = self.auth.check(req.cookies.get(_COOKIE), req.headers.get("X-CSRF-Token"), self.clock())
        if why == 1:
            return error(401, errcodes.LOCKED, "log in first")
        if why:
            return error(403, errcodes.LOCKED, "CSRF token missing or wrong: reload the page")
        return None

    async def _login(self, req):
        obj = self._body(req)
        if isinstance(obj, Response):
            return obj
        ok, code, text, s = self.auth.login(obj.get("password"), self.clock())
        if not ok or s is None:
            return error(_STATUS.get(code, 400), code, text)
        cookie = "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict" % (_COOKIE, s[0], SESSION_MS // 1000)
        return answer({"ok": True, "csrf": s[1], "expires_s": SESSION_MS // 1000}, 200, {"Set-Cookie": cookie})

    async def _logout(self, req):
        bad = self._authorised(req)
        if bad is not None:
            return bad
        self.auth.logout(req.cookies.get(_COOKIE), self.clock())
        return answer({"ok": True}, 200, {"Set-Cookie": "%s=; Path=/; Max-Age=0" % _COOKIE})

    async def _settings(self, req):
        if req.method == "GET":  # streamed a setting at a time: the whole ~7 KB answer is never one string
            r = self.commands.run(self.caller, ["settings"])
            if not r.ok:
                return error(_STATUS.get(r.code, 400), r.code, r.text)
            d = as_dict(r.pairs)
            r = None
            return Response(_listing(d["settings"], d["saved"]), 200, dict(_JSON))
        obj = self._write(req)
        if isinstance(obj, Response):
            return obj
        name = obj.get("name")
        if not isinstance(name, str) or "value" not in obj or isinstance(obj["value"], (dict, list)):
            return error(400, errcodes.USAGE, "expected {\"name\": ..., \"value\": ...}")
        res = self._run(["set", name, _word(obj["value"])])
        if res.status_code == 200 and obj.get("save") is True:
            return self._run(["save"])
        return res

    async def _command(self, req):
        obj = self._write(req)
        if isinstance(obj, Response):
            return obj
        line = obj.get("line")
        if not isinstance(line, str) or len(line) > 120:
            return error(400, errcodes.USAGE, "expected {\"line\": \"<command>\"} of at most 120 characters")
        words = line.split()
        if words and words[0].lower() in _NOT_OVER_WEB:
            return error(400, errcodes.UNKNOWN_COMMAND, "%s: on the serial console only" % words[0].lower())
        r = self.commands.run(self.caller, words)
        if not r.ok:
            return error(_STATUS.get(r.code, 400), r.code, r.text)
        if r.after is not None:
            asyncio.create_task(self._after(r.after))
        return answer({"ok": True, "text": r.text, "result": as_dict(r.pairs)})

    async def _after(self, fn):
        await self.sleep_ms(500)  # the answer is on its way first (reboot)
        try:
            fn()
        except Exception:
            pass


class _Timed:
    """A stream writer whose every awrite must end within WRITE_MS (asyncio.TimeoutError otherwise)."""

    def __init__(self, w):
        self.w = w

    async def awrite(self, data):
        await _within(self.w.awrite(data), WRITE_MS)


def _listing(rows, saved):
    """GET /api/settings' body in pieces: {"saved": ..., "settings": [...]} as jsonfmt would write it."""
    yield '{"saved": %s, "settings": [' % ("true" if saved else "false")
    for i in range(len(rows)):
        yield (", " if i else "") + jsonfmt.dumps(rows[i])
    yield "]}"


class _Events:
    """The body of /api/events: the status as a server-sent event each time it changes (looked at every
    EVENT_MS), or after HEARTBEAT_MS. An async iterator, so microdot streams it until the client goes."""

    def __init__(self, web):
        self.web = web
        web.streams += 1
        self.closed = False
        self.last = None
        self.quiet = 0

    def __aiter__(self):
        return self

    async def aclose(self):  # microdot calls it when the client has gone
        self.done()

    def done(self):
        if not self.closed:
            self.closed = True
            self.web.streams -= 1

    async def __anext__(self):
        while True:
            if self.last is not None:
                await self.web.sleep_ms(EVENT_MS)
                self.quiet += EVENT_MS
            d = self.web.status()
            t = d.pop("t_ms")
            if d != self.last or self.quiet >= HEARTBEAT_MS:  # compared in C: JSON only for what is sent
                self.last = d
                self.quiet = 0
                e = dict(d)
                e["t_ms"] = t
                return ("data: " + jsonfmt.dumps(e) + "\n\n").encode()


def start(commands, clock_ms, port, host="0.0.0.0", static_dir="web", warnings=None):
    """The server's coroutine for main._main: never returns; an error starting it is a warning (in the
    settings' warnings, or in the list given: the set-up access point's own, net/ap.py)."""
    w = commands.settings.warnings if warnings is None else warnings
    try:
        sleep_ms = getattr(asyncio, "sleep_ms", _sleep_ms)
        web = Web(commands, clock_ms, sleep_ms, static_dir)
        commands.web = web
        return _serve(web, host, port, w)
    except Exception as e:
        w.append("web: not started: %r" % e)
        return None


async def _sleep_ms(ms):
    await asyncio.sleep(ms / 1000)


async def _serve(web, host, port, warnings):
    asyncio.create_task(web.chart.run(web.clock, web.sleep_ms))  # the hour is there before a page asks
    while True:
        try:
            await web.start_server(host=host, port=port)
        except Exception as e:  # the port taken, no network yet: tried again in 5 s
            w = "web: %r; trying again" % e
            if w not in warnings:
                warnings.append(w)
        await web.sleep_ms(5000)
