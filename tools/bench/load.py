# The vehicle's load and the energy meter a scenario fits, for the bench and the virtual board, in integer
# virtual ms. The vehicle draws min(offer, ev_max_a) on each phase while the main contacts are closed and it
# asks for power (state C or D), ramping up within 2 s and following a reduction within 3 s; ev_draw_a forces
# the draw (a misbehaving vehicle). The meter is the firmware's own driver (meter/*.py) reading a simulated
# meter: Modbus RTU frames through tools.meter_sim for sdm120, sdm630 and abb_b23, pulses on the S0 input's
# interrupt handler for s0, nothing for none. See docs/scenarios.md "Load and meter".
# (The meter modules and the simulation are imported for the kind a scenario fits only: a run without a meter
# keeps the virtual board's heap as small as before, on the unix port's 256K bench heap.)
from evse.duty import ma_for_duty
from evse.iodata import PILOT_PWM

POLL_MS = 1000  # meter.task.POLL_MS (a test keeps them equal)

RAMP_UP_MS = 2000  # an increase is reached within this (the vehicle model)
RAMP_DOWN_MS = 3000  # a reduction is followed within this (J1772 gives the EV 5 s; real ones take 1-3 s)
RAMP_STEP_MS = 100  # the draw moves in steps this far apart: piecewise constant, so energy and pulses are exact
DRAWS_BELOW_OHM = 1500  # a vehicle resistance below this has S2 closed (C 882, D 246; B is 2740)
DEFAULT_EV_MAX_MA = 32000  # the vehicle's on-board charger
DEFAULT_MAINS_DV = 2300
MWMS_PER_WH = 3600000000  # mW x ms in one Wh


class VehicleLoad:
    """The current the vehicle draws per phase (ma), on `phases` phases at mains_dv; e: energy (mW x ms)."""

    def __init__(self, phases=1):
        self.phases = phases
        self.ev_max_ma = DEFAULT_EV_MAX_MA
        self.forced_ma = None
        self.mains_dv = DEFAULT_MAINS_DV
        self.ma = 0
        self.e = 0
        self._t = 0  # integrated up to here
        self._target = 0
        self._from = 0  # the ramp in progress: from _from at _t0 to _target in _n steps
        self._t0 = 0
        self._n = 0

    def power_mw(self):
        return self.ma * self.mains_dv * self.phases // 10

    def update(self, now):
        """Integrate to now, taking each ramp step as it falls due."""
        while self._n and self._t0 + RAMP_STEP_MS <= now:
            t = self._t0 + RAMP_STEP_MS
            self._integrate(t)
            self._n -= 1
            self._t0 = t
            if self._n == 0:
                self.ma = self._target
            else:
                self.ma += (self._target - self.ma) // (self._n + 1)
        self._integrate(now)

    def _integrate(self, t):
        if t > self._t:
            self.e += self.power_mw() * (t - self._t)
            self._t = t

    def follow(self, now, flowing, offer_ma):
        """At now: the contacts carry current (flowing) and the vehicle reads offer_ma (0: no PWM)."""
        self.update(now)
        if not flowing:
            target = 0
            self.ma = 0  # no current through open contacts, or with S2 open
            self._n = 0
        elif self.forced_ma is not None:
            target = self.forced_ma
            self.ma = target
            self._n = 0
        else:
            target = offer_ma if offer_ma < self.ev_max_ma else self.ev_max_ma
        if target != self._target or (self._n == 0 and self.ma != target):
            self._target = target
            if self.ma != target:
                span = RAMP_UP_MS if target > self.ma else RAMP_DOWN_MS
                self._n = span // RAMP_STEP_MS
                self._t0 = now
            else:
                self._n = 0

    def next_change(self, now):
        if self._n:
            return self._t0 + RAMP_STEP_MS
        return None


def _load_sim(kind, slave, load, clock):
    """A simulated Modbus meter that reads the vehicle's load at the moment a request arrives (clock())."""
    from tools.meter_sim import MeterSim

    class LoadSim(MeterSim):
        def answer(self, req):
            return _answer(self, req, MeterSim.answer)

    sim = LoadSim(kind, slave)
    sim.load = load
    sim.clock = clock
    sim.fail = False
    sim.lifetime_wh = 1234567.0  # what the meter had counted before the scenario
    return sim


def _answer(self, req, answer):
    load = self.load
    load.update(self.clock())
    v = load.mains_dv / 10.0
    a = load.ma / 1000.0
    for i in range(3):
        used = i < self.phases and i < load.phases
        self.volts[i] = v if i < self.phases else 0.0
        self.amps[i] = a if used else 0.0
        self.phase_w[i] = load.ma * load.mains_dv // 10000 if used else 0.0
    self.power_w = sum(self.phase_w)
    self.energy_wh = self.lifetime_wh + load.e / MWMS_PER_WH
    self.silent = self.fail
    return answer(self, req)


class BenchMeter:
    """The meter of the setting `meter` on the bench: its firmware driver, a simulated meter behind it,
    the firmware's energy accountant, polled every POLL_MS as the meter task does on a board."""

    def __init__(self, kind, load, phases=1, slave=1, ppk=1000, max_ma=80000):
        self.kind = kind
        self.load = load
        self.fail = False  # meter_fail: the meter goes silent (an S0 line stops pulsing)
        self.sim = None
        self._now = 0
        self._vt = None
        self.driven = True  # the runner polls (False: the firmware's own meter task does, tools/vboard/vmain.py)
        if kind == "none":
            from meter.none import NoMeter

            self.meter = NoMeter()
        elif kind == "s0":
            from meter.s0 import S0Meter

            self.meter = S0Meter(ppk, phases, clock=self._clock)
            self._pulse = 3600000000000 // ppk  # mW x ms per pulse (1/ppk kWh)
            self._pulses = 0
        else:
            from meter import maps
            from meter.modbus import Master
            from meter.rtu import ModbusMeter
            from tools.meter_sim import SimUart, VTime

            vt = self._vt = VTime()
            self.sim = _load_sim(kind, slave, load, vt.clock)
            m = Master(SimUart(self.sim, vt.clock), None, clock=vt.clock, sleep_ms=vt.sleep_ms)
            self.meter = ModbusMeter(m, maps.get(kind), slave, max_ma * 253 * phases // 1000)
        self.reading = self.meter.reading
        if kind == "none":
            self.energy = _NoEnergy()
        else:
            from meter.account import Energy

            self.energy = Energy(self.reading, max_ma, phases)
        self.next_poll = 0

    def _clock(self):
        return self._now & 0x3FFFFFFF

    def _next_pulse(self, now):
        if self.fail:
            return None
        p = self.load.power_mw()
        if p <= 0:
            return None
        need = (self._pulses + 1) * self._pulse - self.load.e
        return now + (need + p - 1) // p if need > 0 else now

    def advance(self, now):
        """Bring the load and the meter to now: S0 pulses on the way, and a poll if one is due."""
        load = self.load
        if self.kind == "s0":
            while True:  # the next pulse or ramp step, whichever comes first, up to now
                t = self._next_pulse(load._t)
                step = load.next_change(load._t)
                if step is not None and step <= now and (t is None or step < t):
                    load.update(step)
                elif t is not None and t <= now:
                    load.update(t)
                    self._pulses += 1
                    self._now = t
                    self.meter.isr(None)
                else:
                    break
        load.update(now)
        if self.driven and now >= self.next_poll:
            self.poll(now)

    def line(self, clock, baud=9600, bits_per_char=10):
        """The meter's end of the RS-485 line for the firmware's own driver (machine.UART on the virtual
        board), in the kernel's time: the runner stops polling."""
        from tools.meter_sim import SimUart

        self.driven = False
        self.sim.clock = clock
        return SimUart(self.sim, clock, baud, bits_per_char)

    def poll(self, now):
        from meter.task import poll_once
        from tools.meter_sim import VTime

        self._now = now
        if self.sim is not None:
            self.sim.fail = self.fail
            self._vt.ms = now
            self._vt.run(poll_once(self.meter, self._vt.clock))
        else:
            vt = VTime(now)
            vt.run(poll_once(self.meter, vt.clock))
        self.energy.update()
        self.next_poll = now + POLL_MS

    def next_change_ms(self, now):
        """The next poll, S0 pulse or step of the vehicle's ramp after now, or None."""
        best = self.next_poll if self.kind != "none" and self.driven else None
        if self.kind == "s0":
            t = self._next_pulse(self.load._t)
            if t is not None and t <= now:
                t = now + 1
            if t is not None and (best is None or t < best):
                best = t
        t = self.load.next_change(now)
        if t is not None and (best is None or t < best):
            best = t
        if best is not None and best <= now:
            best = now + 1
        return best


class _NoEnergy:
    """No meter: nothing counted (what meter.account.Energy says of a reading that is not fitted)."""

    fitted = False
    wh = 0

    def update(self):
        pass


def offer_ma(io):
    """What the vehicle reads from the pilot: the PWM's current (0 without PWM or below 6 A)."""
    if io.pilot != PILOT_PWM:
        return 0
    ma = ma_for_duty(io.duty)
    return ma if ma > 0 else 0
