# The firmware's OCPP charge point against a third-party central system (PyPI `ocpp` over `websockets`, which
# checks every message against the OCPP 1.6 schemas) on 127.0.0.1, on the bench's metered charging core,
# on CPython (in this process) and on the MicroPython unix port (a subprocess with real sockets). The bench
# and the charge point run in virtual time, 10x the wall clock; nothing here asserts a wall-clock time.
import asyncio
import json
import os
import subprocess  # noqa: F401 -- host only (tools/mptest.py leaves this module to CPython)

import pytest
from ocpp.v16 import call

from host_tests.csms import Central
from host_tests.fakes import remove, tmp_path
from host_tests.ocpp_rig import Rig
from host_tests.vboard_http import free_port as _free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICROPYTHON = os.path.join(ROOT, ".venv", "bin", "micropython")
ENGINES = ["cpython", "micropython"]
SPEED = 10


class ChargePointUnderTest:
    """The rig in this process (cpython) or in a MicroPython subprocess; finish() gives (trace, summary)."""

    def __init__(self, engine, **args):
        self.engine = engine
        self.args = args
        self.rig = None
        self.task = None
        self.proc = None

    async def start(self):
        a = self.args
        if self.engine == "cpython":
            self.rig = Rig(a["url"], a.get("id", "evse1"), a.get("password", ""), SPEED, a.get("settings"),
                           a.get("plan", ()), a.get("end_ms", 60000), a.get("queue"), a.get("store"),
                           a.get("boot", 1), a.get("free_vend", False), ca=a.get("ca"))
            self.task = asyncio.create_task(self.rig.main())
        else:
            arg = dict(a)
            arg["speed"] = SPEED
            env = dict(os.environ)
            env["MICROPYPATH"] = ".frozen:.:firmware"
            self.argfile = tmp_path("ocpp_rig_args")
            with open(self.argfile, "w") as f:
                json.dump(arg, f)
            self.proc = await asyncio.create_subprocess_exec(
                MICROPYTHON, "-X", "heapsize=8M", "host_tests/ocpp_rig.py", self.argfile, cwd=ROOT, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        return self

    async def finish(self, timeout=60):
        if self.engine == "cpython":
            await asyncio.wait_for(self.task, timeout)
            r = self.rig
            return r.trace, {"done": True, "cut": r.cut, "queue": len(r.cp.q), "errors": r.cp.errors,
                             "added": r.cp.q.seq, "connects": r.link.connects, "last_error": r.link.last_error}
        out, err = await asyncio.wait_for(self.proc.communicate(), timeout)
        remove(self.argfile)
        lines = out.decode().splitlines()
        assert lines and '"done": true' in lines[-1], (out.decode()[-2000:], err.decode()[-3000:])
        return lines[:-1], json.loads(lines[-1])


def _run(coro):
    asyncio.run(asyncio.wait_for(coro, 120))


def _sessions(trace):
    return [json.loads(x) for x in trace if '"event": "session"' in x]


def _values(mv, measurand):
    return [s["value"] for s in mv["meterValue"][0]["sampledValue"] if s.get("measurand") == measurand]


def _status(cs, conn=1):
    return [p["status"] for p in cs.sent("StatusNotification") if p["connectorId"] == conn]


def _tx_messages(cs):
    return [(a, p) for a, p in cs.log if a in ("StartTransaction", "MeterValues", "StopTransaction")
            and (a != "MeterValues" or "transactionId" in p)]


@pytest.mark.parametrize("engine", ENGINES)
def test_whole_transaction_remote_start_profile_remote_stop(engine):
    """RemoteStart -> Authorize -> StartTransaction -> MeterValues -> SetChargingProfile lowers the PWM ->
    RemoteStop -> StopTransaction with the metered energy of the bench's session; every message on the
    schemas, Basic auth, the identity in the URL."""

    async def main():
        cs = Central()
        await cs.start()
        cp = await ChargePointUnderTest(engine, url=cs.url(), password=cs.password,
                                        plan=[[3000, "plug"], [70000, "unplug"]], end_ms=75000).start()
        await cs.connected()
        assert cs.paths == ["/ocpp/evse1"]
        peer = cs.peer
        for k, v in (("MeterValueSampleInterval", "5"),
                     ("MeterValuesSampledData", "Energy.Active.Import.Register,Current.Import,Current.Offered")):
            r = await peer.call(call.ChangeConfiguration(key=k, value=v), suppress=False)
            assert r.status == "Accepted"
        await cs.wait(lambda: "Preparing" in _status(cs), what="Preparing")
        r = await peer.call(call.RemoteStartTransaction(id_tag="TAG1", connector_id=1), suppress=False)
        assert r.status == "Accepted"
        await cs.wait(lambda: cs.sent("StartTransaction") and cs.tx_id > 1000, what="StartTransaction answered")
        assert cs.sent("Authorize") == [{"idTag": "TAG1"}]  # AuthorizeRemoteTxRequests is true
        tx = cs.tx_id

        def offered(v):
            return [m for m in cs.sent("MeterValues") if _values(m, "Current.Offered") == [v]
                    and len(_values(m, "Current.Import")) == 3 and float(_values(m, "Current.Import")[0]) > 0]

        await cs.wait(lambda: offered("32.0"), what="32 A offered")
        prof = {"chargingProfileId": 7, "transactionId": tx, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
                "chargingProfileKind": "Relative",
                "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}]}}
        r = await peer.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=prof), suppress=False)
        assert r.status == "Accepted"
        n = len(cs.sent("MeterValues"))
        await cs.wait(lambda: [m for m in cs.sent("MeterValues")[n:] if _values(m, "Current.Offered") == ["10.0"]
                               and max(float(x) for x in _values(m, "Current.Import")) <= 10.5], what="10 A drawn")
        comp = await peer.call(call.GetCompositeSchedule(connector_id=1, duration=600), suppress=False)
        assert comp.status == "Accepted"
        assert comp.charging_schedule["charging_schedule_period"] == [{"start_period": 0, "limit": 10.0}]
        r = await peer.call(call.RemoteStopTransaction(transaction_id=tx), suppress=False)
        assert r.status == "Accepted"
        await cs.wait(lambda: cs.sent("StopTransaction"), what="StopTransaction")
        trace, summary = await cp.finish()
        await cs.stop()
        return cs, trace, summary

    cs = None
    box = []

    async def wrap():
        box.append(await main())

    _run(wrap())
    cs, trace, summary = box[0]
    assert cs.rejected == [], cs.rejected  # every message passed the library's schema check
    start = cs.sent("StartTransaction")[0]
    stop = cs.sent("StopTransaction")[0]
    assert stop["reason"] == "Remote" and stop["transactionId"] == cs.tx_id and stop["idTag"] == "TAG1"
    sessions = _sessions(trace)
    assert len(sessions) == 1 and sessions[0]["end"] == "unplug"
    # the energy in StopTransaction is the metering issue's session energy, to the Wh
    assert stop["meterStop"] - start["meterStart"] == sessions[0]["energy_wh"] > 0, (start, stop, sessions)
    # the PWM came down to 10 A after the profile, and never went above 32 A
    pilots = [json.loads(x) for x in trace if '"event": "pilot"' in x and '"pwm"' in x]
    assert [p["amps"] for p in pilots][:2] == [32, 10], pilots
    st = _status(cs)
    assert st[0] == "Available" and "Charging" in st and st[-1] == "Available" and "Finishing" in st, st
    txs = [a for a, _ in _tx_messages(cs)]
    assert txs[0] == "StartTransaction" and txs[-1] == "StopTransaction" and txs.count("MeterValues") >= 2
    assert summary["errors"] == 0 and summary["queue"] == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_central_system_restart_mid_transaction_queue_arrives_in_order_once(engine):
    """The central system goes away while charging: meter values and the stop are queued, then delivered in
    order, each once, to the restarted one."""

    async def main():
        cs = Central()
        await cs.start()
        store = tmp_path("ocpp_store")
        remove(store)
        with open(store, "w") as f:  # MeterValueSampleInterval 5 s from the start
            f.write('{"schema": 1, "config": {"MeterValueSampleInterval": 5}, "operative": true, "profiles": []}')
        cp = await ChargePointUnderTest(engine, url=cs.url(), password=cs.password, free_vend=True, store=store,
                                        plan=[[2000, "plug"], [90000, "unplug"]], end_ms=150000).start()
        await cs.connected()
        await cs.wait(lambda: len([m for m in cs.sent("MeterValues") if "transactionId" in m]) >= 2, what="2 MVs")
        # 0.1 s (1 s virtual) for the answer to leave, before the next meter value is due (5 s virtual): a
        # message whose answer is lost with the link is sent again, as OCPP has it (at least once)
        await asyncio.sleep(0.1)
        await cs.stop()
        before = len(cs.log)
        await asyncio.sleep(5)  # 50 s of virtual time: about ten meter values queue up, then the stop
        await cs.start()
        await cs.wait(lambda: cs.sent("StopTransaction"), timeout=40, what="StopTransaction")
        trace, summary = await cp.finish()
        await cs.stop()
        remove(store)
        return cs, before, trace, summary

    box = []

    async def wrap():
        box.append(await main())

    _run(wrap())
    cs, before, trace, summary = box[0]
    assert cs.rejected == []
    msgs = _tx_messages(cs)
    names = [a for a, _ in msgs]
    assert names.count("StartTransaction") == 1 and names.count("StopTransaction") == 1
    assert names[0] == "StartTransaction" and names[-1] == "StopTransaction"
    energies = [int(_values(p, "Energy.Active.Import.Register")[0]) for a, p in msgs if a == "MeterValues"]
    # each message queued arrived once (the timestamps cannot tell: the board's clock runs 10x and is set
    # back by each BootNotification), in order
    assert len(msgs) == summary["added"], (len(msgs), summary)
    assert energies == sorted(energies) and len(energies) >= 8, energies
    assert len(cs.log) > before and summary["queue"] == 0
    stop = cs.sent("StopTransaction")[0]
    assert stop["reason"] == "EVDisconnected"
    assert stop["meterStop"] - cs.sent("StartTransaction")[0]["meterStart"] == _sessions(trace)[0]["energy_wh"]


def _rebooting(engine, cut):
    """Boot 1 with the central system unreachable: a free-vend session (cut: the power goes mid-session);
    boot 2 from the same flash with it reachable: the queue goes out in order."""

    async def main():
        cs = Central()
        await cs.start()
        port = cs.port
        await cs.stop()  # nothing listens there during boot 1
        q = tmp_path("ocpp_q")
        store = tmp_path("ocpp_store")
        remove(q, store)
        with open(store, "w") as f:
            f.write('{"schema": 1, "config": {"MeterValueSampleInterval": 5}, "operative": true, "profiles": []}')
        plan = [[2000, "plug"], [30000, "cut" if cut else "unplug"]]
        one = await ChargePointUnderTest(engine, url=cs.url(), password=cs.password, free_vend=True, queue=q,
                                         store=store, plan=plan, end_ms=40000).start()
        trace1, s1 = await one.finish()
        assert s1["cut"] == cut and s1["queue"] >= 2
        cs2 = Central(port=port)
        await cs2.start()
        two = await ChargePointUnderTest(engine, url=cs2.url(), password=cs2.password, free_vend=True, queue=q,
                                         store=store, boot=2, plan=[], end_ms=40000).start()
        await cs2.wait(lambda: cs2.sent("StopTransaction"), what="StopTransaction")
        trace2, s2 = await two.finish()
        await cs2.stop()
        remove(q, store)
        return cs2, trace1, s1, s2

    box = []

    async def wrap():
        box.append(await main())

    _run(wrap())
    return box[0]


@pytest.mark.parametrize("engine", ENGINES)
def test_reboot_with_a_non_empty_queue(engine):
    cs, trace1, s1, s2 = _rebooting(engine, cut=False)
    assert cs.rejected == []
    names = [a for a, _ in _tx_messages(cs)]
    assert names[0] == "StartTransaction" and names[-1] == "StopTransaction" and names.count("MeterValues") >= 3
    assert len(names) == s1["queue"] and s2["queue"] == 0  # all of boot 1's queue, once
    start = cs.sent("StartTransaction")[0]
    stop = cs.sent("StopTransaction")[0]
    assert stop["reason"] == "EVDisconnected"
    assert stop["meterStop"] - start["meterStart"] == _sessions(trace1)[0]["energy_wh"] > 0


def test_power_cut_mid_transaction_ends_it_as_power_loss():
    """On MicroPython: the start was on flash before the contactor closed; the meter values taken while
    energised were in RAM only (flash waits for the contactor to open) and are lost with the power."""
    cs, trace1, s1, s2 = _rebooting("micropython", cut=True)
    assert cs.rejected == []
    got = [(a, p.get("reason")) for a, p in _tx_messages(cs)]
    assert got == [("StartTransaction", None), ("StopTransaction", "PowerLoss")], got


@pytest.mark.parametrize("engine", ENGINES)
def test_every_callerror_case_and_the_configuration_keys(engine):
    async def main():
        cs = Central()
        await cs.start()
        cp = await ChargePointUnderTest(engine, url=cs.url(), password=cs.password, end_ms=1000000).start()
        await cs.connected()
        peer = cs.peer
        out = {}
        frames = {
            "unknown": '[2, "e1", "FlyToTheMoon", {}]',
            "unsupported": '[2, "e2", "ReserveNow", {"connectorId": 1, "expiryDate": "2026-12-01T12:00:00Z", '
                           '"idTag": "T", "reservationId": 1}]',
            "extra_field": '[2, "e3", "Reset", {"type": "Soft", "when": "now"}]',
            "missing": '[2, "e4", "Reset", {}]',
            "bad_enum": '[2, "e5", "Reset", {"type": "Gentle"}]',
            "wrong_type": '[2, "e6", "ChangeAvailability", {"connectorId": "1", "type": "Operative"}]',
            "out_of_range": '[2, "e7", "ChangeAvailability", {"connectorId": -1, "type": "Operative"}]',
            "too_long": '[2, "e8", "RemoteStartTransaction", {"idTag": "' + "x" * 21 + '"}]',
            "negative_limit": '[2, "e9", "SetChargingProfile", {"connectorId": 0, "csChargingProfiles": '
                              '{"chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": '
                              '"ChargePointMaxProfile", "chargingProfileKind": "Absolute", "chargingSchedule": '
                              '{"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": -3}]}}}]',
            "bad_date": '[2, "e10", "SetChargingProfile", {"connectorId": 0, "csChargingProfiles": '
                        '{"chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": '
                        '"ChargePointMaxProfile", "chargingProfileKind": "Absolute", "validTo": "soon", '
                        '"chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": '
                        '[{"startPeriod": 0, "limit": 6}]}}}]',
            "not_an_object": '[2, "e11", "Reset", ["Soft"]]',
        }
        for k in sorted(frames):
            uid = json.loads(frames[k])[1]
            out[k] = await peer.raw(frames[k], uid)
        keys = await peer.call(call.GetConfiguration(), suppress=False)  # its answer checked by the schema
        some = await peer.call(call.GetConfiguration(key=["HeartbeatInterval", "NoSuchKey"]), suppress=False)
        changes = {}
        for k, v in (("NumberOfConnectors", "2"), ("SupportedFeatureProfiles", "Core"), ("NoSuchKey", "1"),
                     ("HeartbeatInterval", "x"), ("HeartbeatInterval", "120"), ("MeterValuesSampledData", "Voltage"),
                     ("StopTransactionOnEVSideDisconnect", "false")):
            r = await peer.call(call.ChangeConfiguration(key=k, value=v), suppress=False)
            changes[k + "=" + v] = r.status
        after = await peer.call(call.GetConfiguration(key=["HeartbeatInterval"]), suppress=False)
        r = await peer.call(call.DataTransfer(vendor_id="acme", message_id="x", data="y"), suppress=False)
        dt = r.status
        r = await peer.call(call.TriggerMessage(requested_message="Heartbeat"), suppress=False)
        trig = r.status
        await cs.wait(lambda: cs.sent("Heartbeat"), what="a triggered heartbeat")
        for c in (call.ClearCache(), call.UnlockConnector(connector_id=1), call.Reset(type="Hard")):
            r = await peer.call(c, suppress=False)
            changes[type(c).__name__] = r.status
        cp.args["end_ms"] = 0
        if cp.rig is not None:
            cp.rig.link.stop()
        else:
            cp.proc.terminate()
        await asyncio.sleep(0.2)
        await cs.stop()
        return cs, out, keys, some, changes, after, dt, trig

    box = []

    async def wrap():
        box.append(await main())

    _run(wrap())
    cs, out, keys, some, changes, after, dt, trig = box[0]
    codes = {k: (v[2] if v[0] == 4 else v) for k, v in out.items()}
    assert codes == {"unknown": "NotImplemented", "unsupported": "NotSupported", "extra_field": "FormationViolation",
                     "missing": "ProtocolError", "bad_enum": "PropertyConstraintViolation",
                     "wrong_type": "TypeConstraintViolation", "out_of_range": "TypeConstraintViolation",
                     "too_long": "TypeConstraintViolation", "negative_limit": "TypeConstraintViolation",
                     "bad_date": "PropertyConstraintViolation", "not_an_object": "FormationViolation"}, codes
    names = [k["key"] for k in keys.configuration_key]
    assert len(names) >= 30 and "HeartbeatInterval" in names and "ChargeProfileMaxStackLevel" in names
    ro = {k["key"]: k["readonly"] for k in keys.configuration_key}
    assert ro["NumberOfConnectors"] and ro["SupportedFeatureProfiles"] and not ro["HeartbeatInterval"]
    assert some.unknown_key == ["NoSuchKey"]
    assert changes == {"NumberOfConnectors=2": "Rejected", "SupportedFeatureProfiles=Core": "Rejected",
                       "NoSuchKey=1": "NotSupported", "HeartbeatInterval=x": "Rejected",
                       "HeartbeatInterval=120": "Accepted", "MeterValuesSampledData=Voltage": "Rejected",
                       "StopTransactionOnEVSideDisconnect=false": "Accepted", "ClearCache": "Accepted",
                       "UnlockConnector": "NotSupported", "Reset": "Accepted"}, changes
    assert after.configuration_key == [{"key": "HeartbeatInterval", "readonly": False, "value": "120"}]
    assert dt == "UnknownVendorId" and trig == "Accepted"
    assert cs.rejected == []


def test_wrong_password_is_refused_and_retried_with_backoff():
    async def main():
        cs = Central()
        await cs.start()
        rig = Rig(cs.url(), "evse1", "wrong-password", SPEED, None, (), 40000)
        t = asyncio.create_task(rig.main())
        await asyncio.wait_for(t, 30)
        await cs.stop()
        return cs, rig

    box = []

    async def wrap():
        box.append(await main())

    _run(wrap())
    cs, rig = box[0]
    assert rig.link.connects == 0 and "401" in rig.link.last_error and cs.log == []
    assert rig.cmds.snapshot() and rig.run.ch.config.runtime_ma == 0  # OCPP on, nobody authorised: no offer


def _pki(folder):
    """A throwaway CA, a server certificate for localhost signed by it, and an unrelated CA (openssl)."""
    def ossl(*args):
        subprocess.run(("openssl",) + args, cwd=folder, check=True, capture_output=True)

    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
         "-subj", "/CN=test CA")
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.pem", "-days", "2",
         "-subj", "/CN=other CA")
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=localhost")
    with open(os.path.join(folder, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n")
    ossl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.pem",
         "-days", "2", "-extfile", "ext.cnf")


@pytest.mark.parametrize("engine", ENGINES)
def test_wss_checks_the_server_certificate(engine, tmp_path):
    """wss:// with the CA that signed the central system's certificate connects; with another CA, or a
    name the certificate does not carry, it never does (nothing reaches the central system)."""
    import ssl

    folder = str(tmp_path)
    _pki(folder)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(folder, "srv.pem"), os.path.join(folder, "srv.key"))

    async def main():
        out = []
        for ca, host in (("ca.pem", "localhost"), ("other.pem", "localhost"), ("ca.pem", "127.0.0.1")):
            cs = Central(ssl=ctx)
            await cs.start()
            url = cs.url().replace("localhost", host)
            cp = await ChargePointUnderTest(engine, url=url, password=cs.password, end_ms=20000,
                                            ca=os.path.join(folder, ca)).start()
            trace, summary = await cp.finish()
            await cs.stop()
            out.append((len(cs.sent("BootNotification")), summary))
        return out

    box = []

    async def wrap():
        box.append(await main())

    _run(wrap())
    good, other_ca, wrong_name = box[0]
    assert good[0] == 1 and good[1]["connects"] == 1, good
    assert other_ca[0] == 0 and other_ca[1]["connects"] == 0, other_ca
    assert wrong_name[0] == 0 and wrong_name[1]["connects"] == 0, wrong_name


@pytest.mark.parametrize("engine", ENGINES)
def test_whole_transaction_against_ocpp_rpc_strict(engine):
    """The same transaction against npm ocpp-rpc in strict mode (a second, independent implementation that
    also checks formats, date-times included): nothing fails its validation either way."""
    port = _free_port()
    pw = "secret-pass-1234"

    async def main():
        node = await asyncio.create_subprocess_exec("node", "host_tests/csms_ocpp_rpc.js", str(port), pw, cwd=ROOT,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        first = await asyncio.wait_for(node.stdout.readline(), 20)
        assert b"listening" in first, first
        cp = await ChargePointUnderTest(engine, url="ws://127.0.0.1:%d/ocpp" % port, password=pw,
                                        plan=[[3000, "plug"], [70000, "unplug"]], end_ms=75000).start()
        out, err = await asyncio.wait_for(node.communicate(), 90)
        trace, summary = await cp.finish()
        return [json.loads(x) for x in out.decode().splitlines() if x.startswith("{")], err, trace, summary

    box = []

    async def wrap():
        box.append(await main())

    _run(wrap())
    lines, err, trace, summary = box[0]
    assert {"end": True} in lines, (lines[-5:], err.decode()[-2000:])
    assert [x for x in lines if "invalid" in x or "failed" in x] == []
    got = [(x["got"], x["params"]) for x in lines if "got" in x]
    start = [p for m, p in got if m == "StartTransaction"][0]
    stop = [p for m, p in got if m == "StopTransaction"][0]
    assert stop["reason"] == "Remote" and stop["transactionId"] == 2001
    assert stop["meterStop"] - start["meterStart"] == _sessions(trace)[0]["energy_wh"] > 0
    results = {x["called"]: x["result"] for x in lines if "called" in x}
    assert results["SetChargingProfile"] == {"status": "Accepted"}
    assert results["GetCompositeSchedule"]["chargingSchedule"]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 10}]
    assert len(results["GetConfiguration"]["configurationKey"]) >= 30
