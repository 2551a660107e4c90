# Issue 11, meters: what the meter task publishes (meter/reading.py, plausible.py, task.py) for a
# simulated meter in virtual time: the plausibility rules (docs/metering.md), a meter that is lost and
# comes back (not latched), energy that goes backwards, wraps or jumps (never a negative or huge session
# delta), a task that never raises, and the "none" meter. Plain asserts: CPython, unix port, webassembly.
from meter import maps, reasons
from meter.modbus import Master
from meter.none import NoMeter
from meter.plausible import REBASE_AFTER, Plausible
from meter.reading import Reading, max_wh, safe_delta
from meter.rtu import ModbusMeter
from meter.task import poll_once, run
from tools.meter_sim import MeterSim, SimUart, VTime


def _meter(kind="sdm630", lost_after=2, max_w=0):
    sim = MeterSim(kind)
    vt = VTime(5000, sim.advance)
    m = Master(SimUart(sim, vt.clock), None, retries=0, timeout_ms=200, clock=vt.clock, sleep_ms=vt.sleep_ms)
    return vt, sim, ModbusMeter(m, maps.get(kind), lost_after=lost_after, max_w=max_w)


def _poll(vt, mt):
    return vt.run(poll_once(mt, vt.clock))


def test_a_session_at_32_a_single_phase_counts_its_energy_from_the_meter():
    """One hour at 32 A x 230 V on an SDM120, polled every 10 s: 7360 Wh within 1 %, as ints."""
    vt, sim, mt = _meter("sdm120")
    sim.load(32.0, 230.0)
    sim.energy_wh = 5000000.0  # a meter that has counted 5 MWh before this session
    vt.run(run(mt, 10000, vt.clock, vt.sleep_ms), limit_ms=3600 * 1000)
    r = mt.reading
    assert r.ok and not r.lost and r.reason == reasons.OK
    assert r.power_w == 7360 and r.current_ma[0] == 32000 and r.voltage_dv[0] == 2300
    assert abs((r.energy_wh - 5000000) - 7360) <= 74, r.energy_wh
    assert 355 <= r.good <= 361


def test_the_three_phase_meter_reports_each_phase():
    vt, sim, mt = _meter("sdm630")
    sim.load(16.0, 230.0)
    sim.amps[2] = 10.0
    sim.phase_w[2] = 2300.0
    assert _poll(vt, mt) == reasons.OK
    r = mt.reading
    assert list(r.current_ma) == [16000, 16000, 10000] and list(r.phase_w) == [3680, 3680, 2300]
    assert list(r.voltage_dv) == [2300, 2300, 2300] and r.phases == 3


def test_a_meter_that_stops_answering_is_lost_and_recovers_when_it_answers_again():
    vt, sim, mt = _meter(lost_after=2)
    sim.load(10.0)
    assert _poll(vt, mt) == reasons.OK
    good_t = mt.reading.t_ms
    sim.silent = True
    assert _poll(vt, mt) == reasons.TIMEOUT
    r = mt.reading
    assert not r.ok and not r.lost  # one failure: not lost yet
    assert _poll(vt, mt) == reasons.TIMEOUT
    assert r.lost and r.reason == reasons.TIMEOUT and r.t_ms == good_t  # the last good values stay, dated
    assert r.current_ma[0] == 10000
    sim.silent = False
    assert _poll(vt, mt) == reasons.OK
    assert r.ok and not r.lost and r.bad == 0  # not latched
    for fault, why in (("corrupt_crc", reasons.CRC), ("nan", reasons.NAN)):
        setattr(sim, fault, True)
        _poll(vt, mt)
        assert _poll(vt, mt) == why and r.lost and r.reason == why
        setattr(sim, fault, False)
        assert _poll(vt, mt) == reasons.OK and not r.lost
    assert r.seq % 2 == 0  # stable between polls


def test_energy_that_goes_backwards_is_refused_until_it_has_been_consistent():
    vt, sim, mt = _meter(lost_after=1)
    sim.load(16.0)
    sim.energy_wh = 100000.0
    assert _poll(vt, mt) == reasons.OK
    r = mt.reading
    before = r.energy_wh
    sim.energy_wh = 50.0  # the counter was reset (or replaced, or wrapped)
    for i in range(REBASE_AFTER - 1):
        assert _poll(vt, mt) == reasons.BACKWARDS
        assert r.lost and r.energy_wh == before  # the believed counter does not move backwards
    assert _poll(vt, mt) == reasons.OK  # consistent REBASE_AFTER times: a new epoch
    assert r.epoch == 1 and r.energy_wh < 100 and not r.lost
    # the consumer's delta over the reset is 0, not -99950
    assert safe_delta(before, r.energy_wh, max_wh(33000, 3000)) == 0


def test_energy_that_jumps_more_than_the_meter_could_deliver_is_refused():
    vt, sim, mt = _meter(max_w=22000, lost_after=1)
    sim.energy_wh = 1000.0
    assert _poll(vt, mt) == reasons.OK
    sim.energy_wh = 1000.0 + 500000.0  # 500 kWh in about a second
    assert _poll(vt, mt) == reasons.JUMP
    assert mt.reading.energy_wh == 1000 and mt.reading.lost
    sim.energy_wh = 1000.0 + 5.0  # back to a believable counter: taken at once
    assert _poll(vt, mt) == reasons.OK and mt.reading.energy_wh == 1005 and mt.reading.epoch == 0


def test_the_range_and_negative_rules():
    p = Plausible(3, 100000)
    s = Reading(3)
    s.voltage_dv[0] = 2300
    s.current_ma[0] = 16000
    s.energy_wh = 10
    assert p.judge(s, 0) == reasons.OK
    for field, i, bad in (("voltage_dv", 1, 5001), ("voltage_dv", 0, -1), ("current_ma", 2, 200001),
                          ("current_ma", 0, -5), ("phase_w", 1, 300001)):
        arr = getattr(s, field)
        keep = arr[i]
        arr[i] = bad
        assert p.judge(s, 10) == reasons.RANGE, (field, bad)
        arr[i] = keep
    s.power_w = -300001
    assert p.judge(s, 10) == reasons.RANGE
    s.power_w = -2000  # export, or a meter wired the other way round: believed
    assert p.judge(s, 10) == reasons.OK
    s.energy_wh = -1
    assert p.judge(s, 20) == reasons.NEGATIVE


def test_safe_delta_gives_nothing_for_backwards_wrapped_or_impossible_steps():
    assert safe_delta(1000, 1010, 50) == 10
    assert safe_delta(1000, 1000, 50) == 0
    assert safe_delta(1000, 990, 50) == 0  # backwards
    assert safe_delta(2 ** 30 - 5, 3, 50) == 0  # a counter that wrapped: no huge negative
    assert safe_delta(0, 10 ** 9, 50) == 0  # impossible jump
    assert max_wh(7360, 3600000) == 7361  # an hour at 7360 W, plus the counter's 1 Wh
    # summing per-reading deltas over a reset loses at most the step across it
    readings = [100, 150, 200, 5, 55, 105]
    total = 0
    for a, b in zip(readings, readings[1:]):
        total += safe_delta(a, b, 100)
    assert total == 200


def test_the_task_never_raises_and_reports_the_error():
    class Broken:
        def __init__(self):
            self.reading = Reading(1)
            self.staging = Reading(1)
            self.check = None
            self.lost_after = 1
            self.calls = 0

        async def sample(self, now):
            self.calls += 1
            if self.calls < 3:
                raise OSError(5)  # a UART error, say
            return reasons.OK

    vt = VTime()
    b = Broken()
    vt.run(run(b, 1000, vt.clock, vt.sleep_ms), limit_ms=2500)
    assert b.calls == 3 and isinstance(b.error, OSError)
    assert b.reading.ok and b.reading.reason == reasons.OK  # the third poll worked: recovered


def test_the_none_meter_says_no_meter_is_fitted_and_its_task_ends():
    vt = VTime()
    m = NoMeter()
    vt.run(run(m, 1000, vt.clock, vt.sleep_ms), limit_ms=10000)
    r = m.reading
    assert not r.fitted and not r.lost and not r.ok and r.reason == reasons.NONE
    assert reasons.name(r.reason) == "none" and reasons.name(99) == "?"
    assert vt.ms == 0  # returned at once


def test_the_poll_period_is_kept_whatever_a_poll_costs():
    vt, sim, mt = _meter()
    starts = []
    orig = mt.sample

    async def sample(now):
        starts.append(now)
        return await orig(now)

    mt.sample = sample
    vt.run(run(mt, 1000, vt.clock, vt.sleep_ms), limit_ms=5500)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert gaps and all(g == 1000 for g in gaps), gaps
    sim.silent = True  # a 200 ms timeout: a poll longer than a 100 ms period
    del starts[:]
    vt.run(run(mt, 100, vt.clock, vt.sleep_ms), limit_ms=3000)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    # a timeout, the timeout's silence before the next request (a late answer is drained), a short wait
    assert gaps and all(220 <= g <= 460 for g in gaps), gaps
