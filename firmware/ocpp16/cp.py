# The OCPP 1.6 charge point: Core, SmartCharging and RemoteTrigger over any transport that carries text
# frames. Pure logic: the transport calls opened()/closed()/received(), and step() every few hundred ms
# (uptime ms that never wrap), then sends what take() gives. Into the charger only through the command
# layer: set_limit("ocpp", mA) for authorisation and charging profiles, enable/disable for availability,
# reboot for Reset. docs/ocpp.md.
from evse import VERSION, store
from evse.commands import Caller

from . import config as C
from . import msgs, rpc, smart, status
from .clock import Clock, fmt_iso, parse_iso
from .jsonw import Dec
from .txq import METER, START, STOP, TxQueue

RESPONSE_MS = 30000  # a CALL unanswered this long has failed (OCPP leaves it to the implementation)
START_WAIT_MS = 10000  # after a StartTransaction, wait this long for its answer before energising
STOP_WAIT_MS = 10000  # the meter is read for StopTransaction once the contactor is open, or after this
METER_SETTLE_MS = 2000  # ... and has been open this long: the meter task's next poll (1 s) has counted the rest
BOOT_RETRY_S = 60  # BootNotification again after this when the central system gives no interval
RESET_WAIT_MS = 2000  # Reset's answer gets this long to leave before the reboot
FREE_VEND_TAG = "freevend"  # the idTag of the transactions ocpp_free_vend starts
STORE_SCHEMA = 1
MAX_CALLS = 8  # CALLs other than the transaction queue's waiting to go (status, triggers, Authorize)


class Tx:
    """The transaction going on on connector 1."""

    def __init__(self, ref, id_tag, meter_start, start_ms, start_unix):
        self.ref = ref  # local number until the central system's transactionId is known
        self.id_tag = id_tag
        self.meter_start = meter_start
        self.start_ms = start_ms
        self.start_unix = start_unix
        self.tx_id = None  # type: int | None
        self.live = False  # the authorisation hold is lifted: the charger may offer current
        self.closed = False  # the contactor closed during it (so the history's session is this one's)
        self.stopping = None  # the stop reason, once stopping
        self.stop_ms = 0
        self.open_ms = -1  # when the contactor was first seen open after the stop
        self.next_sample = 0
        self.profile = None  # RemoteStartTransaction's chargingProfile, installed with the transactionId


class ChargePoint:
    """ChargePoint(cmds, boot=1, free_vend=False, queue_path=None, store_path=None, phases=1, info=None).
    cmds: the firmware's evse.commands.Commands; boot: this boot's number (history.boot); paths: flash files
    for the transaction queue and for the configuration keys, availability and profiles (None: RAM only);
    info: extra BootNotification fields (chargePointSerialNumber ...)."""

    def __init__(self, cmds, boot=1, free_vend=False, queue_path=None, store_path=None, phases=1, info=None):
        self.cmds = cmds
        self.caller = Caller("ocpp", pin=False)  # authenticated by its transport (Basic auth, TLS)
        self.boot = boot
        self.free_vend = free_vend
        self.phases = phases
        self.info = info or {}
        self.cfg = C.Config()
        self.profiles = smart.Profiles()
        self.clock = Clock()
        self.q = TxQueue(queue_path)
        self.store_path = store_path
        self.warnings = []
        self.out = []  # frames for the transport
        self.online = False
        self.accepted = False
        self.registration = None  # the last BootNotification status
        self.tx = None  # type: Tx | None
        self.operative = True  # ChangeAvailability, kept on flash
        self.errors = 0  # malformed frames and failed handlers since boot (never raised)
        self._store_dirty = False
        self._pending = None  # the CALL awaiting its answer: [uid, action, queued, sent ms, payload]
        self._calls = []  # other CALLs waiting to go: [action, payload]
        self._uid = 0
        self._uid_base = _uid_base()
        self._boot_next = 0
        self._last_tx = 0  # last frame sent (Heartbeat only when nothing else went)
        self._auth = None  # [idTag, until ms, authorized, profile]: a remote start waiting
        self._sent = [None, None]  # the (status, errorCode) last queued per connector
        self._avail_later = None  # Inoperative asked for during a transaction: applied after it
        self._reset = None  # [type, ms asked]
        self._limit = -2  # the limit last given to the command layer (-2: none yet; None: withdrawn)
        self._aligned = None  # Unix second of the next clock-aligned reading
        self._finishing = False  # a transaction ended and the vehicle is still plugged in
        self._vended = False  # free vend started a transaction for this plug-in already
        self._v = None  # type: dict | None  # the last snapshot as a dict
        self._lost = None  # the StopTransaction of a transaction the last boot left open
        self._load()

    # ---- flash: the queue and our own store

    def _load(self):
        self.warnings.extend(self.q.load())
        if self.store_path is not None:
            obj, problem = store.load(self.store_path)
            if problem is not None:
                self.warnings.append("ocpp: %s is %s" % (self.store_path, problem))
            if isinstance(obj, dict) and obj.get("schema") == STORE_SCHEMA:
                self.cfg.load(obj.get("config"))
                self.operative = obj.get("operative") is not False
                for e in obj.get("profiles") or []:
                    try:
                        self.profiles.add(smart.Profile(e[0], e[1], self.phases))
                    except Exception:
                        self.warnings.append("ocpp: a stored charging profile was dropped")
        op = self.q.open
        if op is not None:  # the board restarted during a transaction: it ended then (OCPP 1.6 4.10)
            self.q.open = None
            payload = {"idTag": op.get("id_tag", ""), "meterStop": op.get("meter", 0), "reason": "PowerLoss"}
            self.q.add(STOP, payload, op.get("ref", 0), op.get("unix"), op.get("boot", 0), op.get("ms", 0))
            self._lost = payload  # its meterStop: the lifetime counter as the history stored it, at the first step
        self._limit_to(0)
        if not self.operative:
            self.cmds.run(self.caller, ["disable"])

    def _store_text(self):
        profs = [[p.connector, p.raw] for p in self.profiles.items if p.purpose != smart.TX]
        return _dumps({"schema": STORE_SCHEMA, "config": self.cfg.stored(), "operative": self.operative,
                       "profiles": profs})

    def flush(self, v=None):
        """Write what changed to flash, only while the contactor is open. True if all is on flash."""
        v = v or self._v
        if v is None or v["contactor"] != "open":
            return False
        ok = True
        if self.q.dirty:
            ok = self.q.save() and ok
        if self._store_dirty or self.cfg.changed:
            self.cfg.changed = False
            self._store_dirty = False
            if self.store_path is not None:
                try:
                    store.write_atomic(self.store_path, self._store_text() + "\n")
                except OSError:
                    self._store_dirty = True
                    ok = False
        return ok

    # ---- the transport's side

    def opened(self, now):
        self.online = True
        self.accepted = False
        self._pending = None
        self._boot_next = now

    def closed(self, now):
        self.online = False
        self.accepted = False
        self._pending = None  # a queued message in flight stays at the head: sent again
        self._calls = [c for c in self._calls if c[0] == "StatusNotification"]

    def take(self):
        out = self.out
        self.out = []
        return out

    def received(self, text, now):
        """A text frame from the central system. Never raises."""
        try:
            self._received(text, now)
        except Exception:  # a handler's bug must not stop the charger: count it, answer nothing more
            self.errors += 1

    def _received(self, text, now):
        kind, uid, action, payload, err, desc = rpc.parse(text)
        if kind is None or (kind == rpc.CALL and err is not None):
            self.errors += 1
            self.out.append(rpc.error(uid, err, desc))
            return
        if kind == rpc.CALL:
            self.out.append(self._call(uid, action, payload, now))
            return
        p = self._pending
        if p is None or p[0] != uid:
            return  # an answer to nothing outstanding (late, or a duplicate): ignored
        self._pending = None
        if kind == rpc.RESULT:
            self._result(p, payload, now)
        else:
            self._failed(p, now)

    def _call(self, uid, action, payload, now):
        if action in msgs.UNSUPPORTED:
            return rpc.error(uid, rpc.NOT_SUPPORTED, action + " is not supported")
        shape = msgs.REQUESTS.get(action)
        if shape is None:
            return rpc.error(uid, rpc.NOT_IMPLEMENTED, "unknown action")
        bad = rpc.check(payload, shape)
        if bad is not None:
            self.errors += 1
            return rpc.error(uid, bad[0], bad[1])
        try:
            res = getattr(self, "_r_" + action)(payload, now)
        except Exception:
            self.errors += 1
            return rpc.error(uid, rpc.INTERNAL, "internal error")
        return rpc.result(uid, res)

    # ---- the central system's requests (payloads already checked against msgs.REQUESTS)

    def _r_ChangeAvailability(self, p, now):
        c = p["connectorId"]
        if c > 1:
            return {"status": "Rejected"}
        want = p["type"] == "Operative"
        if not want and self.tx is not None:
            self._avail_later = False
            return {"status": "Scheduled"}
        self._avail_later = None
        self._set_operative(want)
        return {"status": "Accepted"}

    def _set_operative(self, on):
        if on != self.operative:
            self.operative = on
            self._store_dirty = True
        self.cmds.run(self.caller, ["enable" if on else "disable"])

    def _r_ChangeConfiguration(self, p, now):
        st = self.cfg.change(p["key"], p["value"])
        if st == C.ACCEPTED and p["key"] == "ClockAlignedDataInterval":
            self._aligned = None
        return {"status": st}

    def _r_GetConfiguration(self, p, now):
        names = p.get("key") or []
        if len(names) > self.cfg["GetConfigurationMaxKeys"]:
            names = names[:self.cfg["GetConfigurationMaxKeys"]]
        known, unknown = self.cfg.get(names)
        out = {"configurationKey": known}
        if unknown:
            out["unknownKey"] = unknown
        return out

    def _r_ClearCache(self, p, now):
        return {"status": "Accepted"}  # no authorisation cache is kept (no local idTag reader)

    def _r_DataTransfer(self, p, now):
        return {"status": "UnknownVendorId"}

    def _r_Reset(self, p, now):
        self._reset = [p["type"], now]
        if self.tx is not None and self.tx.stopping is None:
            self._stop(p["type"] + "Reset", now)
        return {"status": "Accepted"}

    def _r_UnlockConnector(self, p, now):
        return {"status": "NotSupported"}  # the lock follows the session in the core: no unlock command

    def _r_RemoteStartTransaction(self, p, now):
        c = p.get("connectorId", 1)
        v = self._v
        if c != 1 or self.tx is not None or self._auth is not None or not self.operative:
            return {"status": "Rejected"}
        if v is not None and [f for f in v["faults"] if f not in status.ADVISORY]:
            return {"status": "Rejected"}
        prof = None
        if "chargingProfile" in p:
            try:
                prof = smart.Profile(1, p["chargingProfile"], self.phases)
            except Exception:
                return {"status": "Rejected"}
            if prof.purpose != smart.TX or self._problem(prof) is not None:
                return {"status": "Rejected"}
        tag = p["idTag"]
        if self.cfg["AuthorizeRemoteTxRequests"]:
            self._auth = [tag, now + self.cfg["ConnectionTimeOut"] * 1000, False, prof]
            self._calls.append(["Authorize", {"idTag": tag}])
        else:
            self._auth = [tag, now + self.cfg["ConnectionTimeOut"] * 1000, True, prof]
        return {"status": "Accepted"}

    def _r_RemoteStopTransaction(self, p, now):
        tx = self.tx
        if tx is None or tx.tx_id != p["transactionId"] or tx.stopping is not None:
            return {"status": "Rejected"}
        self._stop("Remote", now)
        return {"status": "Accepted"}

    def _problem(self, prof):
        return prof.problem(self.cfg["ChargeProfileMaxStackLevel"], self.cfg["ChargingScheduleMaxPeriods"])

    def _r_SetChargingProfile(self, p, now):
        c = p["connectorId"]
        if c > 1:
            return {"status": "Rejected"}
        try:
            prof = smart.Profile(c, p["csChargingProfiles"], self.phases)
        except Exception:
            return {"status": "Rejected"}
        if self._problem(prof) is not None:
            return {"status": "Rejected"}
        if prof.purpose == smart.TX:
            tx = self.tx
            if tx is None or tx.tx_id is None or (prof.tx_id is not None and prof.tx_id != tx.tx_id):
                return {"status": "Rejected"}  # 3.13.1: a TxProfile only within its transaction
        n = 0
        for q in self.profiles.items:
            if q.id != prof.id:
                n += 1
        if n >= self.cfg["MaxChargingProfilesInstalled"]:
            return {"status": "Rejected"}
        self.profiles.add(prof)
        if prof.purpose != smart.TX:
            self._store_dirty = True
        self._apply(now)
        return {"status": "Accepted"}

    def _r_ClearChargingProfile(self, p, now):
        n = self.profiles.clear(p.get("id"), p.get("connectorId"), p.get("chargingProfilePurpose"),
                                p.get("stackLevel"))
        if n:
            self._store_dirty = True
            self._apply(now)
        return {"status": "Accepted" if n else "Unknown"}

    def _r_GetCompositeSchedule(self, p, now):
        c = p["connectorId"]
        if c > 1:
            return {"status": "Rejected"}
        dur = p["duration"]
        if dur > 604800:
            dur = 604800  # a week: the profiles' longest recurrence
        v = self._v or {}
        default = (v.get("limit_ma") or 32000) // 100
        unix = self.clock.now(now)
        per = self.profiles.composite(now, unix, self.tx, dur, default)
        watts = p.get("chargingRateUnit") == "W"
        periods = []
        for off, lim in per:
            if watts:
                periods.append({"startPeriod": off, "limit": Dec(lim * smart.NOMINAL_V * self.phases)})
            else:
                periods.append({"startPeriod": off, "limit": Dec(lim)})
        sched = {"duration": dur, "chargingRateUnit": "W" if watts else "A", "chargingSchedulePeriod": periods}
        out = {"status": "Accepted", "connectorId": c, "chargingSchedule": sched}
        if unix is not None:
            out["scheduleStart"] = fmt_iso(unix)
            sched["startSchedule"] = fmt_iso(unix)
        return out

    def _r_TriggerMessage(self, p, now):
        what = p["requestedMessage"]
        c = p.get("connectorId")
        if (c is not None and c > 1) or len(self._calls) >= MAX_CALLS:
            return {"status": "Rejected"}  # (a flood of triggers cannot fill the RAM)
        if what == "BootNotification":
            self._calls.append(["BootNotification", self._boot_payload()])
        elif what == "Heartbeat":
            self._calls.append(["Heartbeat", {}])
        elif what == "StatusNotification":
            for k in (0, 1) if c is None else (c,):
                self._sent[k] = None  # queued again by the next step
        elif what == "MeterValues":
            if self._v is None:
                return {"status": "Rejected"}
            sv = status.sample(self._v, self.cfg.measurands("MeterValuesSampledData"), "Trigger")
            if not sv:
                return {"status": "Rejected"}
            mv = {"connectorId": 1, "meterValue": [{"timestamp": self._now_iso(now), "sampledValue": sv}]}
            if self.tx is not None and self.tx.tx_id is not None:
                mv["transactionId"] = self.tx.tx_id
            self._calls.append(["MeterValues", mv])
        else:
            return {"status": "NotImplemented"}  # diagnostics and firmware: Firmware Management is not carried
        return {"status": "Accepted"}

    # ---- answers to our CALLs

    def _result(self, p, payload, now):
        action = p[1]
        try:
            if action == "BootNotification":
                self._boot_conf(payload, now)
            elif action == "Heartbeat":
                self._set_time(payload.get("currentTime"), now)
            elif action == "Authorize":
                self._authorize_conf(payload)
            elif action == START:
                self._start_conf(payload, now)
        except Exception:
            self.errors += 1
            if p[2]:
                self._failed(p, now)
                return
        if p[2]:
            head = self.q.head()
            if head is not None and head[0] == p[4]:
                self.q.done()
                self.q.next_ms = 0

    def _failed(self, p, now):
        """A CALLERROR or no answer: a transaction message is tried again (TransactionMessageAttempts,
        TransactionMessageRetryInterval); any other is dropped."""
        if not p[2]:
            return
        head = self.q.head()
        if head is None or head[0] != p[4]:
            return
        if self.q.failed(now, self.cfg["TransactionMessageAttempts"], self.cfg["TransactionMessageRetryInterval"]):
            if head[1] == START:
                self.q.drop_ref(head[3])  # no transactionId will ever come for its other messages

    def _set_time(self, t, now):
        s = parse_iso(t)
        if s is not None:
            self.clock.set(s, now)

    def _boot_conf(self, payload, now):
        st = payload.get("status")
        self._set_time(payload.get("currentTime"), now)
        iv = payload.get("interval")
        iv = iv if isinstance(iv, int) and iv >= 0 else 0
        self.registration = st
        if st == "Accepted":
            self.accepted = True
            if iv:
                self.cfg.v["HeartbeatInterval"] = iv
            self._sent = [None, None]  # every connector's status after a registration
        else:  # Pending or Rejected: BootNotification again after the interval
            self._boot_next = now + (iv or BOOT_RETRY_S) * 1000

    def _authorize_conf(self, payload):
        a = self._auth
        if a is None:
            return
        info = payload.get("idTagInfo") or {}
        if info.get("status") == "Accepted":
            a[2] = True
        else:
            self._auth = None

    def _start_conf(self, payload, now):
        tid = payload["transactionId"]
        if not isinstance(tid, int):
            raise ValueError
        head = self.q.head()
        if head is None:
            return
        ref = head[3]
        self.q.refs[str(ref)] = tid
        tx = self.tx
        if tx is not None and tx.ref == ref:
            tx.tx_id = tid
            if tx.profile is not None:
                tx.profile.tx_id = tid
                tx.profile.raw["transactionId"] = tid
                self.profiles.add(tx.profile)
                tx.profile = None
            ok = (payload.get("idTagInfo") or {}).get("status") == "Accepted"
            if not ok and not self.free_vend and self.cfg["StopTransactionOnInvalidId"] and tx.stopping is None:
                self._stop("DeAuthorized", now)

    # ---- the transaction

    def _meter(self, v):
        w = v.get("total_wh")
        return w if isinstance(w, int) else 0

    def _start(self, tag, prof, now):
        v = self._v
        unix = self.clock.now(now)
        ref = self.q.new_ref()
        tx = Tx(ref, tag, self._meter(v), now, unix)
        tx.profile = prof
        self.tx = tx
        self._finishing = False
        payload = {"connectorId": 1, "idTag": tag, "meterStart": tx.meter_start}
        self.q.add(START, payload, ref, unix, self.boot, now)
        self.q.open = {"ref": ref, "id_tag": tag, "meter": tx.meter_start, "unix": unix, "boot": self.boot,
                       "ms": now}

    def _stop(self, reason, now):
        tx = self.tx
        if tx is None:
            return
        tx.stopping = reason
        tx.stop_ms = now
        self._apply(now)  # the hold at once: the charger stops offering, the contactor opens within 6 s

    def _finish(self, now):
        """The contactor has opened after a stop: StopTransaction with the meter's figure, queued."""
        tx = self.tx
        v = self._v
        if tx is None or v is None:
            return
        unix = self.clock.now(now)
        # The history's session energy on top of the register at the start: the same figure as the session's
        # (docs/metering.md), also where the session ended a poll before the last energy was counted.
        sw = v.get("session_wh")
        meter = tx.meter_start + sw if isinstance(sw, int) and sw >= 0 and tx.closed else self._meter(v)
        payload = {"idTag": tx.id_tag, "meterStop": meter, "reason": tx.stopping}
        ms = self.cfg.measurands("StopTxnSampledData")
        if "Energy.Active.Import.Register" in ms and v.get("total_wh") is not None:
            payload["_td"] = [[tx.start_unix, self.boot, tx.start_ms, str(tx.meter_start)],
                              [unix, self.boot, now, str(meter)]]
        self.q.add(STOP, payload, tx.ref, unix, self.boot, now)
        self.q.open = None
        self.tx = None
        self._finishing = v["state"] != "A"
        self.profiles.end_tx()
        if self._avail_later is not None:
            self._set_operative(self._avail_later)
            self._avail_later = None

    def _sample(self, v, measurands, context, now):
        sv = status.sample(v, measurands, context)
        if not sv:
            return
        tx = self.tx
        if tx is not None:
            self.q.add(METER, {"connectorId": 1, "sv": sv}, tx.ref, self.clock.now(now), self.boot, now)
        elif self.accepted and len(self._calls) < MAX_CALLS:
            self._calls.append(["MeterValues", {"connectorId": 1, "meterValue": [
                {"timestamp": self._now_iso(now), "sampledValue": sv}]}])

    # ---- the periodic step

    def step(self, now):
        """Timers, the transaction, the limit, status notifications, the next CALL. Never raises."""
        try:
            v = self._v = _as_dict(self.cmds.snapshot())
            self._step(v, now)
        except Exception:
            self.errors += 1
            self._limit_to(0)  # whatever went wrong, no current on our account until the next good step

    def _step(self, v, now):
        if self._lost is not None:
            w = v.get("total_wh")
            if isinstance(w, int) and w > self._lost["meterStop"]:
                self._lost["meterStop"] = w
            self._lost = None
        tx = self.tx
        st = v["state"]
        plugged = st != "A"
        if not plugged:
            self._finishing = False
            self._vended = False
        a = self._auth
        if a is not None and now >= a[1]:
            self._auth = a = None  # ConnectionTimeOut: no vehicle came (or no answer to Authorize)
        serious = [f for f in v["faults"] if f not in status.ADVISORY]
        if tx is None and plugged and self.operative and not serious and st not in ("E", "F"):
            if a is not None and a[2]:
                self._auth = None
                self._start(a[0], a[3], now)
            elif self.free_vend and not self._vended and not self._finishing:
                self._vended = True
                self._start(FREE_VEND_TAG, None, now)
        tx = self.tx
        if tx is not None:
            if tx.stopping is None:
                if not plugged and self.cfg["StopTransactionOnEVSideDisconnect"]:
                    self._stop("EVDisconnected", now)
                elif not tx.live and not self.q.dirty and (tx.tx_id is not None or not self.accepted
                                                           or now - tx.start_ms >= START_WAIT_MS):
                    tx.live = True  # the start is on flash (and answered, where the system is there)
                    tx.next_sample = now + self.cfg["MeterValueSampleInterval"] * 1000
            if tx.stopping is not None:
                if v["contactor"] == "open" and tx.open_ms < 0:
                    tx.open_ms = now
                if (tx.open_ms >= 0 and now - tx.open_ms >= METER_SETTLE_MS) or now - tx.stop_ms >= STOP_WAIT_MS:
                    self._finish(now)
            elif tx.live:
                if v["contactor"] == "closed":
                    tx.closed = True  # a session of the history began within this transaction
                iv = self.cfg["MeterValueSampleInterval"]
                if iv and now >= tx.next_sample:
                    self._sample(v, self.cfg.measurands("MeterValuesSampledData"), "Sample.Periodic", now)
                    tx.next_sample = now + iv * 1000
        self._aligned_step(v, now)
        self._apply(now)
        self._status_step(v, now)
        self.flush(v)
        self._send_step(now)
        r = self._reset
        if r is not None and self.tx is None and not self.q.dirty and now - r[1] >= RESET_WAIT_MS:
            self._reset = None
            res = self.cmds.run(self.caller, ["reboot"])
            if res.after is not None:
                res.after()

    def _aligned_step(self, v, now):
        iv = self.cfg["ClockAlignedDataInterval"]
        unix = self.clock.now(now)
        if not iv or unix is None:
            self._aligned = None
            return
        if self._aligned is None:
            self._aligned = (unix // iv + 1) * iv
        if unix >= self._aligned:
            self._aligned = (unix // iv + 1) * iv
            self._sample(v, self.cfg.measurands("MeterValuesAlignedData"), "Sample.Clock", now)

    def _apply(self, now):
        """The limit through the command layer: 0 (not offering) without a live transaction, else the
        charging profiles' limit, if any. It can only lower the offer (the core's min() path, 5 s rule)."""
        tx = self.tx
        if tx is None or not tx.live or tx.stopping is not None:
            self._limit_to(0)
            return
        lim = self.profiles.limit(now, self.clock.now(now), tx)
        self._limit_to(None if lim is None else lim * 100)

    def _limit_to(self, ma):
        if ma is not None and ma < 0:
            ma = 0
        if ma != self._limit:
            self._limit = ma
            self.cmds.set_limit("ocpp", ma)

    def _status_step(self, v, now):
        err, vendor, info = status.error_of(v["faults"])
        s1 = status.connector_status(v, self.tx, self.operative, self._finishing)
        s0 = "Unavailable" if not self.operative else "Available"
        for k, s, e in ((0, s0, "NoError"), (1, s1, err)):
            if self._sent[k] != (s, e):
                self._sent[k] = (s, e)
                p = {"connectorId": k, "status": s, "errorCode": e}
                if self.clock.known:
                    p["timestamp"] = self._now_iso(now)
                if k == 1 and vendor is not None:
                    p["vendorErrorCode"] = vendor
                    if info:
                        p["info"] = info
                self._calls = [c for c in self._calls
                               if not (c[0] == "StatusNotification" and c[1]["connectorId"] == k)]
                self._calls.append(["StatusNotification", p])

    def _now_iso(self, now):
        unix = self.clock.now(now)
        return fmt_iso(unix if unix is not None else 0)

    def _boot_payload(self):
        p = {"chargePointVendor": "open-evse-mp", "chargePointModel": "evse-mp",
             "firmwareVersion": VERSION}
        for k in self.info:
            p[k] = self.info[k]
        return p

    def _send_step(self, now):
        p = self._pending
        if p is not None:
            if now - p[3] >= RESPONSE_MS:
                self._pending = None
                self._failed(p, now)
            else:
                return  # one CALL at a time (OCPP-J 1.6 4.1.1)
        if not self.online:
            return
        if not self.accepted:
            if now >= self._boot_next:
                self._boot_next = now + RESPONSE_MS + 1000
                self._send("BootNotification", self._boot_payload(), False, now)
            return
        if self._calls:
            c = self._calls.pop(0)
            self._send(c[0], c[1], False, now)
            return
        e = self.q.head()
        if e is not None and now >= self.q.next_ms:
            payload = self._fill(e, now)
            if payload is None:
                self.q.drop_ref(e[3])
                return
            self._send(e[1], payload, True, now, e[0])
            return
        hb = self.cfg["HeartbeatInterval"]
        if hb and now - self._last_tx >= hb * 1000:
            self._send("Heartbeat", {}, False, now)

    def _send(self, action, payload, queued, now, seq=None):
        self._uid += 1
        uid = "%s%d" % (self._uid_base, self._uid)
        self._pending = [uid, action, queued, now, seq]
        self._last_tx = now
        self.out.append(rpc.call(uid, action, payload))

    def _ts(self, unix, boot, ms, now):
        """The ISO time of a queued message: as taken, or worked out from this boot's ms once the time is
        known; one taken in an earlier boot before the time was known is sent with the time of sending."""
        if unix is not None:
            return fmt_iso(unix)
        cur = self.clock.now(now)
        if cur is None:
            return fmt_iso(0)
        if boot == self.boot and ms <= now:
            return fmt_iso(cur - (now - ms) // 1000)
        return fmt_iso(cur)

    def _fill(self, e, now):
        """The payload of queue entry e as sent: times and the transactionId filled in; None if the
        transaction will never have an id."""
        seq, action, stored, ref, unix, boot, ms, _ = e
        out = {}
        for k in stored:
            if k[0] != "_" and k != "sv":
                out[k] = stored[k]
        if action == START:
            out["timestamp"] = self._ts(unix, boot, ms, now)
            return out
        tid = self.q.refs.get(str(ref))
        if tid is None:
            return None
        out["transactionId"] = tid
        if action == STOP:
            out["timestamp"] = self._ts(unix, boot, ms, now)
            td = stored.get("_td")
            if td:
                out["transactionData"] = [
                    {"timestamp": self._ts(td[0][0], td[0][1], td[0][2], now), "sampledValue": [
                        {"value": td[0][3], "context": "Transaction.Begin", "measurand": "Energy.Active.Import.Register",
                         "unit": "Wh", "location": "Outlet"}]},
                    {"timestamp": self._ts(td[1][0], td[1][1], td[1][2], now), "sampledValue": [
                        {"value": td[1][3], "context": "Transaction.End", "measurand": "Energy.Active.Import.Register",
                         "unit": "Wh", "location": "Outlet"}]}]
        else:
            out["meterValue"] = [{"timestamp": self._ts(unix, boot, ms, now), "sampledValue": stored["sv"]}]
        return out

    # ---- for the console and the tests

    def state(self):
        """(key, value) pairs for the console's `net` line."""
        tx = self.tx
        return [("ocpp", "accepted" if self.accepted else "online" if self.online else "offline"),
                ("ocpp_queue", len(self.q)), ("ocpp_tx", None if tx is None else tx.tx_id),
                ("ocpp_dropped", self.q.dropped), ("ocpp_errors", self.errors)]


def _as_dict(pairs):
    d = {}
    for k, x in pairs:
        d[k] = x
    return d


def _uid_base():
    """A per-boot random prefix: message ids stay unique across reboots."""
    try:
        import os

        b = os.urandom(4)
        return "%02x%02x%02x%02x-" % (b[0], b[1], b[2], b[3])
    except Exception:
        return "m-"


def _dumps(obj):
    from .jsonw import dumps

    return dumps(obj)
