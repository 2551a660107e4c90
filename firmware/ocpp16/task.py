# The OCPP task beside the control loop: steps the charge point (cp.py) every STEP_MS whether connected or
# not, keeps one websocket to the central system (ws.py), reconnecting with backoff, and pings it.
# asyncio only: nothing here runs in the control step. docs/ocpp.md.
import asyncio

from . import ws

STEP_MS = 250
CONNECT_S = 30  # connect, TLS handshake and upgrade together (a stalled peer is given up on then)
BACKOFF_MIN_S = 2
BACKOFF_MAX_S = 300


def ssl_context(cafile):
    """An SSL context that checks the server's certificate against the CA in cafile (PEM or DER), on either
    interpreter; None if there is no such file (then wss:// is not tried: never unchecked)."""
    try:
        with open(cafile, "rb") as f:
            ca = f.read()
    except OSError:
        return None
    import ssl

    from net.pem import der

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=der(ca))  # DER: what both interpreters take as bytes
    return ctx


async def _sleep_ms(ms):
    await asyncio.sleep(ms / 1000)


class Link:
    """Link(cp, url, ident, password, clock_ms, ssl_ctx=None, step_ms=STEP_MS): run() until stop().
    url is the setting ocpp_url; the charge point's identity is appended as the last path segment
    (OCPP-J 1.6 3.1.1) and is the Basic auth user (security profiles 1 and 2)."""

    def __init__(self, cp, url, ident, password, clock_ms, ssl_ctx=None, step_ms=STEP_MS, backoff_min_s=BACKOFF_MIN_S,
                 backoff_max_s=BACKOFF_MAX_S):
        self.cp = cp
        self.url = url.rstrip("/") + "/" + ident
        self.ident = ident
        self.password = password
        self.clock = clock_ms
        self.ssl_ctx = ssl_ctx
        self.step_ms = step_ms
        self.backoff_min_s = backoff_min_s
        self.backoff_max_s = backoff_max_s
        self.ws = None
        self.stopped = False
        self.connects = 0
        self.last_error = ""
        self._rx_t = 0

    def stop(self):
        self.stopped = True
        w = self.ws
        if w is not None:
            try:
                asyncio.create_task(w.close(1001))  # ends the receive loop
            except Exception:
                pass

    async def run(self):
        t = asyncio.create_task(self._connection())
        try:
            while not self.stopped:
                self.cp.step(self.clock())
                await self._send_out()
                await _sleep_ms(self.step_ms)
        finally:
            self.stopped = True
            try:
                await t
            except Exception:
                pass

    async def _send_out(self):
        frames = self.cp.take()
        w = self.ws
        if w is None or w.closed:
            return
        for f in frames:
            try:
                await w.send(f)
            except Exception:
                return

    async def _connection(self):
        backoff = self.backoff_min_s
        while not self.stopped:
            try:
                w = await asyncio.wait_for(ws.connect(self.url, "ocpp1.6", self.ident, self.password, self.ssl_ctx),
                                           CONNECT_S)
            except Exception as e:  # OSError, WsError, a timeout: try again later
                self.last_error = repr(e)[:80]
                await self._wait(backoff)
                backoff = backoff * 2 if backoff * 2 < self.backoff_max_s else self.backoff_max_s
                continue
            backoff = self.backoff_min_s
            self.connects += 1
            self.ws = w
            now = self.clock()
            self._rx_t = now
            self.cp.opened(now)
            pinger = asyncio.create_task(self._pinger(w))
            try:
                while not self.stopped:
                    text = await w.recv()
                    self._rx_t = self.clock()
                    self.cp.received(text, self._rx_t)
                    await self._send_out()
            except Exception as e:
                self.last_error = repr(e)[:80]
            self.ws = None
            try:
                pinger.cancel()
            except Exception:
                pass
            await w.close()
            self.cp.closed(self.clock())
            await self._wait(self.backoff_min_s)

    async def _pinger(self, w):
        """WebSocketPingInterval: a ping each interval; nothing heard for two of them: the link is dead."""
        try:
            while not w.closed:
                iv = self.cp.cfg["WebSocketPingInterval"]
                await _sleep_ms((iv or 10) * 1000)
                if not iv:
                    continue
                await w.ping()
                await _sleep_ms(iv * 1000)
                if w.pongs == 0 and self.clock() - self._rx_t > 2 * iv * 1000:
                    await w.close(1001)
                    return
                w.pongs = 0
        except Exception:
            pass

    async def _wait(self, s):
        ms = s * 1000
        while ms > 0 and not self.stopped:
            await _sleep_ms(100 if ms > 100 else ms)
            ms -= 100
