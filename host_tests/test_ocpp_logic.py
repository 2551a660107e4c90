# OCPP charge point, pure logic: framing and error codes, ISO times, configuration keys, profile stacking,
# the transaction queue, and the charge point's flows against a scripted central system in virtual time.
# Plain asserts: also runs under MicroPython (tools/mptest.py) and the webassembly port.
import json

from ocpp16 import config as C
from ocpp16 import rpc, smart
from ocpp16.clock import Clock, fmt_iso, parse_iso
from ocpp16.cp import ChargePoint
from ocpp16.jsonw import Dec, dumps
from ocpp16.txq import MAX_ENTRIES, MAX_METER, TxQueue
from host_tests.fakes import remove, tmp_path
from host_tests.ocpp_fake import Csms, FakeCommands

T0 = parse_iso("2026-12-01T12:00:00Z")


# ---- time, JSON, framing

def test_iso_times_round_trip_and_bad_ones_are_refused():
    assert fmt_iso(0) == "1970-01-01T00:00:00Z"
    assert fmt_iso(951782400) == "2000-02-29T00:00:00Z"
    for t in ("2026-12-01T12:00:00Z", "2024-02-29T23:59:59Z", "2100-03-01T00:00:00Z"):
        assert fmt_iso(parse_iso(t)) == t
    assert parse_iso("2026-12-01T12:00:00.123Z") == T0
    assert parse_iso("2026-12-01T13:30:00+01:30") == T0
    assert parse_iso("2026-12-01T10:00:00-02:00") == T0
    for bad in ("", "2026-12-01", "2026-12-01T12:00:00", "2026-13-01T12:00:00Z", "2026-12-01T12:00:00X",
                "x026-12-01T12:00:00Z", 12, None, "2026-12-01T12:00:00.Z"):
        assert parse_iso(bad) is None, bad
    c = Clock()
    assert c.now(5000) is None
    c.set(T0, 5000)
    assert c.now(65000) == T0 + 60


def test_json_is_sorted_and_decimals_come_from_tenths():
    assert dumps({"b": [1, Dec(165), None], "a": True}) == '{"a":true,"b":[1,16.5,null]}'
    assert dumps(Dec(5)) == "0.5" and dumps(Dec(-5)) == "-0.5"
    assert dumps("\u00e9") == '"\\u00e9"'


def test_frames_that_are_not_frames_get_formation_violation():
    for bad in ("nonsense", "{}", "[2]", '[2, 5, "Reset", {}]', '[2, "", "Reset", {}]', '[9, "a", {}]',
                '[2, "' + "x" * 37 + '", "Reset", {}]', '[2, "a", 7, {}]', "[" * 5000):
        kind, uid, _, _, err, _ = rpc.parse(bad)
        assert kind is None and err == rpc.FORMATION, bad
    kind, uid, action, payload, err, _ = rpc.parse('[2, "a1", "Reset", []]')
    assert (kind, uid, action, err) == (rpc.CALL, "a1", "Reset", rpc.FORMATION)
    assert rpc.parse('[2, "a1", "Reset", {"type": "Soft"}]')[3] == {"type": "Soft"}
    assert rpc.parse('[3, "a1", {}]')[:2] == (rpc.RESULT, "a1")
    assert rpc.parse('[4, "a1", "GenericError", "x", {}]')[:2] == (rpc.ERROR, "a1")


def test_payload_checks_name_the_spec_error_codes():
    shape = {"n": ("i", True, (0, 10)), "s": ("s", False, 3), "e": ("e", False, ("A", "B")),
             "t": ("t", False, None), "o": ("o", False, {"x": ("b", True, None)}),
             "a": ("a", False, ("i", (0, 5), 1, 2))}
    assert rpc.check({"n": 1}, shape) is None
    cases = (({"n": 1, "zz": 1}, rpc.FORMATION), ({}, rpc.PROTOCOL), ({"n": "1"}, rpc.TYPE),
             ({"n": True}, rpc.TYPE), ({"n": 11}, rpc.TYPE), ({"n": -1}, rpc.TYPE), ({"n": 1, "s": "abcd"}, rpc.TYPE),
             ({"n": 1, "e": "C"}, rpc.PROPERTY), ({"n": 1, "e": 1}, rpc.TYPE),
             ({"n": 1, "t": "yesterday"}, rpc.PROPERTY), ({"n": 1, "o": {}}, rpc.PROTOCOL),
             ({"n": 1, "o": {"x": 1}}, rpc.TYPE), ({"n": 1, "a": []}, rpc.OCCURENCE),
             ({"n": 1, "a": [1, 2, 3]}, rpc.OCCURENCE), ({"n": 1, "a": [9]}, rpc.TYPE), ({"n": 1, "a": 3}, rpc.TYPE))
    for p, code in cases:
        got = rpc.check(p, shape)
        assert got is not None and got[0] == code, (p, got)


# ---- configuration keys

def test_configuration_keys_have_their_access_rights_and_ranges():
    c = C.Config()
    known, unknown = c.get([])
    names = [k["key"] for k in known]
    assert len(names) == len(C.KEYS) and not unknown
    for must in ("HeartbeatInterval", "MeterValueSampleInterval", "ClockAlignedDataInterval", "NumberOfConnectors",
                 "TransactionMessageAttempts", "TransactionMessageRetryInterval", "AuthorizeRemoteTxRequests",
                 "SupportedFeatureProfiles", "ChargeProfileMaxStackLevel", "MeterValuesSampledData"):
        assert must in names, must
    assert c.change("NumberOfConnectors", "2") == "Rejected"  # read-only
    assert c.change("SupportedFeatureProfiles", "Core") == "Rejected"
    assert c.change("NoSuchKey", "1") == "NotSupported"
    assert c.change("HeartbeatInterval", "abc") == "Rejected"
    assert c.change("HeartbeatInterval", "-5") == "Rejected"
    assert c.change("HeartbeatInterval", "90") == "Accepted" and c["HeartbeatInterval"] == 90
    assert c.change("AuthorizeRemoteTxRequests", "maybe") == "Rejected"
    assert c.change("AuthorizeRemoteTxRequests", "false") == "Accepted" and c["AuthorizeRemoteTxRequests"] is False
    assert c.change("MeterValuesSampledData", "Voltage") == "Rejected"
    assert c.change("MeterValuesSampledData", "Power.Active.Import,Energy.Active.Import.Register") == "Accepted"
    assert c.measurands("MeterValuesSampledData") == ["Power.Active.Import", "Energy.Active.Import.Register"]
    known, unknown = c.get(["HeartbeatInterval", "Nope"])
    assert known == [{"key": "HeartbeatInterval", "readonly": False, "value": "90"}] and unknown == ["Nope"]
    d = C.Config()
    d.load(json.loads(dumps(c.stored())))
    assert d["HeartbeatInterval"] == 90 and d["AuthorizeRemoteTxRequests"] is False


# ---- charging profiles

def _prof(pid, purpose, stack, periods, kind="Absolute", start=None, duration=None, unit="A", **kw):
    s = {"chargingRateUnit": unit, "chargingSchedulePeriod": [{"startPeriod": a, "limit": b} for a, b in periods]}
    if start is not None:
        s["startSchedule"] = fmt_iso(start)
    if duration is not None:
        s["duration"] = duration
    p = {"chargingProfileId": pid, "stackLevel": stack, "chargingProfilePurpose": purpose,
         "chargingProfileKind": kind, "chargingSchedule": s}
    for k in kw:
        p[k] = kw[k]
    return p


class _Tx:
    def __init__(self, start_ms, start_unix, tx_id=7):
        self.start_ms = start_ms
        self.start_unix = start_unix
        self.tx_id = tx_id


def test_profile_stacking_follows_the_spec():
    ps = smart.Profiles()
    tx = _Tx(0, T0)
    ps.add(smart.Profile(0, _prof(1, smart.TX_DEFAULT, 0, [(0, 20)], start=T0), 1))
    assert ps.limit(0, T0, tx) == 200
    ps.add(smart.Profile(0, _prof(2, smart.TX_DEFAULT, 1, [(0, 16)], start=T0, duration=600), 1))
    assert ps.limit(0, T0, tx) == 160  # the higher stack level wins ...
    assert ps.limit(700000, T0 + 700, tx) == 200  # ... while it has a period; then the lower one again
    ps.add(smart.Profile(1, _prof(3, smart.TX_DEFAULT, 0, [(0, 18)], start=T0), 1))
    assert ps.limit(700000, T0 + 700, tx) == 180  # a connector's TxDefaultProfile before connector 0's
    ps.add(smart.Profile(1, _prof(4, smart.TX, 0, [(0, 25), (60, 10)], kind="Relative", transactionId=7), 1))
    assert ps.limit(30000, T0 + 30, tx) == 250  # a TxProfile replaces the TxDefaultProfile (even above it)
    assert ps.limit(61000, T0 + 61, tx) == 100  # relative to the transaction's start
    assert ps.limit(30000, T0 + 30, _Tx(0, T0, tx_id=8)) == 180  # another transaction's TxProfile: ignored
    ps.add(smart.Profile(0, _prof(5, smart.CP_MAX, 0, [(0, 13)], start=T0), 1))
    assert ps.limit(30000, T0 + 30, tx) == 130  # the ChargePointMaxProfile caps it all
    ps.end_tx()
    assert [p.id for p in ps.items] == [1, 2, 3, 5]
    assert ps.clear(pid=5) == 1 and ps.clear(purpose=smart.TX_DEFAULT, connector=0) == 2 and len(ps.items) == 1
    ps.add(smart.Profile(1, _prof(9, smart.TX_DEFAULT, 0, [(0, 11)], start=T0), 1))  # same connector/purpose/stack
    assert [p.id for p in ps.items] == [9]


def test_recurring_watts_and_unknown_time():
    # daily: 6 A from midnight, 32 A from 06:00; T0 is 12:00
    midnight = T0 - 12 * 3600
    p = smart.Profile(0, _prof(1, smart.CP_MAX, 0, [(0, 6), (6 * 3600, 32)], kind="Recurring",
                               start=midnight - 7 * 86400, recurrencyKind="Daily"), 1)
    assert p.limit(0, T0, None) == 320
    assert p.limit(0, midnight + 86400 + 3600, None) == 60
    assert p.limit(0, None, None) == 60  # time unknown: the lowest limit applies (the safe side)
    w = smart.Profile(0, _prof(2, smart.TX_DEFAULT, 0, [(0, 7360)], start=T0, unit="W"), 1)
    assert w.periods == [(0, 320)]  # 7360 W / 230 V / 1 phase = 32.0 A
    rel = smart.Profile(1, _prof(3, smart.TX_DEFAULT, 0, [(0, 10)], kind="Relative"), 1)
    assert rel.limit(0, None, None) is None and rel.limit(5000, None, _Tx(0, None)) == 100
    assert smart.Profile(0, _prof(4, smart.CP_MAX, 0, [(10, 6)], start=T0), 1).problem(8, 24) is not None
    assert smart.Profile(1, _prof(4, smart.CP_MAX, 0, [(0, 6)], start=T0), 1).problem(8, 24) is not None
    assert smart.Profile(0, _prof(4, smart.TX_DEFAULT, 9, [(0, 6)], start=T0), 1).problem(8, 24) is not None
    assert smart.Profile(0, _prof(4, smart.TX_DEFAULT, 0, [(0, 6), (0, 7)], start=T0), 1).problem(8, 24) is not None


def test_composite_schedule_merges_the_stack():
    ps = smart.Profiles()
    ps.add(smart.Profile(0, _prof(1, smart.CP_MAX, 0, [(0, 20), (600, 10)], start=T0), 1))
    ps.add(smart.Profile(0, _prof(2, smart.TX_DEFAULT, 0, [(0, 16), (300, 25)], start=T0, duration=900), 1))
    got = ps.composite(0, T0, None, 1200, 320)
    assert got == [(0, 160), (300, 200), (600, 100)], got
    assert ps.composite(0, T0, None, 1200, 80) == [(0, 80)]  # never above the installation's limit


# ---- the transaction queue

def test_full_queue_drops_meter_values_before_transactions_and_survives_a_reboot():
    path = tmp_path("ocpp_q")
    remove(path)
    q = TxQueue(path)
    r = q.new_ref()
    q.add("StartTransaction", {"idTag": "a", "connectorId": 1, "meterStart": 0}, r, T0, 1, 0)
    for i in range(MAX_ENTRIES + 10):
        q.add("MeterValues", {"connectorId": 1, "sv": [{"value": str(i)}]}, r, T0 + i, 1, i)
    assert len(q) == 1 + MAX_METER and q.head()[1] == "StartTransaction"
    assert q.q[1][2]["sv"][0]["value"] == str(MAX_ENTRIES + 10 - MAX_METER)  # the oldest went
    q.add("StopTransaction", {"idTag": "a", "meterStop": 5, "reason": "Local"}, r, T0 + 99, 1, 99)
    assert q.q[-1][1] == "StopTransaction"
    assert q.save()
    q2 = TxQueue(path)
    assert q2.load() == [] and q2.q == q.q and q2.next_ref == q.next_ref
    assert q2.failed(0, 3, 60) is False and q2.next_ms == 60000
    assert q2.failed(0, 3, 60) is False and q2.next_ms == 120000
    assert q2.failed(0, 3, 60) is True and q2.head()[1] == "MeterValues"
    with open(path, "w") as f:
        f.write("{broken")
    q3 = TxQueue(path)
    assert q3.load() != [] or len(q3) == 0
    remove(path)


# ---- the charge point against a scripted central system

def _cp(fc=None, **kw):
    fc = fc or FakeCommands()
    cp = ChargePoint(fc, **kw)
    cs = Csms(cp)
    cp.opened(0)
    return fc, cp, cs


def test_boot_heartbeat_status_and_one_call_at_a_time():
    fc, cp, cs = _cp()
    cs.silent = True
    cs.run(1000)
    assert [a for a, _ in cs.calls] == ["BootNotification"]  # nothing else before it is accepted, and one at a time
    cs.silent = False
    cs.run(31000)  # no answer for 30 s: the call failed, BootNotification again
    assert cp.accepted and cp.clock.known
    sent = cs.sent("StatusNotification")
    assert [(p["connectorId"], p["status"], p["errorCode"]) for p in sent] == [(0, "Available", "NoError"),
                                                                                (1, "Available", "NoError")]
    assert fc.limit() == 0  # no transaction: the charger offers nothing on our account
    n = len(cs.sent("Heartbeat"))
    cs.run(300000)
    assert len(cs.sent("Heartbeat")) == n + 1
    fc.v["faults"] = ["gfci_trip"]
    cs.run(500)
    last = cs.sent("StatusNotification")[-1]
    assert (last["status"], last["errorCode"], last["vendorErrorCode"]) == ("Faulted", "GroundFailure", "gfci_trip")


def test_boot_pending_retries_after_its_interval():
    fc, cp, cs = _cp()
    cs.handlers["BootNotification"] = lambda p: {"status": "Pending", "currentTime": cs.now_iso, "interval": 20}
    cs.run(19000)
    assert len(cs.sent("BootNotification")) == 1 and not cp.accepted
    cs.run(2000)
    assert len(cs.sent("BootNotification")) == 2


def _plug_and_charge(fc, cs, wh=0):
    fc.v["state"] = "B1"
    cs.run(1000)


def test_remote_start_authorize_start_meter_values_profile_remote_stop():
    fc, cp, cs = _cp()
    cs.run(1000)
    ans = cs.call("RemoteStartTransaction", {"idTag": "TAG1", "connectorId": 1})
    assert ans == [3, {"status": "Accepted"}]
    cs.run(1000)
    assert cs.sent("Authorize") == [{"idTag": "TAG1"}]
    assert fc.limit() == 0  # authorised, but no vehicle yet
    fc.v["state"] = "B1"
    cs.run(1000)
    st = cs.sent("StartTransaction")
    assert st and st[0]["idTag"] == "TAG1" and st[0]["meterStart"] == 1000 and st[0]["connectorId"] == 1
    assert fc.limit() is None  # the hold is lifted: the installation's limits alone apply
    fc.v.update(state="C2", contactor="closed", power_w=7360, current_ma=[32000])
    cs.run(1000)
    assert cs.sent("StatusNotification")[-1]["status"] == "Charging"
    fc.v["total_wh"] = 1500
    cs.run(60000)
    mv = cs.sent("MeterValues")
    assert mv and mv[-1]["transactionId"] == 101
    names = [s["measurand"] for s in mv[-1]["meterValue"][0]["sampledValue"]]
    assert names == ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import"]
    assert mv[-1]["meterValue"][0]["sampledValue"][2] == {"value": "32.0", "context": "Sample.Periodic",
                                                          "measurand": "Current.Import", "unit": "A", "phase": "L1",
                                                          "location": "Outlet"}
    prof = _prof(5, smart.TX, 0, [(0, 10)], kind="Relative", transactionId=101)
    assert cs.call("SetChargingProfile", {"connectorId": 1, "csChargingProfiles": prof}) == [3, {"status": "Accepted"}]
    assert fc.limit() == 10000
    comp = cs.call("GetCompositeSchedule", {"connectorId": 1, "duration": 600})
    assert comp[1]["status"] == "Accepted" and comp[1]["chargingSchedule"]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 10}]  # (json.loads reads 10.0 back as 10.0 == 10)
    assert cs.call("RemoteStopTransaction", {"transactionId": 999}) == [3, {"status": "Rejected"}]
    assert cs.call("RemoteStopTransaction", {"transactionId": 101}) == [3, {"status": "Accepted"}]
    assert fc.limit() == 0
    cs.run(1000)
    assert not cs.sent("StopTransaction")  # waits for the contactor to open, to read the meter then
    fc.v.update(state="B1", contactor="open", power_w=0, total_wh=1620, session_wh=620)
    cs.run(3000)  # the meter's next poll after the contactor opened, then the stop
    stop = cs.sent("StopTransaction")
    assert len(stop) == 1 and stop[0]["meterStop"] == 1620 and stop[0]["reason"] == "Remote"
    assert stop[0]["transactionId"] == 101
    assert [s["sampledValue"][0]["value"] for s in stop[0]["transactionData"]] == ["1000", "1620"]
    assert cs.sent("StatusNotification")[-1]["status"] == "Finishing"
    assert not cp.profiles.items  # the TxProfile ended with its transaction
    fc.v["state"] = "A"
    cs.run(1000)
    assert cs.sent("StatusNotification")[-1]["status"] == "Available" and len(cp.q) == 0


def test_remote_start_is_refused_when_it_cannot_be_carried_out():
    fc, cp, cs = _cp()
    cs.run(1000)
    assert cs.call("RemoteStartTransaction", {"idTag": "T", "connectorId": 2})[1]["status"] == "Rejected"
    bad = _prof(1, smart.TX_DEFAULT, 0, [(0, 10)])
    assert cs.call("RemoteStartTransaction", {"idTag": "T", "chargingProfile": bad})[1]["status"] == "Rejected"
    cs.handlers["Authorize"] = lambda p: {"idTagInfo": {"status": "Blocked"}}
    assert cs.call("RemoteStartTransaction", {"idTag": "T"})[1]["status"] == "Accepted"
    fc.v["state"] = "B1"
    cs.run(2000)
    assert not cs.sent("StartTransaction") and fc.limit() == 0  # the idTag was blocked
    fc.v["faults"] = ["relay_welded"]
    cs.run(500)
    assert cs.call("RemoteStartTransaction", {"idTag": "T"})[1]["status"] == "Rejected"


def test_free_vend_starts_at_plug_in_and_stops_at_unplug():
    fc, cp, cs = _cp(free_vend=True)
    cs.run(1000)
    fc.v["state"] = "B1"
    cs.run(1000)
    assert cs.sent("StartTransaction")[0]["idTag"] == "freevend" and fc.limit() is None
    fc.v.update(state="A", total_wh=1200)
    cs.run(3000)
    stop = cs.sent("StopTransaction")
    assert stop[0]["reason"] == "EVDisconnected" and stop[0]["meterStop"] == 1200
    fc.v["state"] = "B1"
    cs.run(1000)
    assert len(cs.sent("StartTransaction")) == 2  # a new plug-in, a new transaction


def test_offline_transaction_is_queued_and_delivered_in_order_once():
    fc, cp, cs = _cp(free_vend=True)
    cs.run(1000)
    cp.closed(cs.t)  # the central system goes away
    fc.v["state"] = "B1"
    cs.run(1000)
    assert fc.limit() is None  # offline, the start is on flash: charging may begin
    fc.v.update(state="C2", contactor="closed")
    cs.run(130000)
    fc.v.update(state="A", contactor="open", total_wh=2000)
    cs.run(3000)
    assert len(cp.q) == 4  # start, 2 meter values, stop
    cp.opened(cs.t)
    cs.run(5000)
    order = [a for a, _ in cs.calls if a in ("StartTransaction", "MeterValues", "StopTransaction")]
    assert order == ["StartTransaction", "MeterValues", "MeterValues", "StopTransaction"], order
    assert cs.sent("StopTransaction")[0]["transactionId"] == 101 and len(cp.q) == 0


def test_transaction_messages_are_retried_then_dropped():
    fc, cp, cs = _cp(free_vend=True)
    cs.run(1000)
    cs.errors["StartTransaction"] = "InternalError"
    fc.v["state"] = "B1"
    cs.run(11000)
    assert len(cs.sent("StartTransaction")) == 1
    cs.run(60000)
    assert len(cs.sent("StartTransaction")) == 2  # after TransactionMessageRetryInterval
    cs.run(120000)
    assert len(cs.sent("StartTransaction")) == 3  # then twice that; 3 attempts (TransactionMessageAttempts)
    fc.v["state"] = "A"
    cs.run(300000)
    assert len(cs.sent("StartTransaction")) == 3 and not cs.sent("StopTransaction") and len(cp.q) == 0


def test_reboot_mid_transaction_sends_its_stop_as_power_loss():
    qp = tmp_path("ocpp_q2")
    sp = tmp_path("ocpp_s2")
    remove(qp)
    remove(sp)
    fc, cp, cs = _cp(free_vend=True, queue_path=qp, store_path=sp)
    cs.run(1000)
    assert cs.call("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "30"})[1]["status"] == "Accepted"
    cp.closed(cs.t)
    fc.v["state"] = "B1"
    cs.run(1000)
    fc.v.update(state="C2", contactor="closed")
    cs.run(60000)  # meter values in RAM only: the contactor is closed
    assert len(cp.q) == 3
    # the power goes: a new boot from what is on flash
    fc2 = FakeCommands()
    fc2.v.update(total_wh=1400)
    cp2 = ChargePoint(fc2, boot=2, free_vend=True, queue_path=qp, store_path=sp)
    assert cp2.cfg["MeterValueSampleInterval"] == 30  # configuration kept
    cs2 = Csms(cp2, 0)
    cp2.opened(0)
    cs2.run(3000)
    got = [(a, p.get("reason")) for a, p in cs2.calls if a in ("StartTransaction", "StopTransaction", "MeterValues")]
    assert got == [("StartTransaction", None), ("StopTransaction", "PowerLoss")], got
    assert cs2.sent("StopTransaction")[0]["meterStop"] == 1400  # the lifetime counter as last stored
    remove(qp)
    remove(sp)


def test_every_callerror_case():
    fc, cp, cs = _cp()
    cs.run(1000)
    assert cs.call("FlyToTheMoon", {})[1] == "NotImplemented"
    assert cs.call("ReserveNow", {})[1] == "NotSupported"
    assert cs.call("Reset", {"type": "Soft", "extra": 1})[1] == "FormationViolation"
    assert cs.call("Reset", {})[1] == "ProtocolError"
    assert cs.call("Reset", {"type": "Gentle"})[1] == "PropertyConstraintViolation"
    assert cs.call("Reset", {"type": 1})[1] == "TypeConstraintViolation"
    assert cs.call("ChangeAvailability", {"connectorId": -1, "type": "Operative"})[1] == "TypeConstraintViolation"
    assert cs.call("ChangeConfiguration", {"key": "x" * 51, "value": "1"})[1] == "TypeConstraintViolation"
    big = _prof(1, smart.CP_MAX, 0, [(0, -5)])
    assert cs.call("SetChargingProfile", {"connectorId": 0, "csChargingProfiles": big})[1] == "TypeConstraintViolation"
    assert cs.call("SetChargingProfile", {"connectorId": 0, "csChargingProfiles": {}})[1] == "ProtocolError"
    when = _prof(1, smart.CP_MAX, 0, [(0, 5)])
    when["validFrom"] = "tomorrow"
    assert cs.call("SetChargingProfile", {"connectorId": 0, "csChargingProfiles": when})[1] == \
        "PropertyConstraintViolation"
    out = cs.raw("not json")
    assert out == [[4, "-1", "FormationViolation", "not JSON", {}]]
    out = cs.raw('[2, "u1", "Reset", "soft"]')
    assert out[0][:3] == [4, "u1", "FormationViolation"]
    assert cs.raw('[3, "nobody-asked", {}]') == []  # an answer to nothing: ignored
    assert cp.errors >= 11 and fc.limit() == 0  # counted; the charger untouched


def test_availability_reset_data_transfer_unlock_clear_cache_trigger():
    fc, cp, cs = _cp(free_vend=True)
    cs.run(1000)
    assert cs.call("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})[1]["status"] == "Accepted"
    assert "disable" in fc.ran and not fc.v["enabled"]
    fc.v["state"] = "F"
    cs.run(1000)
    assert cs.sent("StatusNotification")[-1]["status"] == "Unavailable"
    assert cs.call("ChangeAvailability", {"connectorId": 1, "type": "Operative"})[1]["status"] == "Accepted"
    assert fc.v["enabled"]
    assert cs.call("ChangeAvailability", {"connectorId": 3, "type": "Operative"})[1]["status"] == "Rejected"
    fc.v["state"] = "B1"
    cs.run(1000)
    assert cs.call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})[1]["status"] == "Scheduled"
    assert cs.call("DataTransfer", {"vendorId": "acme"})[1]["status"] == "UnknownVendorId"
    assert cs.call("UnlockConnector", {"connectorId": 1})[1]["status"] == "NotSupported"
    assert cs.call("ClearCache", {})[1]["status"] == "Accepted"
    assert cs.call("TriggerMessage", {"requestedMessage": "MeterValues"})[1]["status"] == "Accepted"
    assert cs.call("TriggerMessage", {"requestedMessage": "Heartbeat"})[1]["status"] == "Accepted"
    assert cs.call("TriggerMessage", {"requestedMessage": "FirmwareStatusNotification"})[1]["status"] == \
        "NotImplemented"
    n = len(cs.sent("StatusNotification"))
    assert cs.call("TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 1})[1]["status"] == \
        "Accepted"
    cs.run(1000)
    assert len(cs.sent("StatusNotification")) == n + 1 and cs.sent("MeterValues")[-1]["meterValue"][0][
        "sampledValue"][0]["context"] == "Trigger"
    assert cs.call("Reset", {"type": "Soft"})[1]["status"] == "Accepted"
    cs.run(3000)
    assert cs.sent("StopTransaction")[-1]["reason"] == "SoftReset" and fc.rebooted == 1
    assert not fc.v["enabled"]  # the Inoperative scheduled for after the transaction


def test_profiles_only_lower_and_a_charge_point_max_profile_caps():
    fc, cp, cs = _cp(free_vend=True)
    cs.run(1000)
    fc.v["state"] = "B1"
    cs.run(1000)
    p = _prof(1, smart.CP_MAX, 0, [(0, 500)], start=T0 - 10)
    assert cs.call("SetChargingProfile", {"connectorId": 0, "csChargingProfiles": p})[1]["status"] == "Accepted"
    assert fc.limit() == 500000  # a limit to the command layer, which only ever lowers the offer with it
    p = _prof(2, smart.CP_MAX, 1, [(0, 8.25)], start=T0 - 10)
    assert cs.call("SetChargingProfile", {"connectorId": 0, "csChargingProfiles": p})[1]["status"] == "Accepted"
    assert fc.limit() == 8300  # tenths of an ampere
    assert cs.call("ClearChargingProfile", {"chargingProfilePurpose": "ChargePointMaxProfile"})[1]["status"] == \
        "Accepted"
    assert fc.limit() is None
    assert cs.call("ClearChargingProfile", {"id": 77})[1]["status"] == "Unknown"
    tx = _prof(3, smart.TX, 0, [(0, 6)], kind="Relative", transactionId=555)
    assert cs.call("SetChargingProfile", {"connectorId": 1, "csChargingProfiles": tx})[1]["status"] == "Rejected"


def test_garbage_from_the_central_system_never_raises():
    fc, cp, cs = _cp()
    cs.run(1000)
    seeds = ['[2,"a","SetChargingProfile",{"connectorId":0,"csChargingProfiles":{"chargingProfileId":1,'
             '"stackLevel":0,"chargingProfilePurpose":"ChargePointMaxProfile","chargingProfileKind":"Recurring",'
             '"chargingSchedule":{"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":1e308}]}}}]',
             '[2,"b","GetCompositeSchedule",{"connectorId":1,"duration":2147483647}]',
             '[3,"x",null]', '[4,"x",1,2,3]', '[2,"c","GetConfiguration",{"key":[1]}]',
             '[2,"d","RemoteStartTransaction",{"idTag":"' + "x" * 21 + '"}]', "[]", "null", '"s"', "1e999"]
    for s in seeds:
        cs.raw(s)
        for cut in range(0, len(s), 7):
            cs.raw(s[:cut])
    cs.run(1000)
    assert fc.limit() == 0 or fc.limit() is None


def test_a_flood_of_triggers_is_bounded():
    fc, cp, cs = _cp()
    cs.run(1000)
    cs.silent = True
    got = [cs.call("TriggerMessage", {"requestedMessage": "Heartbeat"})[1]["status"] for _ in range(50)]
    assert got.count("Accepted") <= 8 and got[-1] == "Rejected" and len(cp._calls) <= 8


def test_the_console_net_line_shows_the_ocpp_connection_and_its_queue():
    """Issue 13: console `net` shows the OCPP connection and the queue length (with or without MQTT)."""
    from evse import iodata
    from evse.commands import Caller, Commands
    from evse.settings import Settings
    from host_tests.fakes import FakeCharger

    st = Settings(path=None)
    st.preset({})
    cmds = Commands(FakeCharger(iodata.Config(), iodata.IO()), st, None, lambda: 0)
    cp = ChargePoint(FakeCommands())
    cmds.ocpp = cp
    r = cmds.run(Caller("console"), ["net"])
    pairs = dict(r.pairs)
    assert r.ok and pairs["ocpp"] == "offline" and pairs["ocpp_queue"] == 0 and pairs["mqtt"] == "none", r.pairs
    assert "ocpp=offline" in r.text and "ocpp_queue=0" in r.text, r.text
