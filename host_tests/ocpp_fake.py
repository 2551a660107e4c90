# A fake command layer and a scripted central system for the OCPP charge point's pure-logic tests
# (plain Python: also runs under MicroPython and the webassembly port).
import json

from evse.commands import Result


class FakeCommands:
    """What ocpp.cp uses of evse.commands.Commands: snapshot(), set_limit(), run(). The snapshot is a dict
    the test edits (state, contactor, energy ...)."""

    def __init__(self):
        self.v = {"state": "A", "pilot": "+12V", "offered_ma": 0, "contactor": "open", "faults": [],
                  "enabled": True, "sleeping": False, "limit_ma": 32000, "power_w": 0, "current_ma": [0],
                  "session_wh": 0, "total_wh": 1000, "meter": "sdm120"}
        self.limits = {}
        self.ran = []
        self.rebooted = 0

    def snapshot(self):
        return [(k, self.v[k]) for k in sorted(self.v)]

    def set_limit(self, source, ma):
        if ma is None:
            self.limits.pop(source, None)
        else:
            self.limits[source] = ma

    def limit(self):
        return self.limits.get("ocpp")

    def run(self, caller, words):
        self.ran.append(words[0])
        if words[0] == "disable":
            self.v["enabled"] = False
        elif words[0] == "enable":
            self.v["enabled"] = True
        elif words[0] == "reboot":
            return Result(True, 0, "rebooting", [], self._reboot)
        return Result(True, 0, "", [])

    def _reboot(self):
        self.rebooted += 1


class Csms:
    """Drives a ChargePoint as a central system would: answers its CALLs (by handler functions per action),
    sends CALLs to it and collects the answers. Virtual time: self.t in ms."""

    def __init__(self, cp, t=0):
        self.cp = cp
        self.t = t
        self.calls = []  # (action, payload) the charge point sent, in order
        self.answers = {}  # our CALL id -> [kind, payload or code]
        self.handlers = {}
        self.silent = False  # True: take the charge point's CALLs and answer nothing
        self.errors = {}  # action -> error code to answer it with
        self.now_iso = "2026-12-01T12:00:00Z"
        self.tx_id = 100
        self._n = 0

    def frames(self):
        for text in self.cp.take():
            m = json.loads(text)
            if m[0] == 2:
                self.calls.append((m[2], m[3]))
                if self.silent:
                    continue
                if m[2] in self.errors:
                    self.cp.received(json.dumps([4, m[1], self.errors[m[2]], "test", {}]), self.t)
                    continue
                self.cp.received(json.dumps([3, m[1], self._answer(m[2], m[3])]), self.t)
            else:
                self.answers[m[1]] = [m[0], m[2] if m[0] == 3 else m[2]]

    def _answer(self, action, p):
        h = self.handlers.get(action)
        if h is not None:
            return h(p)
        if action == "BootNotification":
            return {"status": "Accepted", "currentTime": self.now_iso, "interval": 300}
        if action == "Heartbeat":
            return {"currentTime": self.now_iso}
        if action == "Authorize":
            return {"idTagInfo": {"status": "Accepted"}}
        if action == "StartTransaction":
            self.tx_id += 1
            return {"transactionId": self.tx_id, "idTagInfo": {"status": "Accepted"}}
        if action == "StopTransaction":
            return {}
        return {}

    def run(self, ms, every=250):
        """Step the charge point for ms of virtual time, answering as we go."""
        end = self.t + ms
        while self.t < end:
            self.t += every
            self.cp.step(self.t)
            self.frames()
            self.frames()

    def call(self, action, payload):
        """Send a CALL; the answer: [3, payload] or [4, error code]."""
        self._n += 1
        uid = "c%d" % self._n
        self.cp.received(json.dumps([2, uid, action, payload]), self.t)
        self.frames()
        return self.answers.get(uid)

    def raw(self, text):
        self.cp.received(text, self.t)
        out = []
        for f in self.cp.take():
            out.append(json.loads(f))
        return out

    def sent(self, action):
        return [p for a, p in self.calls if a == action]
