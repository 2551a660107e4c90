# Issue 11, meters: the S0 pulse input (meter/s0.py). A fake pin that behaves like the meter's opto output
# (idle high through the pull-up, low for 30 ms per pulse, an IRQ on the falling edge as configured) drives
# the ISR in virtual time; energy from the count, power from the interval, the decay rule, the bounce
# filter and the counter's wrap. Plain asserts: CPython, the unix port and webassembly.
from meter import reasons
from meter.s0 import IDLE_MS, S0Meter
from meter.task import poll_once
from tools.meter_sim import VTime

IRQ_FALLING = 2


class OptoPin:
    """The S0 output on a GPIO with its pull-up: value() reads 1 idle, 0 while a pulse conducts; irq()
    arms a handler on the edges asked for, called with the pin as the port does."""

    IRQ_FALLING = IRQ_FALLING
    IRQ_RISING = 1

    def __init__(self):
        self.level = 1
        self.handler = None
        self.trigger = 0

    def value(self):
        return self.level

    def irq(self, handler=None, trigger=3, hard=False):
        self.handler = handler
        self.trigger = trigger

    def _set(self, v):
        if v == self.level:
            return
        self.level = v
        edge = IRQ_FALLING if v == 0 else self.IRQ_RISING
        if self.handler is not None and self.trigger & edge:
            self.handler(self)

    def pulse(self, vt, width_ms=30, bounce=False):
        self._set(0)
        if bounce:  # a few ms of contact chatter after the edge
            vt.step(2)
            self._set(1)
            vt.step(1)
            self._set(0)
        vt.step(width_ms)
        self._set(1)


def _rig(ppk=1000):
    vt = VTime(1000)
    m = S0Meter(ppk, clock=vt.clock)
    pin = OptoPin()
    pin.irq(handler=m.isr, trigger=pin.IRQ_FALLING)
    return vt, m, pin


def _pulses(vt, pin, n, every_ms):
    for _ in range(n):
        pin.pulse(vt)
        vt.step(every_ms - 30)


def test_energy_comes_from_the_pulse_count_at_the_meter_constant():
    vt, m, pin = _rig(1000)
    _pulses(vt, pin, 25, 500)
    assert vt.run(poll_once(m, vt.clock)) == reasons.OK
    assert m.count == 25 and m.reading.energy_wh == 25
    vt, m, pin = _rig(800)  # 1.25 Wh a pulse: the remainder is kept, not lost at each poll
    for _ in range(10):
        _pulses(vt, pin, 3, 200)
        vt.run(poll_once(m, vt.clock))
    assert m.reading.energy_wh == 37  # 30 pulses = 37.5 Wh


def test_power_is_one_pulse_over_the_interval_and_decays_when_pulses_stop():
    vt, m, pin = _rig(1000)  # 3600 J a pulse
    _pulses(vt, pin, 5, 500)  # one every 0.5 s: 7200 W
    vt.run(poll_once(m, vt.clock))
    assert m.reading.power_w == 7200 and m.reading.phase_w[0] == 7200
    vt.step(1500)  # 2 s since the last pulse and none yet: at most 3600 J / 2 s
    vt.run(poll_once(m, vt.clock))
    assert m.reading.power_w == 1800
    vt.step(IDLE_MS)
    vt.run(poll_once(m, vt.clock))
    assert m.reading.power_w == 0  # quiet for longer than IDLE_MS: no load
    vt, m, pin = _rig(1000)
    pin.pulse(vt)
    vt.run(poll_once(m, vt.clock))
    assert m.reading.power_w == 0 and m.reading.energy_wh == 1  # one pulse: no interval yet


def test_edges_closer_than_the_minimum_gap_are_not_counted():
    vt, m, pin = _rig(1000)
    for _ in range(4):
        pin.pulse(vt, bounce=True)
        vt.step(470)
    vt.run(poll_once(m, vt.clock))
    assert m.count == 4 and m.ignored == 4 and m.reading.energy_wh == 4


def test_the_pulse_counter_wraps_as_a_small_int_and_the_energy_does_not():
    vt, m, pin = _rig(1000)
    m.count = m._seen = (1 << 30) - 2  # just below the wrap
    m.dt = 500
    _pulses(vt, pin, 5, 500)
    assert m.count == 3  # wrapped, still a small int
    vt.run(poll_once(m, vt.clock))
    assert m.reading.energy_wh == 5 and m.reading.ok and not m.reading.lost


def test_the_meter_rejects_a_nonsense_constant():
    try:
        S0Meter(0)
    except ValueError:
        return
    raise AssertionError("ppk 0 accepted")
