# The firmware's OCPP charge point (ocpp16.cp + ocpp16.task over ocpp16.ws) on the charging core of the scenario
# bench (tools.sim.runner.Run, a metered vehicle load), on a real socket to a central system on 127.0.0.1.
# The bench and the charge point share one virtual clock that runs `speed` times faster than the wall clock;
# a plan of plug/unplug/cut events at virtual ms, and a vehicle that behaves: it asks for power (state C)
# while it is offered current and goes back to B within half a second when the offer goes.
# In-process (CPython tests) through Rig, or as a MicroPython unix-port program:
#   micropython host_tests/ocpp_rig.py ARGS.json   (url, id, password, speed, settings, plan, end_ms, queue,
#                                                   store, boot, free_vend, ca)
# which prints the bench's trace lines, then one JSON line {"done": ...}. (A file, not the JSON itself on the
# command line: this unix port build dies with "FATAL: uncaught NLR" on a long argv.)
import asyncio
import json
import sys
import time

from evse.commands import Commands
from evse.iodata import PILOT_PWM
from ocpp16.cp import ChargePoint
from ocpp16.task import Link, ssl_context
from tools.sim.runner import Run
from tools.sim.scenario import parse

MAX_STRIDE_MS = 200  # the bench advances at most this much virtual time between two looks at the sockets
EV_REACTS_MS = 500  # the vehicle follows the pilot this much later (J1772 gives it 3 s to stop drawing)


def _wall_ms():
    # CPython: monotonic (the virtual board's tests give CPython's time a ticks_ms of virtual time, for good)
    if sys.implementation.name != "micropython":
        return int(time.monotonic() * 1000)
    return time.ticks_ms()


class Rig:
    def __init__(self, url, ident="evse1", password="", speed=10, settings=None, plan=(), end_ms=60000,
                 queue=None, store=None, boot=1, free_vend=False, step_ms=20, ca=None):
        st = {"meter": "sdm630", "phases": 3}
        for k in settings or {}:
            st[k] = settings[k]
        sc = parse({"duration_ms": 86400000, "board": "bench", "settings": st})
        self.trace = []
        self.run = Run(sc, self.trace.append, skip_quiet=False)
        r = self.run
        self.cmds = Commands(r.ch, r.settings, r.history, r._clock)
        self.cmds.fit_meter(st["meter"], r.bench.meter.reading)
        self.cp = ChargePoint(self.cmds, boot=boot, free_vend=free_vend, queue_path=queue, store_path=store,
                              phases=st["phases"])
        ctx = ssl_context(ca) if ca else None
        self.link = Link(self.cp, url, ident, password, self.now, ctx, step_ms=step_ms, backoff_min_s=1,
                         backoff_max_s=2)
        self.speed = speed
        self.plan = sorted([list(p) for p in plan])
        self.end_ms = end_ms
        self.plugged = False
        self.ev = "A"
        self._want_t = None
        self._t0 = _wall_ms()
        self.cut = False

    def now(self):
        """The one virtual clock: the bench's. It follows the wall clock x speed as far as the machine keeps up
        (a loaded machine runs it slower, for the bench and the charge point alike)."""
        return self.run.t

    def _target(self):
        return ((_wall_ms() - self._t0) & 0x3FFFFFFF) * self.speed

    def _vehicle(self, t):
        """The behaving vehicle: C while offered current (PWM), else B; A when unplugged."""
        io = self.run.ch.io
        if not self.plugged:
            want = "A"
        elif io.pilot == PILOT_PWM and self.run.ch.offered_ma >= 6000:
            want = "C"
        else:
            want = "B"
        if want == self.ev:
            self._want_t = None
            return
        if want == "A" or self.ev == "A":
            self._set(want, t)
        elif self._want_t is None:
            self._want_t = t
        elif t - self._want_t >= EV_REACTS_MS:
            self._set(want, t)

    def _set(self, letter, t):
        self.ev = letter
        self._want_t = None
        self.run.bench.apply("ev", letter, self.run.t)
        self.run.tr.input(self.run.t, [("ev", letter)])

    async def bench(self):
        """The bench in virtual time, brought up to the clock every few ms; the plan; the vehicle."""
        while not self.link.stopped:
            r = self.run
            t = self._target()
            if t > r.t + MAX_STRIDE_MS:
                t = r.t + MAX_STRIDE_MS  # behind: catch up in strides, letting the sockets in between
            while self.plan and self.plan[0][0] <= t:
                what = self.plan.pop(0)[1]
                if what == "plug":
                    self.plugged = True
                elif what == "unplug":
                    self.plugged = False
                elif what == "cut":  # the power goes: nothing more runs, nothing more is written
                    self.cut = True
                    self.link.stop()
                    return
            if t >= self.end_ms:
                self.link.stop()
                return
            if t > r.t:
                r.advance(t)
            self._vehicle(r.t)
            await asyncio.sleep(0.005 if t >= self._target() else 0)

    async def main(self):
        b = asyncio.create_task(self.bench())
        await self.link.run()
        await b

    def sessions(self):
        """The bench's session events (the metering issue's energy figure)."""
        return [json.loads(x) for x in self.trace if '"event": "session"' in x]


def _main(path):
    with open(path) as f:
        a = json.load(f)
    rig = Rig(a["url"], a.get("id", "evse1"), a.get("password", ""), a.get("speed", 10), a.get("settings"),
              a.get("plan", ()), a.get("end_ms", 60000), a.get("queue"), a.get("store"), a.get("boot", 1),
              a.get("free_vend", False), ca=a.get("ca"))
    asyncio.run(rig.main())
    for x in rig.trace:
        print(x)
    print(json.dumps({"done": True, "cut": rig.cut, "queue": len(rig.cp.q), "errors": rig.cp.errors, "added": rig.cp.q.seq,
                      "connects": rig.link.connects, "last_error": rig.link.last_error}))


if __name__ == "__main__":
    _main(sys.argv[1])
