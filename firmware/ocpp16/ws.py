# A small RFC 6455 websocket client on asyncio streams, for OCPP-J (MicroPython 1.29 and CPython): the HTTP
# upgrade with a subprotocol and Basic authentication, masked frames, ping/pong, close, fragmented messages,
# a size limit; ws:// and wss:// (the caller's SSL context checks the server certificate). docs/ocpp.md
# says why it is ours and not a registry package's.
import asyncio
import binascii
import hashlib
import os

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_MESSAGE = 16384  # a larger message from the server closes the connection (1009)
_MAX_HEADER = 4096  # the upgrade answer's header block
OP_CONT = 0
OP_TEXT = 1
OP_BIN = 2
OP_CLOSE = 8
OP_PING = 9
OP_PONG = 10


class WsError(Exception):
    pass


class Closed(WsError):
    pass


def _b64(b):
    return binascii.b2a_base64(b).strip().decode()


def parse_url(url):
    """(secure, host, port, path) of a ws:// or wss:// URL; ValueError if it is not one."""
    if url.startswith("ws://"):
        secure, rest, port = False, url[5:], 80
    elif url.startswith("wss://"):
        secure, rest, port = True, url[6:], 443
    else:
        raise ValueError("not a ws:// or wss:// URL")
    i = rest.find("/")
    hostport, path = (rest, "/") if i < 0 else (rest[:i], rest[i:])
    if "@" in hostport:
        raise ValueError("credentials belong in the settings, not the URL")
    if hostport.startswith("["):  # [IPv6]:port
        j = hostport.find("]")
        if j < 0:
            raise ValueError("bad host")
        host, tail = hostport[1:j], hostport[j + 1:]
        if tail.startswith(":"):
            port = int(tail[1:])
    elif ":" in hostport:
        host, p = hostport.rsplit(":", 1)
        port = int(p)
    else:
        host = hostport
    if not host or not 0 < port < 65536:
        raise ValueError("bad host or port")
    return secure, host, port, path


def mask(data, key):
    """data XOR the 4-byte key, as a new bytearray (RFC 6455 5.3)."""
    b = bytearray(data)
    for i in range(len(b)):
        b[i] ^= key[i & 3]
    return b


def head(op, n):
    """A masked client frame's first bytes for n payload bytes (RFC 6455 5.2), FIN set; the key follows."""
    if n < 126:
        return bytes((0x80 | op, 0x80 | n))
    if n < 65536:
        return bytes((0x80 | op, 0xFE, n >> 8, n & 0xFF))
    return bytes((0x80 | op, 0xFF, 0, 0, 0, 0, n >> 24 & 0xFF, n >> 16 & 0xFF, n >> 8 & 0xFF, n & 0xFF))


def frame(op, payload, key):
    """A masked client frame (RFC 6455 5.2), FIN set."""
    return head(op, len(payload)) + bytes(key) + bytes(mask(payload, key))


def accept_for(key):
    return _b64(hashlib.sha1(key.encode() + _GUID).digest())


def request(host, port, path, key, protocol, user, password):
    """The upgrade request's text."""
    lines = ["GET %s HTTP/1.1" % path, "Host: %s:%d" % (host, port), "Upgrade: websocket", "Connection: Upgrade",
             "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: " + protocol]
    if password:
        lines.append("Authorization: Basic " + _b64(("%s:%s" % (user, password)).encode()))
    return "\r\n".join(lines) + "\r\n\r\n"


def check_answer(head, key, protocol):
    """Raise WsError unless head (the answer's header block, bytes) accepts the upgrade with protocol."""
    try:
        text = head.decode()
    except Exception:
        raise WsError("bad answer")
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 2 or parts[0] not in ("HTTP/1.1", "HTTP/1.0") or parts[1] != "101":
        code = parts[1] if len(parts) > 1 else "?"
        raise WsError("upgrade refused: " + code[:3])  # 401: wrong id or password; 404: wrong path
    h = {}
    for ln in lines[1:]:
        i = ln.find(":")
        if i > 0:
            h[ln[:i].strip().lower()] = ln[i + 1:].strip()
    if h.get("upgrade", "").lower() != "websocket":
        raise WsError("no upgrade to websocket")
    if h.get("sec-websocket-accept") != accept_for(key):
        raise WsError("bad Sec-WebSocket-Accept")
    if h.get("sec-websocket-protocol") != protocol:
        raise WsError("the server did not agree to " + protocol)  # OCPP-J 1.6 3.1.2: then close


async def connect(url, protocol="ocpp1.6", user=None, password=None, ssl_ctx=None, max_size=MAX_MESSAGE):
    """Open a websocket to url. wss:// needs ssl_ctx (its verify mode and CA decide the certificate check).
    Raises OSError, WsError or ValueError. The caller bounds it in time (asyncio.wait_for)."""
    secure, host, port, path = parse_url(url)
    if secure:
        if ssl_ctx is None:
            raise WsError("wss:// without an SSL context (a CA certificate to check the server)")
        reader, writer = await asyncio.open_connection(host, port, ssl=ssl_ctx, server_hostname=host)
    else:
        reader, writer = await asyncio.open_connection(host, port)
    try:
        key = _b64(os.urandom(16))
        writer.write(request(host, port, path, key, protocol, user, password).encode())
        await writer.drain()
        buf = b""
        while True:
            i = buf.find(b"\r\n\r\n")
            if i >= 0:
                break
            if len(buf) > _MAX_HEADER:
                raise WsError("answer header too long")
            more = await reader.read(512)
            if not more:
                raise Closed("closed during the upgrade")
            buf += more
        check_answer(buf[:i], key, protocol)
    except BaseException:
        await _close_quietly(writer)
        raise
    return WebSocket(reader, writer, buf[i + 4:], max_size)


async def _close_quietly(writer):
    # MicroPython's Stream.close() does nothing: wait_closed() closes the socket (CPython needs both)
    try:
        writer.close()
        await writer.wait_closed()
    except Exception:
        pass


class WebSocket:
    """An open connection: recv() the next text message, send() one, ping(), close()."""

    def __init__(self, reader, writer, rest=b"", max_size=MAX_MESSAGE):
        self.r = reader
        self.w = writer
        self._buf = rest  # bytes read with the upgrade answer
        self.max_size = max_size
        self.closed = False
        self.pongs = 0  # pongs received (the ping task watches it)
        self._lock = asyncio.Lock()

    async def _read(self, n):
        out = b""
        if self._buf:
            out = self._buf[:n]
            self._buf = self._buf[n:]
        while len(out) < n:
            try:
                more = await self.r.read(n - len(out))
            except OSError:
                more = b""
            if not more:
                self.closed = True
                raise Closed("connection lost")
            out += more
        return out

    async def _frame(self):
        b = await self._read(2)
        fin = b[0] & 0x80
        op = b[0] & 0x0F
        if b[0] & 0x70:
            await self._fail(1002, "reserved bits")
        if b[1] & 0x80:
            await self._fail(1002, "a server frame is never masked")
        n = b[1] & 0x7F
        if n == 126:
            e = await self._read(2)
            n = e[0] << 8 | e[1]
        elif n == 127:
            e = await self._read(8)
            n = 0
            for c in e:
                n = n << 8 | c
        if op >= 8 and (n > 125 or not fin):
            await self._fail(1002, "bad control frame")
        if n > self.max_size:
            await self._fail(1009, "message too big")
        data = await self._read(n) if n else b""
        return fin, op, data

    async def _fail(self, code, why):
        await self.close(code)
        raise WsError(why)

    async def recv(self):
        """The next text message (str). Answers pings on the way. Raises Closed or WsError."""
        parts = []
        size = 0
        first = -1
        while True:
            fin, op, data = await self._frame()
            if op == OP_PING:
                await self._send(OP_PONG, data)
                continue
            if op == OP_PONG:
                self.pongs += 1
                continue
            if op == OP_CLOSE:
                if not self.closed:
                    await self.close(1000)
                raise Closed("closed by the server")
            if op == OP_CONT:
                if first < 0:
                    await self._fail(1002, "continuation without a start")
            elif op in (OP_TEXT, OP_BIN):
                if first >= 0:
                    await self._fail(1002, "a new message inside a fragmented one")
                first = op
            else:
                await self._fail(1002, "unknown opcode")
            size += len(data)
            if size > self.max_size:
                await self._fail(1009, "message too big")
            parts.append(data)
            if fin:
                if first != OP_TEXT:
                    await self._fail(1003, "OCPP-J is text only")
                try:
                    return b"".join(parts).decode()
                except Exception:
                    await self._fail(1007, "not UTF-8")

    async def _send(self, op, payload):
        if self.closed:
            raise Closed("closed")
        f = frame(op, payload, os.urandom(4))
        async with self._lock:
            try:
                self.w.write(f)
                await self.w.drain()
            except OSError:
                self.closed = True
                raise Closed("connection lost")

    async def send(self, text):
        await self._send(OP_TEXT, text.encode())

    async def ping(self, data=b""):
        await self._send(OP_PING, data)

    async def close(self, code=1000):
        """Send a close frame (once) and drop the connection."""
        if not self.closed:
            try:
                await self._send(OP_CLOSE, bytes((code >> 8, code & 0xFF)))
            except Exception:
                pass
        self.closed = True
        await _close_quietly(self.w)
