# Reaction times in virtual ms, measured from scenario traces: the cause's moment to the contactor command.
import json

from tools.bench.plant import ac_trip_ms
from tools.sim.runner import Run
from tools.sim.scenario import parse

OPENEVSE_DEBOUNCE_MS = 250  # OpenEVSE's pilot-state debounce, for comparison (its published source)
T = 10000  # the cause happens here, 8 s into steady charging

# name, extra settings, inputs at T, standard's limit (ms or None), its wording, our budget (ms or None)
CASES = (
    ("C -> B (EV stops)", {}, {"ev": "B"}, 100, "IEC 61851-1 Table A.6: open within 100 ms", 30),
    ("unplug (C -> A)", {}, {"ev": "A"}, 100, "Table A.6: open within 100 ms", 30),
    ("diode lost", {}, {"ev_diode": False}, 100, "diode check (N): treated like a state change", None),
    ("CP short (C -> E)", {}, {"cp_short": True}, 3000, "Table A.6 / A.4.9: open within 3 s", None),
    ("J1772 latch button", {"pp_sense": True}, {"pp_ohm": 480}, None,
     "before the plug moves (no figure)", None),
    ("ground loss", {}, {"ground": False}, 1000, "PE lost while closed: anchors open within 1 s", None),
    ("over-temperature", {}, {"temp_c": 90}, None, "no figure", None),
    ("residual current 30 mA", {}, {"residual_ma": 30}, None, "UL 2231-2 / UL 943 curve (see note)", 5),
)


def _trace(settings, inputs, extra_events=(), t=T):
    sc = {"settings": settings, "duration_ms": T + 5000,
          "events": [{"t_ms": 1000, "ev": "B"}, {"t_ms": 2000, "ev": "C"}, dict(inputs, t_ms=t)]}
    sc["events"].extend(extra_events)
    lines = []
    Run(parse(sc), lines.append).run()
    return [json.loads(x) for x in lines]


def _first(events, kind, after, **match):
    for e in events:
        if e["t_ms"] >= after and e["event"] == kind and all(e.get(k) == v for k, v in match.items()):
            return e["t_ms"]
    return None


PHASES = 10  # the cause at T + 0..9 ms: every phase against the 10 ms control tick


def measure():
    """Rows: (name, worst reaction ms over PHASES, what it is measured from, limit, limit text, budget).
    The worst is None if any phase never opened the contactor."""
    rows = []
    for name, st, inputs, limit, text, budget in CASES:
        worst = 0
        origin = "the input"
        for k in range(PHASES):
            t = T + k
            ev = _trace(st, inputs, t=t)
            if _first(ev, "relay", 0, closed=True) is None:
                raise RuntimeError("reactions: %s: never charged" % name)
            opened = _first(ev, "relay", t, closed=False)
            start = t
            if "residual_ma" in inputs:
                start = t + ac_trip_ms(inputs["residual_ma"])
                origin = "the monitor's trip signal (%d ms after the leak)" % (start - t)
            if opened is None:
                worst = None
                break
            worst = max(worst, opened - start)
        rows.append((name, worst, origin, limit, text, budget))
    # welded contactor: the EV stops at T with welded contacts; the fault must follow > 1 s of live load
    ev = _trace({}, {"relay_weld": True}, [{"t_ms": T + 1000, "ev": "B"}])
    opened = _first(ev, "relay", T + 1000, closed=False)
    fault = _first(ev, "fault", T + 1000, code="relay_welded")
    rows.append(("welded contactor", None if fault is None or opened is None else fault - opened,
                 "the open command (fault raised once the load side stays live)", 1000,
                 "load side live > 1 s after opening -> latched", None))
    return rows


def vboard_c_to(letter, board="pico", phases=PHASES):
    """Worst us from the EV's change (C -> letter) to the contactor coil's pin going low, over phases of
    the change against the tick: the whole firmware booted with main.run() on the virtual board, its step
    on its timer interrupt (tools/vboard/vmain.py). Measured from the change itself, not from the step."""
    from tools.vboard.vmain import VMain

    worst = 0
    for k in range(phases):
        t = 4000 + k
        sc = parse({"duration_ms": 4200, "board": board,
                    "events": [{"t_ms": 1000, "ev": "C"}, {"t_ms": t, "ev": letter}]})
        v = VMain(sc)
        v.run()
        r = v.opened_after_us(t)
        if r is None:
            return None
        worst = max(worst, r)
    return worst


def vboard_isr_rate(board="pico"):
    """(sampler ISR calls, step timer calls, guard timer calls) per second while charging at 53.3 %, and
    the time the step took before: counted on the virtual board over 2 s of steady charging."""
    from tools.vboard.vmain import VMain

    seen = {}

    def probe(app):
        async def task():
            import asyncio

            from tools.vboard import clock

            await asyncio.sleep_ms(3000)
            seen["a"] = (sum(app.hw.sampler.cnt), app.steps, clock.K.timer_calls)
            await asyncio.sleep_ms(2000)
            seen["b"] = (sum(app.hw.sampler.cnt), app.steps, clock.K.timer_calls)
            await asyncio.sleep_ms(100000)

        return task()

    sc = parse({"duration_ms": 5100, "board": board, "events": [{"t_ms": 1000, "ev": "C"}]})
    v = VMain(sc, extra=[probe])
    v.run()
    a, b = seen["a"], seen["b"]
    isr = (b[0] - a[0]) / 2.0
    steps = (b[1] - a[1]) / 2.0
    timers = (b[2] - a[2]) / 2.0
    return isr, steps, timers - steps
