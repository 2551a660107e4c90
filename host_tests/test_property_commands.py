# Property (issue 8): every console command, interleaved with random session events, on the core-only
# bench and on the virtual Pico, can never make a live session unsafe. After every step: the contactor is
# closed only when every condition holds (test_property_safety.Checker, against the bench's physical ground
# truth, with the installation settings in force); a Type 2 socket is never unlocked while the contactor is
# closed or its load side is live; the advertised current never exceeds min(setting, runtime limit, cable
# coding, board rating, temperature derating) after the tick that changed any of them. CPython only.
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evse import settings as S
from evse.charger import TICK_MS
from evse.duty import ma_for_duty
from evse.iodata import PILOT_PWM, SOCKET_TYPE2
from host_tests.test_property_safety import (
    _GAP, _SETUP, TEMP_LIMIT_MS, Checker, _check_f_periods, _event, step_and_check,
)
from host_tests.test_property_safety import _scenario as _base_scenario
from tools.vboard.run import make_run

EXAMPLES = 1000  # per board
MIN_EXAMPLES = 1000
PIN = "1234"
TEMP_MARGIN_DC = 10  # 1 C: the virtual board's temperature sensor, read through its ADC


def _command_lines():
    """Every command, and every setting with valid, edge and out-of-range values."""
    out = ["revert", "factory-reset", "reset", "enable", "disable", "sleep", "save", "selftest", "status",
           "unlock " + PIN, "unlock 0000", "lock", "limit 0", "limit 6", "limit 13", "limit 80", "limit none",
           "limit 81", "limit -1"]
    for s in S.SCHEMA:
        if s.name.startswith("cal_"):
            # The pilot calibration changes what the board believes it measures: a value typed in at
            # random on a sound board (gain 0.9) reads A as B, and the unplug is not seen (the socket then
            # stays locked: safe, but not what this property's ground truth expects). Its session lock is
            # tested in test_commands; the procedure in test_calibration.
            continue
        if s.kind == S.T_INT:
            vals = [s.lo, s.hi, s.lo - 1, s.hi + 1, s.default, (s.lo + s.hi) // 2]
        elif s.kind == S.T_BOOL:
            vals = ["on", "off"]
        elif s.kind == S.T_CHOICE:
            vals = list(s.choices) + ["bogus"]
        else:
            vals = [PIN, "none", "12"]
        for v in vals:
            out.append("set %s %s" % (s.name, v))
    return sorted(out)


_LINES = _command_lines()
_CMD = st.tuples(st.just("console"), st.sampled_from(_LINES))
_GENERAL = st.lists(st.tuples(_GAP, st.one_of(_CMD, _CMD, _event())), min_size=3, max_size=30)
_CMDS = st.lists(st.tuples(_GAP, _CMD), min_size=1, max_size=6)


@st.composite
def _sessions(draw):
    """Commands while charging, after the EV stops (B), after it leaves (A), and in a second session."""
    steps = draw(_CMDS)
    steps.append((draw(st.integers(0, 3000)), ("ev", "B")))
    steps += draw(_CMDS)
    steps.append((draw(st.integers(0, 3000)), ("ev", "A")))
    steps += draw(_CMDS)
    steps += [(draw(st.integers(100, 3000)), ("ev", "B")), (draw(st.integers(100, 1000)), ("ev", "C"))]
    steps += draw(_CMDS)
    return steps + draw(st.lists(st.tuples(_GAP, st.one_of(_CMD, _event())), max_size=8))


_STEPS = st.one_of(_GENERAL, _sessions(), _sessions())


class LiveChecker(Checker):
    """Checker with the installation settings in force taken from the charger (they change only outside
    a session), and the limit rule tightened to one tick: a reduction is never delayed."""

    def __init__(self, run, setup, worst):
        Checker.__init__(self, run, setup, worst)
        self.over1_since = None
        self.over_t_since = None
        self.run_lines = None

    def _make_conds(self):
        conds = Checker._make_conds(self)
        for c in conds:
            if c.name == "over_temperature":
                # the installation in force, and a margin: the board reads its sensor through an ADC
                # (quantisation, noise), so a temperature exactly at temp_stop_c may read a tenth below it
                c.bad = lambda t: (self.b.temp_dc > -10000
                                   and self.b.temp_dc >= self.ch.inst.temp_stop_dc + TEMP_MARGIN_DC)
        return conds

    def _sync(self):
        inst = self.ch.inst
        type2 = inst.socket == SOCKET_TYPE2
        key = (type2, inst.pp_sense and not type2, inst.ventilation)
        if key != (self.type2, self.pp_sense, self.vent):
            if self.io.relay:
                self.fail(self.prev_t, "installation settings changed with the contactor closed")
            self.type2, self.pp_sense, self.vent = key
            self.conds = self._make_conds()

    def check(self, t):
        # An interrupt may open the contactor between two of the runner's steps (the trip line's IRQ on
        # the virtual board): check at that ms too, so that the contact time is measured to the opening.
        if getattr(self, "run_lines", None) is not None and not self.io.relay and self.prev_closed:
            o = self._opened_between(self.prev_t, t)
            if o is not None and o < t:
                self._check(o)
        self._check(t)

    def _opened_between(self, a, b):
        lines = self.run_lines
        i = len(lines) - 1
        found = None
        while i >= 0:
            x = lines[i]
            k = x.index(",")
            tt = int(x[len('{"t_ms": '):k])
            if tt <= a:
                break
            if tt <= b and '"event": "relay", "closed": false' in x:
                found = tt
            i -= 1
        return found

    def _check(self, t):
        self._sync()
        io = self.io
        if self.type2:
            live = self.b.contactor.load_live(t)
            if (io.relay or live) and not io.lock:
                self.fail(t, "Type 2 lock commanded open with the contactor %s" % (
                    "closed" if io.relay else "open but its load side live"))
        # A limit is obeyed from the tick after it changed; a temperature derating once the board has read
        # the temperature (every TEMP_EVERY_MS): TEMP_LIMIT_MS.
        offer = ma_for_duty(io.duty) if io.pilot == PILOT_PWM else 0
        if offer > self._limit_ma(derate=False) + 125:
            if self.over1_since is None:
                self.over1_since = t
            elif t - self.over1_since > TICK_MS:
                self.fail(t, "advertising %d mA over a %d mA limit since %d" % (
                    offer, self._limit_ma(derate=False), self.over1_since))
        else:
            self.over1_since = None
        if offer > self._limit_ma() + 125:
            if self.over_t_since is None:
                self.over_t_since = t
            elif t - self.over_t_since > TEMP_LIMIT_MS:
                self.fail(t, "advertising %d mA over a %d mA derated limit since %d" % (
                    offer, self._limit_ma(), self.over_t_since))
        else:
            self.over_t_since = None
        Checker.check(self, t)


def _scenario(setup, steps, board):
    return _base_scenario(setup, steps, board=board)


def _play(sc, setup, stats):
    lines = []
    run = make_run(sc, lines.append)
    chk = LiveChecker(run, setup, {})
    chk.run_lines = lines
    step_and_check(run, chk, sc.duration_ms)
    _check_f_periods(lines)
    stats["closes"] += run.ch.closes
    for raw in lines:
        if '"event": "console"' in raw:
            stats["lines"] += 1
            if '"out": "OK' in raw:
                stats["ok"] += 1
            elif '"out": "ERR 15 ' in raw:
                stats["refused_session"] += 1


def _property(board):
    count = [0]
    stats = {"closes": 0, "lines": 0, "ok": 0, "refused_session": 0}

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_SETUP, _STEPS)
    def prop(setup, steps):
        count[0] += 1
        _play(_scenario(setup, steps, board), setup, stats)

    prop()
    print("\ncommands on %s: %d examples, %d closes, %d console lines (%d OK, %d refused during a session)" % (
        board, count[0], stats["closes"], stats["lines"], stats["ok"], stats["refused_session"]))
    assert count[0] >= MIN_EXAMPLES, count[0]
    assert stats["closes"] > count[0] // 4, stats  # the sequences do reach charging
    assert stats["refused_session"] > count[0] // 20, stats  # and do try the refusals


def test_property_commands_never_make_a_live_session_unsafe_on_the_bench():
    _property("bench")


def test_property_commands_never_make_a_live_session_unsafe_on_the_virtual_pico():
    _property("pico")
