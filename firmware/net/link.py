# One TCP (and optionally TLS) connection to the broker on a non-blocking socket: no call here waits for
# the network. The connect is started and then polled; the TLS handshake advances a step at each poll; reads
# and writes take what is there. The same calls on MicroPython (stream read/write, None when it would
# block) and CPython (recv/send raising BlockingIOError or SSLWant*).
import sys

_MP = sys.implementation.name == "micropython"

TYPE_CHECKING = False  # pyright takes the block below as true; at run time nothing is imported
if TYPE_CHECKING:
    from typing import Any
_EINPROGRESS = (115, 119, 36, 11)  # EINPROGRESS on Linux, lwIP (rp2, esp32), BSD; EAGAIN
_POLLOUT = 4
_POLLERR = 8
_POLLHUP = 16
_READ = 512  # bytes taken per read: the client polls again soon


def numeric(host):
    """True if host is a dotted IPv4 address: it needs no DNS lookup."""
    parts = host.split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not p or len(p) > 3:
            return False
        for c in p:
            if c not in "0123456789":
                return False
        if int(p) > 255:
            return False
    return True


def resolve(socket, host, port):
    """The address to connect to: (family, sockaddr). A DNS lookup BLOCKS (lwIP waits for the answer, for
    seconds if the server is slow): net/client.py calls this only while the contactor is open, and caches."""
    ai = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)
    if not ai:
        raise OSError("no address for host")
    return ai[0][0], ai[0][-1]


class Link:
    """Link(socket_module, select_module, (family, sockaddr), tls) where tls is None or (ssl_context,
    server_hostname). start() begins the connect; ready() is True once TCP and TLS are up; read() gives
    bytes, or None when there is nothing now, and raises OSError once the connection is gone; write(b) gives
    how many bytes went (0 when it would block)."""

    def __init__(self, socket, select, addr, tls=None):
        self._socket = socket
        self._select = select
        self._addr = addr
        self._tls = tls
        self._s = None  # type: Any
        self._tcp = False  # the TCP connect finished
        self._ssl = None  # type: Any  # the TLS socket once wrapped
        self._shaken = False  # the TLS handshake is done (MicroPython: the first bytes came through it)
        self._poll = None  # type: Any
        self.wraps = 0  # TLS wraps begun, and handshake steps run (the tests check when they happen)
        self.steps = 0

    def start(self):
        s = self._socket.socket(self._addr[0], self._socket.SOCK_STREAM)
        self._s = s
        s.setblocking(False)
        try:
            s.connect(self._addr[1])
        except OSError as e:
            if _errno(e) not in _EINPROGRESS:
                raise
        p = self._select.poll()
        p.register(s, _POLLOUT)
        self._poll = p

    def ready(self, tls_ok=True):
        """Advance the connect; True once it can carry MQTT. tls_ok False: do not begin or advance the TLS
        handshake now (its steps are long C calls: net/client.py holds it while the contactor is closed on
        a board whose control step cannot run through them)."""
        if not self._tcp:
            for ev in self._poll.poll(0):
                flags = ev[1]
                if flags & (_POLLERR | _POLLHUP):
                    raise OSError("connect failed")
                if flags & _POLLOUT:
                    self._tcp = True
                    self._poll.unregister(self._s)
            if not self._tcp:
                return False
        if self._tls is None:
            return True
        if self._shaken:
            return True
        if not tls_ok:
            return False
        ctx, name = self._tls
        if self._ssl is None:
            self.wraps += 1
            self._ssl = ctx.wrap_socket(self._s, server_side=False, do_handshake_on_connect=False,
                                        server_hostname=name)
        if _MP:
            # MicroPython's TLS socket has no do_handshake(): the handshake advances inside read/write,
            # which give None until it is done (busy() says so; net/client.py's deadline covers a stall).
            return True
        import ssl

        self.steps += 1
        try:
            self._ssl.do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return False
        self._shaken = True
        return True

    def tcp_up(self):
        """True once the TCP connect finished."""
        return self._tcp

    def busy(self):
        """True while a TLS handshake may still run inside read() and write() (MicroPython): each such call
        may be a long C call."""
        return self._ssl is not None and not self._shaken

    def _sock(self):
        return self._ssl if self._ssl is not None else self._s

    def read(self):
        s = self._sock()
        busy = self._ssl is not None and not self._shaken
        if busy:
            self.steps += 1
        if _MP:
            try:
                b = s.read(_READ)
            except OSError as e:
                if _errno(e) in _EINPROGRESS:
                    return None
                raise
            if b is None:
                return None
        else:
            try:
                b = s.recv(_READ)
            except BlockingIOError:
                return None
            except OSError as e:
                if type(e).__name__ in ("SSLWantReadError", "SSLWantWriteError"):
                    return None
                raise
        if not b:
            raise OSError("closed by the broker")
        if busy:
            self._shaken = True  # bytes came through TLS: the handshake is done
        return b

    def write(self, data):
        s = self._sock()
        if self._ssl is not None and not self._shaken:
            self.steps += 1
        if _MP:
            try:
                n = s.write(data)
            except OSError as e:
                if _errno(e) in _EINPROGRESS:
                    return 0
                raise
            return n or 0
        try:
            return s.send(data)
        except BlockingIOError:
            return 0
        except OSError as e:
            if type(e).__name__ in ("SSLWantReadError", "SSLWantWriteError"):
                return 0
            raise

    def close(self):
        for s in (self._ssl, self._s):
            if s is not None:
                try:
                    s.close()
                except Exception:  # noqa: B902 -- closing a broken socket may fail: it is gone all the same
                    pass
        self._ssl = None
        self._s = None


def _errno(e):
    a = e.args
    return a[0] if a and isinstance(a[0], int) else getattr(e, "errno", None)


def tls_context(ca_file):
    """A TLS client context that checks the broker's certificate against ca_file (PEM) and its name."""
    import ssl

    from .pem import der

    if _MP:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.verify_mode = ssl.CERT_REQUIRED
        with open(ca_file, "rb") as f:
            data = f.read()
        ctx.load_verify_locations(cadata=der(data))
        return ctx
    ctx = getattr(ssl, "create_default_context")(cafile=ca_file)  # CPython: CERT_REQUIRED, check_hostname
    return ctx
