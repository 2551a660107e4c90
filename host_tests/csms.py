# A central system for the OCPP tests: PyPI `ocpp` (mobilityhouse) 1.6 over PyPI `websockets`, on 127.0.0.1,
# with HTTP Basic authentication. The library checks every message against the OCPP 1.6 JSON schemas in both
# directions: what the charge point sends (a failure is answered with a CALLERROR, recorded in `rejected`) and
# what it answers to our calls (a failure raises in call()). Host only (CPython).
import asyncio
import json
import time

from ocpp.routing import on
from ocpp.v16 import ChargePoint as _Peer
from ocpp.v16 import call_result
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus
from websockets.asyncio.server import basic_auth, serve


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Peer(_Peer):
    """One charge point as the central system sees it."""

    def __init__(self, ident, conn, central):
        super().__init__(ident, conn, response_timeout=15)
        self.central = central

    async def route_message(self, raw):
        m = json.loads(raw)
        if m[0] == 2:
            self.central.log.append((m[2], m[3]))
            self.central.changed.set()
        await super().route_message(raw)

    async def _send(self, message):
        m = json.loads(message)
        if m[0] == 4:  # the library refused what the charge point sent
            self.central.rejected.append(m)
        await super()._send(message)

    async def raw(self, frame, uid, timeout=10):
        """Send a frame the library would never build; the charge point's answer as a list."""
        await self._connection.send(frame)
        resp = await self._get_specific_response(uid, timeout)
        if resp.message_type_id == 3:
            return [3, resp.unique_id, resp.payload]
        return [4, resp.unique_id, resp.error_code, resp.error_description]

    @on(Action.boot_notification)
    def _boot(self, **kw):
        return call_result.BootNotification(current_time=now_iso(), interval=300, status=RegistrationStatus.accepted)

    @on(Action.heartbeat)
    def _hb(self, **kw):
        return call_result.Heartbeat(current_time=now_iso())

    @on(Action.status_notification)
    def _status(self, **kw):
        return call_result.StatusNotification()

    @on(Action.authorize)
    def _auth(self, id_tag, **kw):
        ok = id_tag in self.central.tags
        return call_result.Authorize(id_tag_info={"status": AuthorizationStatus.accepted if ok
                                                  else AuthorizationStatus.invalid})

    @on(Action.start_transaction)
    def _start(self, id_tag, **kw):
        self.central.tx_id += 1
        return call_result.StartTransaction(transaction_id=self.central.tx_id,
                                            id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action.stop_transaction)
    def _stop(self, **kw):
        return call_result.StopTransaction()

    @on(Action.meter_values)
    def _mv(self, **kw):
        return call_result.MeterValues()

    @on(Action.data_transfer)
    def _dt(self, **kw):
        return call_result.DataTransfer(status="UnknownVendorId")


class Central:
    """Central(port=0, user, password): start() it, then `peer` is the connected charge point; stop() drops
    every connection (a central system that goes away), start() again on the same port brings it back."""

    def __init__(self, port=0, user="evse1", password="secret-pass-1234", ssl=None):
        self.port = port
        self.ssl = ssl  # an SSLContext: wss://
        self.user = user
        self.password = password
        self.log = []  # (action, payload) of every CALL the charge point sent, over every restart
        self.rejected = []  # CALLERRORs the library answered (a message that failed the schemas)
        self.tags = ("TAG1",)
        self.tx_id = 1000
        self.peer = None
        self.paths = []
        self.changed = asyncio.Event()
        self._server = None
        self._tasks = []

    async def _handler(self, conn):
        self.paths.append(conn.request.path)
        p = Peer(conn.request.path.rstrip("/").split("/")[-1], conn, self)
        self.peer = p
        try:
            await p.start()
        except Exception:
            pass
        if self.peer is p:
            self.peer = None

    async def start(self):
        auth = basic_auth(realm="csms", credentials=(self.user, self.password)) if self.password else None
        self._server = await serve(self._handler, "127.0.0.1", self.port, subprotocols=["ocpp1.6"],
                                   process_request=auth, ssl=self.ssl)
        self.port = self._server.sockets[0].getsockname()[1] if not self.port else self.port

    async def stop(self):
        s = self._server
        self._server = None
        self.peer = None
        if s is not None:
            s.close()
            await s.wait_closed()

    def url(self):
        if self.ssl is not None:
            return "wss://localhost:%d/ocpp" % self.port
        return "ws://127.0.0.1:%d/ocpp" % self.port

    def sent(self, action):
        return [p for a, p in self.log if a == action]

    async def wait(self, pred, timeout=30.0, what="condition"):
        """Wait (real time, bounded) until pred() is true; its value."""
        end = time.monotonic() + timeout
        while True:
            v = pred()
            if v:
                return v
            if time.monotonic() > end:
                raise AssertionError("timed out waiting for " + what + "; log: " +
                                     json.dumps([a for a, _ in self.log][-30:]))
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), 0.2)
            except asyncio.TimeoutError:
                pass

    async def connected(self, timeout=30.0):
        return await self.wait(lambda: self.peer is not None and self.sent("BootNotification"), timeout, "a boot")
