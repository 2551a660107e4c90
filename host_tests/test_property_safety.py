# Property-based safety tests (hypothesis, CPython only): random timed sequences of every scenario input,
# both socket types and PP sensing, run through tools.sim.runner.Run step by step (Run.advance). After every
# step the contactor command is checked against the BENCH's physical ground truth and the core's flags:
# it is closed only when the EV presents C (or D with ventilation), its diode is present and was seen, PE is
# present, a self-test passed for this close on a live monitor, no fault is active, the lock is confirmed
# (Type 2), the latch is not pressed; and every cause opens it within its limit (docs/standards.md).
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evse import faults as F
from evse.charger import TICK_MS
from hw.app import TEMP_EVERY_MS
from evse.contactor import FAIL_CLOSE_MS, WELD_MS
from evse.duty import CHANGE_INTERVAL_MS, ma_for_duty
from evse.iodata import PILOT_N12, PILOT_P12, PILOT_PWM, TEMP_NONE
from evse.pilot import DEBOUNCE_MS
from evse.proximity import type2_cable_ma
from evse.rcd import SELFTEST_RELEASE_MAX_MS
from host_tests.core_rig import (
    F_MIN_MS, GROUND_LIMIT_MS, OPEN_LIMIT_MS, RCD_LIMIT_MS, UNLOCK_LIMIT_MS, WITHDRAW_MS,
)
from tools.bench.circuit import GEN_MV, cp_volts_mv
from tools.sim.runner import Run
from tools.sim.scenario import parse

EXAMPLES = 400  # per property
MIN_EXAMPLES = 300  # a run that tried fewer fails: the properties must have been exercised
MARGIN_MV = 40  # ADC noise (+-2 counts = +-15 mV) and rounding: readings this close to an edge may go either way
DETECT_LAG_MS = DEBOUNCE_MS + TICK_MS  # the core may not know a pilot change for this long (filter + tick)
PP_LIMIT_MS = OPEN_LIMIT_MS  # PP lost during a session -> stop like C->B
LATCH_LIMIT_MS = TICK_MS  # the latch button: at once, before the plug moves (the next tick)
# No figure in the standard. The board reads its sensor every TEMP_EVERY_MS (hw/app.py: temperatures change over
# seconds), so the virtual board may act that much later than the tick after the change; the bench core, which
# sees every reading, acts at the next tick, inside the same bound.
TEMP_LIMIT_MS = TEMP_EVERY_MS + TICK_MS
WELD_FOUND_MS = WELD_MS + 3 * TICK_MS
FAIL_CLOSE_FOUND_MS = FAIL_CLOSE_MS + 2 * TICK_MS

_BOOL_INPUTS = ("ev_diode", "cp_short", "ground", "relay_weld", "relay_fail_close", "gfci_sensor_dead",
                "lock_jam")


# Vehicle resistances (diode + 1 kohm source) at the state-window edges and the hysteresis-band midpoints
# (10.5, 7.5, 4.5 V): where the filter and the bands are put to the test.
_EDGE_OHMS = [130, 412, 507, 614, 1260, 1511, 1825, 4650, 6533]


def _event():
    ev = st.tuples(st.just("ev"), st.sampled_from(["A", "B", "C", "D"]))
    return st.one_of(
        ev, ev, ev, ev,
        st.tuples(st.just("ev_ohm"), st.one_of(st.none(), st.sampled_from(_EDGE_OHMS), st.integers(150, 12000))),
        st.tuples(st.sampled_from(_BOOL_INPUTS), st.booleans()),
        st.tuples(st.sampled_from(_BOOL_INPUTS), st.booleans()),
        st.tuples(st.just("pp_ohm"), st.one_of(
            st.none(), st.sampled_from([20, 59, 60, 100, 150, 220, 315, 480, 680, 1000, 1500, 4600]),
            st.integers(0, 6000))),
        st.tuples(st.just("residual_ma"), st.sampled_from([0, 5, 19, 20, 30, 264, 1000])),
        st.tuples(st.just("residual_dc_ma"), st.sampled_from([0, 5, 6, 20])),
        st.tuples(st.just("temp_c"), st.sampled_from([None, 25, 60, 64, 66, 70, 74, 76, 90])),
        st.tuples(st.just("console"), st.sampled_from(["sleep", "enable", "disable"])),
    )


# Gaps: inside a tick, the filter and the self-test (0-60 ms); inside the lock, weld and fail-to-close
# windows (300-1100 ms); beyond the 2 s clearing hold and the 6 s withdrawal.
_GAP = st.one_of(st.integers(0, 60), st.integers(0, 60), st.integers(61, 1200), st.sampled_from([2100, 2500, 6500]))

_GENERAL = st.lists(st.tuples(_GAP, _event()), min_size=1, max_size=25)

# Disturbances that hold a close back for a moment, each with its undoing.
_DISTURB = st.sampled_from([
    (("ground", False), ("ground", True)),
    (("pp_ohm", None), ("pp_ohm", 220)),
    (("pp_ohm", 480), ("pp_ohm", 150)),
    (("console", "sleep"), ("console", "enable")),
    (("console", "disable"), ("console", "enable")),
    (("cp_short", True), ("cp_short", False)),
    (("temp_c", 80), ("temp_c", 25)),
    (("ev", "B"), ("ev", "C")),
])


@st.composite
def _weld_family(draw):
    """Contacts weld while charging, then the vehicle stops and asks again, quickly or slowly."""
    steps = [(draw(st.integers(0, 3000)), ("relay_weld", True))]
    for i in range(draw(st.integers(1, 6))):
        steps.append((draw(st.integers(0, 1500)), ("ev", "B" if i % 2 == 0 else "C")))
    return steps + draw(st.lists(st.tuples(_GAP, _event()), max_size=8))


@st.composite
def _interrupted_selftest_family(draw):
    """The vehicle stops and asks again; something holds the close back during the self-test, the
    monitor may die meanwhile, then the disturbance goes away."""
    on, off = draw(_DISTURB)
    steps = [(draw(st.integers(0, 500)), ("ev", "B")), (draw(st.integers(30, 500)), ("ev", "C")),
             (draw(st.integers(0, 70)), on)]
    if draw(st.booleans()):
        steps.append((draw(st.integers(0, 400)), ("gfci_sensor_dead", True)))
    steps.append((draw(st.integers(0, 2500)), off))
    return steps + draw(st.lists(st.tuples(_GAP, _event()), max_size=8))


_STEPS = st.one_of(_GENERAL, _GENERAL, _weld_family(), _interrupted_selftest_family())

_SETUP = st.fixed_dictionaries({
    "socket": st.sampled_from(["tethered", "type2"]),
    "pp_sense": st.booleans(),
    "ventilation": st.booleans(),
    "max_current_a": st.sampled_from([6, 10, 16, 32, 80]),
})


def _scenario(setup, steps, tail=8000, board=None):
    """A vehicle plugged in at 0.5 s and asking at 1.5 s, then steps from 2 s; board None: the file's
    default (the runner here is always the bench's Run)."""
    settings_ = dict(setup)
    if settings_["socket"] == "type2":
        settings_["pp_sense"] = False
    events = [{"t_ms": 500, "ev": "B"}, {"t_ms": 1500, "ev": "C"}]
    t = 2000
    for gap, (key, value) in steps:
        t += gap
        events.append({"t_ms": t, key: value})
    obj = {"duration_ms": t + tail, "settings": settings_, "events": events}
    if board is not None:
        obj["board"] = board
    return parse(obj)


TEMP_READ_TOL_DC = 5  # tenths of a degree: how far off a board's temperature reading may be (see _limit_ma)

class Cond:
    """A physical cause: bad(t) from the bench; the core may be unaware of it for < lag ms (so a close
    then is excused), and must have the contactor open once it has lasted `limit` ms."""

    def __init__(self, name, lag, limit, bad):
        self.name = name
        self.lag = lag
        self.limit = limit
        self.bad = bad
        self.since = None


class Checker:
    """Checks one Run after each step. Violations raise AssertionError with the trace so far."""

    def __init__(self, run, setup, worst):
        self.run = run
        self.ch = run.ch
        self.io = run.ch.io
        self.b = run.bench
        self.type2 = setup["socket"] == "type2"
        self.pp_sense = setup["pp_sense"] and not self.type2
        self.vent = setup["ventilation"]
        self.worst = worst  # name -> largest cause-to-open ms seen
        self.prev_closed = False
        self.prev_contacts = False
        self.prev_t = 0
        self.dead_since = None
        self.closed_since = None
        self.live_open_since = None
        self.welded_seen = False
        self.unplugged_since = None
        self.over_since = None
        self.conds = self._make_conds()

    def _make_conds(self):
        """The physical causes to watch for this installation (socket type, PP sense, ventilation)."""
        conds = [
            Cond("ev_state", DETECT_LAG_MS, OPEN_LIMIT_MS, self._ev_bad),
            # the diode can only be checked while PWM runs (the low plateau): docs/standards.md Diode check
            Cond("diode", DETECT_LAG_MS, OPEN_LIMIT_MS,
                 lambda t: not self.b.ev_diode and self.io.pilot == PILOT_PWM),
            Cond("no_ground", 0, GROUND_LIMIT_MS, lambda t: not self.b.ground),
            Cond("over_temperature", 0, TEMP_LIMIT_MS,
                 lambda t: self.b.temp_dc >= self.ch.config.temp_stop_dc and self.b.temp_dc > -10000),
            Cond("residual_signal", 0, RCD_LIMIT_MS, lambda t: self.b.rcm.signal(t)),
            Cond("pwm_withdrawn", 0, WITHDRAW_MS + TICK_MS, lambda t: self.io.pilot == PILOT_P12),
            Cond("pilot_f", 0, 0, lambda t: self.io.pilot == PILOT_N12),
            Cond("fail_close", FAIL_CLOSE_FOUND_MS, FAIL_CLOSE_FOUND_MS,
                 lambda t: self.io.relay and not self.b.contactor.closed_contacts(t)),
        ]
        if self.type2:
            conds.append(Cond("lock_unconfirmed", 0, 0, lambda t: not self.b.lock.locked(t)))
            conds.append(Cond("pp_no_cable", 0, PP_LIMIT_MS, self._type2_pp_bad))
        if self.pp_sense:
            conds.append(Cond("latch_pressed", 0, LATCH_LIMIT_MS, self._latch_pressed))
            conds.append(Cond("pp_invalid_latch", 0, PP_LIMIT_MS, self._latch_invalid))
        return conds

    # -- ground truth -------------------------------------------------------------------------------

    def _ev_bad(self, t):
        b = self.b
        if b.ev_ohm is None and not b.cp_short:
            return True
        v = cp_volts_mv(GEN_MV, b.ev_ohm, b.ev_diode, b.cp_short)
        lo = 2000 if self.vent else 4000  # C (5..<7 V) with its hysteresis bands, D too with ventilation
        return not (lo - MARGIN_MV <= v < 8000 + MARGIN_MV)

    def _limit_ma(self, derate=True):
        """The lowest limit in force: settings, board, runtime limits, cable coding, derating (unless not
        derate) (the installation settings as the core holds them: Charger.inst)."""
        cfg = self.ch.config
        inst = self.ch.inst
        lim = min(cfg.max_current_ma, cfg.board_max_ma, cfg.runtime_ma)
        if self.type2:
            pp = self.b.pp_ohm
            cable = 0 if pp is None else max(type2_cable_ma(pp - 5), type2_cable_ma(pp), type2_cable_ma(pp + 5))
            lim = min(lim, cable)
        else:
            lim = min(lim, inst.cable_ma)
        # A board reads its sensor through a 12-bit ADC with noise (the virtual board: +-2 counts, about
        # 0.3 C): a temperature within 0.5 C of the derate point may read either side of it (60.0 C read as
        # 59.9), as the cable coding above may read 5 ohms off. Derating is required from there on.
        if derate and self.b.temp_dc != TEMP_NONE and self.b.temp_dc >= inst.temp_derate_dc + TEMP_READ_TOL_DC:
            lim //= 2
        return lim

    def _type2_pp_bad(self, t):
        pp = self.b.pp_ohm
        return pp is None or pp < 55 or pp > 4600

    def _latch_pressed(self, t):
        pp = self.b.pp_ohm
        return pp is not None and 340 <= pp <= 790

    def _latch_invalid(self, t):
        pp = self.b.pp_ohm
        return pp is None or pp < 95 or 305 < pp < 325 or pp > 810

    # -- the check after each step ------------------------------------------------------------------

    def fail(self, t, why):
        raise AssertionError("t=%d: %s\n%s" % (t, why, "\n".join(self.run_lines[-40:])))

    def check(self, t):
        ch = self.ch
        io = self.io
        closed = io.relay
        contacts = self.b.contactor.closed_contacts(t)
        if self.b.rcm.dead:
            if self.dead_since is None:
                self.dead_since = t
        else:
            self.dead_since = None

        # 1. causes against the physical world: open in time; no close once the core could know
        for c in self.conds:
            if self.prev_closed and c.since is not None:
                lat = t - c.since  # closed over [prev_t, t) while this cause lasted since c.since
                if lat > c.limit:
                    self.fail(t, "contactor still closed %d ms after %s (limit %d)" % (lat, c.name, c.limit))
                if not closed:
                    w = self.worst.get(c.name, -1)
                    if lat > w:
                        self.worst[c.name] = lat
            if c.bad(t):
                if c.since is None:
                    c.since = t
                    if self.prev_closed and not closed and c.name not in self.worst:
                        self.worst[c.name] = 0  # opened on the very step the cause appeared
            else:
                c.since = None
        just_closed = closed and not self.prev_closed
        if just_closed:
            for c in self.conds:
                if c.since is not None and c.name != "fail_close" and not t - c.since < c.lag:
                    self.fail(t, "closed while %s since %d" % (c.name, c.since))

        # 2. the core's own flags while closed
        if closed:
            if ch.faults:
                self.fail(t, "closed with faults %d" % ch.faults)
            if io.pilot == PILOT_N12:
                self.fail(t, "closed while the pilot shows F")
            if self.type2 and not io.lock:
                self.fail(t, "closed with the lock commanded open")
        if ch.closes > ch.rcd.selftest_count:
            self.fail(t, "%d closes but %d self-test passes" % (ch.closes, ch.rcd.selftest_count))
        if just_closed:
            self.closed_since = t
            if io.pilot != PILOT_PWM or not ch.diode_seen:
                self.fail(t, "closed without PWM or without the diode seen")
            if self.dead_since is not None and t - self.dead_since > SELFTEST_RELEASE_MAX_MS + TICK_MS:
                self.fail(t, "closed on a monitor dead since %d" % self.dead_since)
            if self.prev_contacts:
                self.fail(t, "closed into a load side still live (welded contacts)")
            if self.welded_seen:
                self.fail(t, "re-energised after relay_welded")

        # 3. weld: commanded open, contacts still closed -> relay_welded latched in time
        if not closed and contacts:
            if self.live_open_since is None:
                self.live_open_since = t
            if t - self.live_open_since > WELD_FOUND_MS and not ch.latched & (1 << F.RELAY_WELDED):
                self.fail(t, "load side live %d ms after opening, no relay_welded" % (t - self.live_open_since))
        else:
            self.live_open_since = None
        if ch.faults & (1 << F.RELAY_WELDED):
            self.welded_seen = True

        # 4. Type 2 lock: never released under closed contacts; released within 5 s of unplug (unless a
        #    latched fault or `disable` keeps the pilot at -12 V, where unplugging cannot be seen)
        if self.type2:
            if contacts and not self.b.lock.locked(t):
                self.fail(t, "contacts closed with the socket unlocked")
            if self.b.ev_ohm is None and not self.b.cp_short and not ch.latched and ch.enabled:
                if self.unplugged_since is None:
                    self.unplugged_since = t
                elif t - self.unplugged_since > UNLOCK_LIMIT_MS and self.b.lock.locked(t):
                    self.fail(t, "still locked %d ms after unplug" % (t - self.unplugged_since))
            else:
                self.unplugged_since = None

        # 5. the advertised current never exceeds installation, cable and temperature limits for longer
        #    than the 5 s a reduction may take (docs/standards.md: at most one duty change per 5 s)
        if io.pilot == PILOT_PWM and ma_for_duty(io.duty) > self._limit_ma() + 125:
            if self.over_since is None:
                self.over_since = t
            elif t - self.over_since > CHANGE_INTERVAL_MS + TICK_MS:
                self.fail(t, "advertising %d mA over a %d mA limit since %d" % (
                    ma_for_duty(io.duty), self._limit_ma(), self.over_since))
        else:
            self.over_since = None

        self.prev_closed = closed
        self.prev_contacts = contacts
        self.prev_t = t


def _check_f_periods(lines):
    """docs/standards.md Timing: a fault while charging -> F (-12 V) from that tick for >= 300 ms."""
    rows = [json.loads(x) for x in lines]
    relay = []  # (t, closed)
    pilot = []  # (t, mode)
    for r in rows:
        if r["event"] == "relay":
            relay.append((r["t_ms"], r["closed"]))
        elif r["event"] == "pilot":
            pilot.append((r["t_ms"], r["mode"]))

    def closed_at(x):
        c = False
        for t, v in relay:
            if t > x:
                break
            c = v
        return c

    for r in rows:
        if r["event"] != "fault" or not closed_at(r["t_ms"] - TICK_MS):
            continue
        t = r["t_ms"]
        modes = [(pt, m) for pt, m in pilot if pt >= t]
        assert modes and modes[0] == (t, "-12V"), ("no F at a fault while charging", r, modes[:2])
        if len(modes) > 1:
            assert modes[1][0] - t >= F_MIN_MS, ("F shorter than 300 ms", r, modes[:2])


def step_and_check(run, chk, end):
    """Advance run one runner step at a time (every input, tick and model edge is one), chk.check after
    each, to the end; the number of steps."""
    t = 0
    steps = 0
    while True:
        run.advance(t)
        chk.check(t)
        steps += 1
        nt = run.t
        if nt > end:
            break
        t = nt
    if t < end:
        run.advance(end)
        chk.check(end)
    return steps


def _play(sc, setup, worst, stats):
    lines = []
    run = Run(sc, lines.append)
    chk = Checker(run, setup, worst)
    chk.run_lines = lines
    stats["steps"] += step_and_check(run, chk, sc.duration_ms)
    _check_f_periods(lines)
    stats["closes"] += run.ch.closes
    faults = run.ch.faults
    for b in range(F.COUNT):
        if faults & (1 << b):
            stats["faults"][F.NAMES[b]] = stats["faults"].get(F.NAMES[b], 0) + 1


def _property(setup_strategy, name):
    count = [0]
    worst = {}
    stats = {"steps": 0, "closes": 0, "faults": {}}

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(setup_strategy, _STEPS)
    def prop(setup, steps):
        count[0] += 1
        _play(_scenario(setup, steps), setup, worst, stats)

    prop()
    print("\n%s: %d examples, %d steps, %d closes; worst cause->open ms: %s; faults at the end: %s" % (
        name, count[0], stats["steps"], stats["closes"],
        ", ".join("%s %d" % (k, worst[k]) for k in sorted(worst)),
        ", ".join("%s %d" % (k, stats["faults"][k]) for k in sorted(stats["faults"]))))
    assert count[0] >= MIN_EXAMPLES, count[0]
    assert stats["closes"] > count[0] // 4, stats  # the sequences do reach charging


def test_property_tethered_contactor_closes_only_when_safe_and_opens_in_time():
    """docs/standards.md (all sections): tethered cable, with and without PP (latch) sensing."""
    _property(_SETUP.map(lambda s: dict(s, socket="tethered")), "tethered")


def test_property_type2_contactor_closes_only_when_safe_and_opens_in_time():
    """docs/standards.md (all sections) plus the Type 2 lock and cable coding."""
    _property(_SETUP.map(lambda s: dict(s, socket="type2", pp_sense=False)), "type2")


def test_property_skipping_quiet_ticks_never_changes_the_trace():
    """Charger.idle_until contract, on random sequences: skipping quiet ticks gives the trace of stepping
    every tick (no ADC noise, so both runs read the same values)."""
    count = [0]

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_SETUP, _STEPS)
    def prop(setup, steps):
        count[0] += 1
        sc = _scenario(setup, steps)
        a = []
        b = []
        Run(sc, a.append, skip_quiet=False, noise=False).run()
        Run(sc, b.append, skip_quiet=True, noise=False).run()
        assert a == b, "\n".join(x + "   |   " + y for x, y in zip(a, b) if x != y)

    prop()
    print("\nskip-quiet: %d examples" % count[0])
    assert count[0] >= MIN_EXAMPLES, count[0]
