# The chart's ring buffer (firmware/web/chart.py) and GET /api/chart: the ring keeps exactly the last hour
# and wraps, power without a meter (or with a lost one) is the "unknown" sentinel, not 0, the state codes
# are the charger's, and the API answer is what was sampled over a bench session A -> B -> C -> B in
# virtual time. Plain asserts: CPython and the MicroPython unix port (tools/mptest.py). (Named test_http_*
# to run before test_vboard_*, as test_http_api: the virtual board leaves fake time and select behind it.)
# not on webassembly: the webassembly port has no sockets
import json

from evse.commands import Commands
from web.chart import NO_POWER, PERIOD_MS, SIZE, Chart

from host_tests.core_rig import Rig
from host_tests.web_rig import WebRig, run

_METER = {"meter": "sdm630", "phases": 3}
# A session: plugged in at 20 s, asking for power at 60 s, stopped asking at 200 s (back to B).
_SESSION = [{"t_ms": 20000, "ev": "B"}, {"t_ms": 60000, "ev": "C"}, {"t_ms": 200000, "ev": "B"}]


class _Bench:
    """The charger core on the bench behind a command layer, with the bench's meter fitted if any."""

    def __init__(self, events=(), settings=None, duration_ms=600000):
        self.rig = Rig(events, settings, duration_ms=duration_ms)
        self.now = 0
        self.cmd = Commands(self.rig.ch, self.rig.run.settings, self.rig.run.history, self.clock)
        if settings and settings.get("meter", "none") != "none":
            self.cmd.fit_meter(settings["meter"], self.rig.bench.meter.reading)
        self.chart = Chart(self.cmd)

    def clock(self):
        return self.now

    def to(self, t):
        self.now = t
        self.rig.advance(t)


def _seen(cmd):
    """What the snapshot says now, as the chart keeps it: (power_w or None, offer to 0.1 A, state)."""
    d = {}
    for k, v in cmd.snapshot():
        d[k] = v
    return (d["power_w"], (d["offered_ma"] + 50) // 100 * 100, d["state"])


def _sample_along(b, until_ms):
    """tick() the chart every 10 s up to until_ms; [what the snapshot said at each sample]."""
    want = []
    t = b.now
    while t <= until_ms:
        b.to(t)
        n = b.chart.count
        b.chart.tick(t)
        if b.chart.count != n or n == SIZE:
            want.append(_seen(b.cmd))
        t += PERIOD_MS
    return want


def test_the_ring_wraps_keeping_exactly_the_last_hour_oldest_first():
    b = _Bench(_SESSION, _METER, duration_ms=5000000)
    want = _sample_along(b, 4200000)  # 421 samples: 61 more than the ring holds
    assert len(want) == 421, len(want)
    assert b.chart.count == SIZE
    got = b.chart.points()
    assert len(got) == SIZE
    assert got == want[-SIZE:], (got[:3], want[-SIZE:][:3])
    assert b.chart.last_ms == 4200000
    assert b.chart.head == 421 % SIZE


def test_power_without_a_meter_is_unknown_not_zero():
    b = _Bench(_SESSION)  # no meter fitted
    _sample_along(b, 300000)
    pts = b.chart.points()
    assert len(pts) == 31
    assert all(p[0] is None for p in pts), pts
    assert any(p[2] == "C2" for p in pts), pts  # a session ran: the states and offer are still there
    assert any(p[1] > 0 for p in pts), pts
    assert b.chart.power[0] == NO_POWER


def test_power_of_a_lost_meter_is_unknown_and_comes_back():
    b = _Bench(charging_events_with_meter_failure(), _METER)
    want = _sample_along(b, 400000)
    pts = b.chart.points()
    assert pts == want
    charging = [p for p in pts if p[2] == "C2"]
    assert any(p[0] is not None and p[0] > 1000 for p in charging), pts  # real power while charging
    assert any(p[0] is None for p in pts[12:]), pts  # the meter lost (after the first 2 min): unknown


def charging_events_with_meter_failure():
    return [{"t_ms": 20000, "ev": "B"}, {"t_ms": 30000, "ev": "C"}, {"t_ms": 150000, "meter_fail": True},
            {"t_ms": 250000, "meter_fail": False}]


def test_the_state_codes_are_the_chargers():
    b = _Bench(_SESSION, _METER)
    _sample_along(b, 300000)
    states = [p[2] for p in b.chart.points()]
    assert states[0] == "A" and states[1] == "A"  # 0 s, 10 s: nothing plugged in
    assert "B2" in states[2:6], states  # 20 s..50 s: plugged in, offered
    assert states[7:20] == ["C2"] * 13, states  # 70 s..190 s: charging
    assert states[-1] == "B2", states  # 300 s: stopped asking
    for p in b.chart.points():
        if p[2] == "A":
            assert p[0] in (None, 0), p  # no vehicle: no power


def test_a_late_sampler_fills_the_missed_slots_so_the_time_axis_stays_exact():
    b = _Bench((), _METER)
    b.to(0)
    assert b.chart.tick(0) == PERIOD_MS
    b.to(35000)  # the task was held up for 35 s: samples due at 10, 20, 30 s
    assert b.chart.tick(35000) == 5000
    assert b.chart.count == 4 and b.chart.last_ms == 30000
    b.now = 9000000  # far more than an hour (the bench need not move): the ring filled once, cadence from now
    b.chart.tick(9000000)
    assert b.chart.count == SIZE
    assert b.chart.due == 9000000 + PERIOD_MS


def test_the_sampler_task_never_raises_into_the_loop():
    import asyncio

    b = _Bench()
    slept = []

    class _Broken:
        def __getattr__(self, name):
            raise RuntimeError("broken charger")

    b.cmd.charger = _Broken()

    async def sleep_ms(ms):
        slept.append(ms)
        if len(slept) >= 3:
            raise asyncio.CancelledError()  # (only the test's way to end the loop)
        await asyncio.sleep(0)

    async def main():
        try:
            await b.chart.run(b.clock, sleep_ms)
        except asyncio.CancelledError:
            pass

    asyncio.run(main())
    assert b.chart.errors == 3 and slept == [PERIOD_MS] * 3, (b.chart.errors, slept)


def test_the_api_answer_is_what_was_sampled_over_a_session_a_b_c_b():
    async def body(wr):
        wr.cmd.fit_meter("sdm630", wr.rig.bench.meter.reading)
        want = []
        rec = wr.web.chart.record

        def record():  # what the command layer's snapshot says at each sample
            rec()
            want.append(_seen(wr.cmd))

        wr.web.chart.record = record
        import asyncio

        task = asyncio.create_task(wr.web.chart.run(wr.clock, wr.sleep_ms))  # its sleeps move the bench
        while wr.now < 300000:
            await asyncio.sleep(0)
        task.cancel()
        st, h, raw = await wr.request("GET", "/api/chart")
        assert st == 200 and h["content-type"] == "application/json", (st, h)
        obj = json.loads(raw.decode())
        assert obj["period_s"] == 10
        assert obj["t_ms"] >= obj["last_ms"] >= 290000, obj
        got = [(p[0], p[1], p[2]) for p in obj["points"]]
        assert got == want, (got, want)
        states = [p[2] for p in got]
        for s in ("A", "B2", "C2"):
            assert s in states, states
        assert states.index("C2") < len(states) - 1 - states[::-1].index("B2")  # ...C then B again
        assert any(p[0] for p in got if p[2] == "C2"), got  # power while charging
        assert len(raw) < 2 * 1024, len(raw)  # 31 points

    run(body, WebRig(_SESSION, _METER, duration_ms=400000))


def test_a_full_hour_streams_out_whole_and_parses():
    async def body(wr):
        wr.cmd.fit_meter("sdm630", wr.rig.bench.meter.reading)
        c = wr.web.chart
        for i in range(SIZE + 5):
            c.tick(i * PERIOD_MS)
        st, h, raw = await wr.request("GET", "/api/chart")
        obj = json.loads(raw.decode())
        assert st == 200 and len(obj["points"]) == SIZE
        assert [tuple(p) for p in obj["points"]] == c.points()
        assert obj["last_ms"] == (SIZE + 4) * PERIOD_MS

    run(body, WebRig((), _METER))
