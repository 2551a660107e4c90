# make bench: the meter task's CPU per poll, counted with callgrind (tools/perf/__main__.py runs this with
# N = 0 and N = 200 polls and takes the difference). The firmware's own driver (meter.rtu + meter.modbus, the
# plausibility check, the publish and the energy accountant, as meter.task.run does after each poll) reads a
# UART that replays the answers a simulated meter gave once before counting starts, so the count is the
# firmware's work, not the simulation's. Usage: micropython tools/perf/mp_meter.py KIND N
import sys

from meter import maps
from meter.account import Energy
from meter.modbus import Master
from meter.rtu import ModbusMeter
from meter.s0 import S0Meter
from meter.task import poll_once
from tools.meter_sim import MeterSim, SimUart, VTime


class Replay:
    """A UART that answers each request with the recorded answer to the same request, all of it at once, and
    hands bytes over in one slice, as a port's C readinto() does: the count is the firmware's work."""

    def __init__(self, answers):
        self.answers = answers
        self._out = b""

    def write(self, data):
        self._out = self.answers[bytes(data)]
        return len(data)

    def any(self):
        return len(self._out)

    def readinto(self, buf, n=-1):
        out = self._out
        if n < 0 or n > len(buf):
            n = len(buf)
        n = min(n, len(out))
        if not n:
            return None
        buf[:n] = out[:n]
        self._out = out[n:]
        return n

    def txdone(self):
        return True


def build(kind):
    vt = VTime(1000)
    if kind == "s0":
        m = S0Meter(1000, 1, clock=vt.clock)
        return vt, m, Energy(m.reading, 80000, 1)
    sim = MeterSim(kind)
    sim.load(32.0)
    sim.energy_wh = 1234567.0
    rec = SimUart(sim, vt.clock)
    m = ModbusMeter(Master(rec, None, clock=vt.clock, sleep_ms=vt.sleep_ms), maps.get(kind))
    vt.run(poll_once(m, vt.clock))  # one poll on the simulation: record every request's answer
    answers = {}
    for req in rec.written:
        answers[req] = sim.answer(req)
    m.master.uart = Replay(answers)
    return vt, m, Energy(m.reading, 80000, 3)


def main(kind, n):
    vt, m, e = build(kind)
    i = 0
    while i < n:
        vt.run(poll_once(m, vt.clock))
        e.update()
        vt.step(1000)
        if kind == "s0":
            m.isr(None)
        i += 1
    assert n == 0 or m.reading.ok, m.reading.reason


main(sys.argv[1], int(sys.argv[2]))
