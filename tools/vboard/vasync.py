# The part of asyncio the firmware uses (run, create_task, gather, sleep_ms, sleep, StreamReader; for the web
# server start_server, streams over real sockets, wait_for / wait_for_ms), in the virtual board's time
# and on both interpreters: tasks take turns as on the board, and while every task waits, virtual time runs
# on to the next wake-up (interrupts, timers and scenario inputs happen in it).
# Cooperative as the real thing: a task that blocks (a busy loop, time.sleep_ms, a long C call) blocks every
# other task until it yields, and only the board's interrupts run meanwhile.
# Real sockets (127.0.0.1 only): their readiness is looked at with a zero-timeout poll each time the
# scheduler picks a task, and never waited for in real time. Virtual time moves only with the sleepers, as in
# the MQTT tests (host_tests/vboard_broker.py): a peer that is a task of the same loop sends, and the
# firmware's task sees the bytes at its next turn (loopback delivers within the send call), so a run is the
# same whatever the host's load.
from tools.vboard import clock as _c

_socket = None  # socket and select, imported at the first socket: the webassembly port has neither
_sel = None


def _net():
    global _socket, _sel
    if _socket is None:
        import socket

        try:
            import uselect as sel  # MicroPython's own (select is ports/select.py on the virtual board)
        except ImportError:
            import select as sel
        _socket, _sel = socket, sel
    return _socket


_FOREVER_US = 3600 * 1000000
_EAGAIN = (11, 35, 115)  # EAGAIN / EWOULDBLOCK on Linux (11) and macOS (35), EINPROGRESS (115)
_READ = 512  # bytes asked of a socket at a time: small, as a board hands over what a segment carried
# A board's TCP stack (lwIP) keeps a few KB of unsent data per connection, the host's a few MB: accepted
# sockets ask Linux for its smallest send buffer (it doubles the figure and floors it at about 4.6 KB) and
# are handed a segment per send, so a client that stops reading stalls the server's writes as on a board.
_SNDBUF = 2048
_SO_SNDBUF = 7  # SO_SNDBUF on Linux (the unix port's socket module has no name for it)
_SEG = 1460  # bytes per send: one TCP segment, as lwIP's tcp_write takes them
_IDLE_MS = 10000  # real ms to wait for a socket when no task sleeps (only a host thread can wake it then)


class CancelledError(BaseException):
    pass


class TimeoutError(Exception):  # noqa: A001 -- asyncio's own name
    pass


class _Wait:
    def __init__(self, us):
        self.us = us

    def __await__(self):
        yield self

    __iter__ = __await__


class _Gather:
    def __init__(self, tasks, until_us=None):
        self.tasks = tasks
        self.until = until_us  # virtual us: the waiter runs then even if the tasks have not ended

    def __await__(self):
        yield self
        for t in self.tasks:
            if t.exc is not None:
                raise t.exc
        return [t.result for t in self.tasks]

    __iter__ = __await__


class _IOWait:
    """Yielded to wait until a real socket can be read (w False) or written (w True)."""

    def __init__(self, sock, w):
        self.sock = sock
        self.w = w

    def __await__(self):
        yield self

    __iter__ = __await__


class Task:
    def __init__(self, coro, wake):
        self.coro = coro
        self.wake = wake
        self.seq = 0  # when it began to wait: of the tasks that may run, the one waiting longest goes first
        self.gather = None
        self.io = None  # the _IOWait it waits on
        self.throw = False  # cancelled: CancelledError is thrown into it at its next turn
        self.done = False
        self.result = None
        self.exc = None

    def __await__(self):
        yield _Gather([self])
        if self.exc is not None:
            raise self.exc
        return self.result

    __iter__ = __await__

    def cancel(self):
        if self.done:
            return False
        self.throw = True
        return True


_LOOP = None


class Loop:
    def __init__(self, kernel):
        self.k = kernel
        self.tasks = []
        self._seq = 0
        self._poll = None  # made at the first socket
        self._polled = {}  # id(socket) or fd -> [task waiting on it]

    def create_task(self, coro):
        t = Task(coro, self.k.now_us)
        self._seq += 1
        t.seq = self._seq
        self.tasks.append(t)
        return t

    def _awaited(self, task):
        for t in self.tasks:
            if t.gather is not None and task in t.gather.tasks:
                return True
        return False

    def _ready(self, t):
        if t.done:
            return False
        if t.throw:
            return True
        g = t.gather
        if g is None:
            return True
        for x in g.tasks:
            if x.exc is not None:
                return True
        for x in g.tasks:
            if not x.done:
                return False
        return True

    # ---- real sockets

    def _io_add(self, t, w):
        if self._poll is None:
            _net()
            self._poll = _sel.poll()
        s = w.sock
        t.io = w
        key = id(s)
        if key in self._polled:
            self._polled[key][1].append(t)
        else:
            self._polled[key] = [s, [t]]
            self._register(s)

    def _register(self, s):
        m = 0
        for t in self._polled[id(s)][1]:
            m |= _sel.POLLOUT if t.io.w else _sel.POLLIN
        try:
            self._poll.register(s, m)  # again: a new mask
        except (OSError, ValueError):
            pass

    def _io_drop(self, t):
        w = t.io
        t.io = None
        if w is None:
            return
        key = id(w.sock)
        e = self._polled.get(key)
        if e is None:
            return
        if t in e[1]:
            e[1].remove(t)
        if e[1]:
            self._register(w.sock)
            return
        del self._polled[key]
        try:
            self._poll.unregister(w.sock)
        except (OSError, ValueError, KeyError):
            pass

    def _io_ready(self, timeout_ms=0):
        """The tasks whose socket is ready now (an error or a hang-up counts: the read or write says which)."""
        if not self._polled:
            return []
        by_fd = None
        out = []
        for e in self._poll.poll(timeout_ms):
            obj, ev = e[0], e[1]
            ent = self._polled.get(id(obj))
            if ent is None or ent[0] is not obj:  # CPython answers with the file descriptor
                if by_fd is None:
                    by_fd = {}
                    for v in self._polled.values():
                        try:
                            by_fd[v[0].fileno()] = v
                        except (OSError, ValueError):
                            pass
                ent = by_fd.get(obj)
                if ent is None:
                    continue
            for t in ent[1]:
                if ev & ~(_sel.POLLIN | _sel.POLLOUT) or (ev & _sel.POLLOUT if t.io.w else ev & _sel.POLLIN):
                    out.append(t)
        return out

    # ---- the scheduler

    def _pick(self):
        """The task to run next, after moving virtual time on to it if it sleeps. Of those that may run,
        the one due first goes first (a socket's waiter counts as due when it began to wait), then the one
        waiting longest: no task can starve the others by yielding often."""
        k = self.k
        while True:
            for t in self.tasks:  # a task whose gather is complete, or that was cancelled, goes first
                if t.throw or t.gather is not None and self._ready(t):
                    return t
            now = k.now_us
            best = None
            bkey = None
            for t in self._io_ready():
                key = (t.wake, t.seq)
                if bkey is None or key < bkey:
                    best, bkey = t, key
            nxt = None  # the earliest sleeper, or gather with a deadline, still to come
            for t in self.tasks:
                if t.io is not None:
                    continue
                if t.gather is not None:
                    w = t.gather.until
                    if w is None:
                        continue
                else:
                    w = t.wake
                if w <= now:
                    key = (w, t.seq)
                    if bkey is None or key < bkey:
                        best, bkey = t, key
                elif nxt is None or w < nxt:
                    nxt = w
            if best is not None:
                return best
            if nxt is None:
                if not self._polled:
                    raise RuntimeError("vasync: every task waits for another")
                if not self._io_ready(_IDLE_MS):  # only a host thread can help now
                    raise RuntimeError("vasync: every task waits for a socket, and none is ready")
                continue
            k.run_until(nxt)  # the main program idles: interrupts and inputs happen meanwhile

    def forget(self, sock):
        """sock is closing: no poll for it any more (its waiters, if any, see it closed at their turn)."""
        e = self._polled.pop(id(sock), None)
        if e is None:
            return
        try:
            self._poll.unregister(sock)
        except (OSError, ValueError, KeyError):
            pass
        for t in e[1]:
            t.io = None
            t.wake = self.k.now_us

    def run(self, coro):
        main = self.create_task(coro)
        k = self.k
        while not main.done:
            best = self._pick()
            k.preempt()
            self._io_drop(best)
            best.gather = None
            try:
                if best.throw:
                    best.throw = False
                    y = best.coro.throw(CancelledError())
                else:
                    y = best.coro.send(None)
            except StopIteration as e:
                self._end(best, e.value, None)
                continue
            except CancelledError as e:
                self._end(best, None, e)
                continue
            except Exception as e:  # noqa: B902 -- as asyncio: the task ends with it, gather re-raises
                self._end(best, None, e)
                if not self._awaited(best):
                    print("Task exception wasn't retrieved: %r" % (e,))  # as MicroPython's loop does
                continue
            self._seq += 1
            best.seq = self._seq
            best.wake = k.now_us
            if isinstance(y, _Gather):
                best.gather = y
            elif isinstance(y, _IOWait):
                self._io_add(best, y)
            else:
                best.wake = k.now_us + y.us
        if main.exc is not None:
            raise main.exc
        return main.result

    def _end(self, t, result, exc):
        t.done = True
        t.result = result
        t.exc = exc
        if t in self.tasks:  # done tasks leave the list: a server makes one per connection
            self.tasks.remove(t)
        t.coro = None


def run(coro):
    global _LOOP
    loop = _LOOP = Loop(_c.K)
    try:
        return loop.run(coro)
    finally:
        _LOOP = None
        for t in loop.tasks:  # the board stopped: the tasks with it
            if not t.done:
                try:
                    t.coro.close()
                except Exception:  # noqa: B902
                    pass
        loop._polled = {}


def create_task(coro):
    return _LOOP.create_task(coro)


def gather(*tasks):
    return _Gather(list(tasks))


def sleep_ms(ms):
    return _Wait(ms * 1000)


def sleep(s):
    return _Wait(int(s * 1000000))


async def wait_for_ms(aw, ms):
    """aw (a coroutine or a task), cancelled if it has not ended after ms: TimeoutError then, as
    MicroPython's, once the cancelled task has finished its clean-up."""
    t = aw if isinstance(aw, Task) else _LOOP.create_task(aw)
    try:
        await _Gather([t], _LOOP.k.now_us + ms * 1000)
    except CancelledError:
        t.cancel()
        raise
    if t.done:
        if t.exc is not None:
            raise t.exc
        return t.result
    t.cancel()
    try:
        await _Gather([t])
    except CancelledError:
        pass
    raise TimeoutError()


def wait_for(aw, timeout):
    return wait_for_ms(aw, int(timeout * 1000))


class StreamReader:
    """Reads what a test puts into stream.vdata (a list of ints); other streams never have data."""

    def __init__(self, stream):
        self.s = stream

    async def read(self, n):
        data = getattr(self.s, "vdata", None)
        while not data:
            await _Wait(1000 if data is not None else _FOREVER_US)
        out = bytes(data[:n])
        del data[:n]
        return out


def _eagain(e):
    return isinstance(e, OSError) and e.args and e.args[0] in _EAGAIN or type(e).__name__ == "BlockingIOError"


class Stream:
    """Both ends of a connection over a real non-blocking socket, as MicroPython's asyncio.Stream: each read
    first waits its turn (the loop runs others), then takes what the socket has."""

    def __init__(self, sock, extra=None):
        self.s = sock
        self.e = extra or {}
        self.buf = b""  # read from the socket, not yet asked for (readline)
        self.out = b""  # written, not yet drained

    def get_extra_info(self, what):
        return self.e.get(what)

    async def _recv(self, n):
        while True:
            await _IOWait(self.s, False)
            try:
                return self.s.recv(n)
            except OSError as e:
                if not _eagain(e):
                    raise

    async def read(self, n=-1):
        if self.buf:
            out = self.buf if n < 0 else self.buf[:n]
            self.buf = self.buf[len(out):]
            return out
        if n < 0:
            out = b""
            while True:
                b = await self._recv(_READ)
                if not b:
                    return out
                out += b
        return await self._recv(n if n < _READ else _READ)

    async def readexactly(self, n):
        out = b""
        while len(out) < n:
            b = await self.read(n - len(out))
            if not b:
                raise EOFError()
            out += b
        return out

    async def readline(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                out = self.buf[:i + 1]
                self.buf = self.buf[i + 1:]
                return out
            b = await self._recv(_READ)
            if not b:
                out = self.buf
                self.buf = b""
                return out
            self.buf += b

    def write(self, data):
        self.out += data

    async def drain(self):
        while self.out:
            await _IOWait(self.s, True)
            try:
                n = self.s.send(self.out[:_SEG] if len(self.out) > _SEG else self.out)
            except OSError as e:
                if _eagain(e):
                    continue
                raise
            if n is None:  # MicroPython: a non-blocking socket that took nothing
                continue
            self.out = self.out[n:]

    async def awrite(self, data):
        self.write(data)
        await self.drain()

    def close(self):
        pass

    async def wait_closed(self):
        _close(self.s)

    async def aclose(self):
        _close(self.s)


StreamWriter = Stream


class Server:
    def __init__(self, sock):
        self.s = sock
        self.task = None

    def close(self):
        if self.task is not None:
            self.task.cancel()

    async def wait_closed(self):
        await self.task

    async def _serve(self, cb):
        try:
            while True:
                await _IOWait(self.s, False)
                try:
                    c, addr = self.s.accept()
                except OSError as e:
                    if _eagain(e):
                        continue
                    raise
                c.setblocking(False)
                try:
                    c.setsockopt(_socket.SOL_SOCKET, _SO_SNDBUF, _SNDBUF)
                except OSError:
                    pass
                _LOOP.create_task(cb(Stream(c, {"peername": addr}), Stream(c, {"peername": addr})))
        except CancelledError:
            pass
        finally:
            _close(self.s)


def _close(sock):
    if _LOOP is not None:
        _LOOP.forget(sock)
    sock.close()


def _loopback(host):
    # The virtual board's network is the host's loopback: the board's "every interface" (0.0.0.0) is
    # 127.0.0.1 here, so nothing a test serves can be reached from outside this machine.
    return "127.0.0.1" if host in ("0.0.0.0", "", None) else host


async def start_server(cb, host, port, backlog=5, ssl=None):
    """As MicroPython's: a listening socket on (host, port) whose connections each run cb(reader, writer)
    as a task; the Server is returned at once."""
    if ssl is not None:
        raise ValueError("vasync: no TLS server")
    _net()
    ai = _socket.getaddrinfo(_loopback(host), port, _socket.AF_INET, _socket.SOCK_STREAM)[0]
    s = _socket.socket(ai[0], _socket.SOCK_STREAM)
    try:
        s.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
        s.bind(ai[-1])
        s.listen(backlog)
        s.setblocking(False)
    except Exception:
        s.close()
        raise
    srv = Server(s)
    srv.task = _LOOP.create_task(srv._serve(cb))
    return srv


async def open_connection(host, port):
    """A client connection over a real non-blocking socket (tests' peers): (reader, writer), one Stream."""
    _net()
    ai = _socket.getaddrinfo(host, port, _socket.AF_INET, _socket.SOCK_STREAM)[0]
    s = _socket.socket(ai[0], _socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(ai[-1])
    except OSError as e:
        if not _eagain(e):
            s.close()
            raise
    await _IOWait(s, True)
    st = Stream(s, {"peername": ai[-1]})
    return st, st
