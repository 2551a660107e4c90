# The websocket client (firmware/ocpp16/ws.py) against byte-level fakes of asyncio streams: the upgrade
# request and the checks of its answer, masking, fragmented messages, ping/pong, close, size limits and
# protocol errors. Plain asserts: also runs under MicroPython. The fakes never block, so each coroutine is run
# to its end by hand (run() below), without an event loop: under tools/mptest.py an earlier module may have
# put the virtual board's time and select under asyncio.
# not on webassembly: the pyscript port has no hashlib.sha1 (the boards' ports have it)
from ocpp16 import ws


def run(coro):
    """The result of a coroutine that never waits (every await below is on a fake that has its data)."""
    try:
        coro.send(None)
    except StopIteration as e:
        return e.value
    raise AssertionError("the coroutine waited")


class FakeReader:
    """Gives the bytes it was loaded with, in the chunk sizes asked for; then EOF."""

    def __init__(self, data):
        self.data = data

    async def read(self, n):
        out = self.data[:n]
        self.data = self.data[n:]
        return out


class FakeWriter:
    def __init__(self):
        self.out = b""
        self.closed = False

    def write(self, b):
        self.out += bytes(b)

    async def drain(self):
        pass

    def close(self):
        self.closed = True

    async def wait_closed(self):
        pass


def server_frame(op, payload, fin=True, masked=False):
    """A frame as a server sends it (never masked, unless a test wants it so)."""
    n = len(payload)
    b0 = (0x80 if fin else 0) | op
    if n < 126:
        head = bytes((b0, (0x80 if masked else 0) | n))
    else:
        head = bytes((b0, (0x80 if masked else 0) | 126, n >> 8, n & 0xFF))
    if masked:
        return head + b"\x00\x00\x00\x00" + payload
    return head + payload


def unmask_client(data):
    """[(op, payload)] of the client's frames in data, checking that each is masked."""
    out = []
    while data:
        op = data[0] & 0x0F
        assert data[1] & 0x80, "a client frame is always masked (RFC 6455 5.3)"
        n = data[1] & 0x7F
        i = 2
        if n == 126:
            n = data[2] << 8 | data[3]
            i = 4
        key = data[i:i + 4]
        out.append((op, bytes(ws.mask(data[i + 4:i + 4 + n], key))))
        data = data[i + 4 + n:]
    return out


def _ws(data, max_size=ws.MAX_MESSAGE):
    w = FakeWriter()
    return ws.WebSocket(FakeReader(data), w, b"", max_size), w


def _recv(sock):
    async def go():
        try:
            return await sock.recv()
        except ws.Closed as e:
            return "closed"
        except ws.WsError as e:
            return "error"

    return run(go())


def test_urls():
    assert ws.parse_url("ws://10.0.0.5:9000/steve/websocket/CentralSystemService") == (
        False, "10.0.0.5", 9000, "/steve/websocket/CentralSystemService")
    assert ws.parse_url("wss://csms.example.org/ocpp") == (True, "csms.example.org", 443, "/ocpp")
    assert ws.parse_url("ws://[::1]:8080") == (False, "::1", 8080, "/")
    for bad in ("http://x/", "ws://:80/", "ws://u:p@host/", "ws://host:0/", "ws://host:99999/"):
        try:
            ws.parse_url(bad)
            raise AssertionError(bad)
        except ValueError:
            pass


def test_upgrade_request_and_answer_checks():
    req = ws.request("h", 80, "/ocpp/evse1", "dGhlIHNhbXBsZSBub25jZQ==", "ocpp1.6", "evse1", "pw")
    assert req.startswith("GET /ocpp/evse1 HTTP/1.1\r\n") and req.endswith("\r\n\r\n")
    assert "Sec-WebSocket-Protocol: ocpp1.6\r\n" in req and "Sec-WebSocket-Version: 13\r\n" in req
    assert "Authorization: Basic ZXZzZTE6cHc=\r\n" in req  # evse1:pw (security profiles 1 and 2)
    assert "Authorization" not in ws.request("h", 80, "/", "k", "ocpp1.6", "evse1", "")
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    assert ws.accept_for(key) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455 1.3's example
    good = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: ocpp1.6")
    ws.check_answer(good.encode(), key, "ocpp1.6")
    for bad in (good.replace("101", "401"), good.replace("s3pP", "xxxx"), good.replace("ocpp1.6", "ocpp2.0.1"),
                good.replace("Upgrade: websocket", "Upgrade: h2c"), "garbage", b"\xff\xfe"):
        try:
            ws.check_answer(bad.encode() if isinstance(bad, str) else bad, key, "ocpp1.6")
            raise AssertionError(bad)
        except ws.WsError:
            pass


def test_frames_are_masked_with_the_right_length_encoding():
    key = b"\x01\x02\x03\x04"
    assert ws.frame(1, b"", key) == b"\x81\x80" + key
    f = ws.frame(1, b"x" * 200, key)
    assert f[:4] == bytes((0x81, 0xFE, 0, 200)) and bytes(ws.mask(f[8:], key)) == b"x" * 200
    assert ws.head(2, 70000) == bytes((0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0x11, 0x70))  # 64-bit length


def test_fragmented_message_with_a_ping_in_between():
    data = (server_frame(1, b'[2,"a",', fin=False) + server_frame(9, b"hi") + server_frame(0, b'"Reset",', fin=False)
            + server_frame(0, b'{"type":"Soft"}]'))
    sock, w = _ws(data)
    assert _recv(sock) == '[2,"a","Reset",{"type":"Soft"}]'
    assert unmask_client(w.out) == [(10, b"hi")]  # the ping answered with its payload


def test_pong_close_and_lost_connection():
    sock, w = _ws(server_frame(10, b"") + server_frame(8, b"\x03\xe8"))
    assert _recv(sock) == "closed" and sock.pongs == 1
    assert unmask_client(w.out) == [(8, b"\x03\xe8")] and w.closed  # the close answered, the socket closed
    sock, w = _ws(server_frame(1, b"abc")[:3])  # the connection drops inside a frame
    assert _recv(sock) == "closed"


def test_protocol_errors_close_with_their_codes():
    cases = ((server_frame(1, b"x", masked=True), 1002), (bytes((0xC1, 1)) + b"x", 1002),  # masked; RSV bit
             (server_frame(0, b"x"), 1002), (server_frame(2, b"bin"), 1003), (server_frame(1, b"\xff\xfe"), 1007),
             (server_frame(1, b"a", fin=False) + server_frame(1, b"b"), 1002), (bytes((0x83, 0)), 1002),
             (bytes((0x09, 0)), 1002), (bytes((0x81, 127)) + bytes((0, 0, 0, 1, 0, 0, 0, 0)), 1009))
    for data, code in cases:
        sock, w = _ws(data)
        assert _recv(sock) == "error", data
        assert unmask_client(w.out)[-1] == (8, bytes((code >> 8, code & 0xFF))), (data, unmask_client(w.out))
        assert sock.closed and w.closed


def test_size_limit_counts_every_fragment():
    sock, w = _ws(server_frame(1, b"a" * 100, fin=False) + server_frame(0, b"b" * 100), max_size=150)
    assert _recv(sock) == "error"
    assert unmask_client(w.out)[-1] == (8, b"\x03\xf1")  # 1009: message too big
    sock, w = _ws(server_frame(1, b"a" * 100, fin=False) + server_frame(0, b"b" * 40), max_size=150)
    assert _recv(sock) == "a" * 100 + "b" * 40


def test_send_after_close_raises_closed():
    sock, w = _ws(b"")

    async def go():
        await sock.send("[2]")
        await sock.close()
        try:
            await sock.send("x")
        except ws.Closed:
            return True
        return False

    assert run(go())
    assert [op for op, _ in unmask_client(w.out)] == [1, 8]
