# Helpers for the virtual-board tests: scenario files, runs on the bench and on a board, safety events.
# Plain Python: runs under MicroPython too.
import json
import os

from tools.sim.scenario import load
from tools.vboard.run import make_run

ROOT = "/".join(__file__.replace("\\", "/").split("/")[:-2]) or "."
SAFETY = ("relay", "fault", "fault_cleared", "state", "selftest")


def scenario_files():
    out = []
    for sub in ("scenarios", "scenarios/faults"):
        d = ROOT + "/" + sub
        for n in sorted(os.listdir(d)):
            if n.endswith(".json"):
                out.append(d + "/" + n)
    return out


def trace(path_or_sc, board=None, **kw):
    """Trace lines of a scenario (a path or a Scenario) on board (None: the scenario's own)."""
    sc = load(path_or_sc) if isinstance(path_or_sc, str) else path_or_sc
    if board is not None:
        sc.board = board
    lines = []
    make_run(sc, lines.append, **kw).run()
    return lines


def safety_events(lines):
    """[(t_ms, event, detail)] for the events that carry safety timing: relay, faults, state, self-test."""
    out = []
    for raw in lines:
        e = json.loads(raw)
        kind = e["event"]
        if kind not in SAFETY:
            continue
        if kind == "relay":
            d = "closed" if e["closed"] else "open"
        elif kind == "state":
            d = e["state"]
        elif kind == "selftest":
            d = e["result"]
        else:
            d = e["code"]
        out.append((e["t_ms"], kind, d))
    return out


def _kind(events, kind):
    return [x for x in events if x[1] == kind]


def compare(a, b, tol_ms):
    """None if, for each kind of safety event, both lists have the same events in the same order, each
    within tol_ms of the other; else a message. (Within one ms the kinds may come in another order: an IRQ
    and a tick at the same ms.)"""
    for kind in SAFETY:
        ka = _kind(a, kind)
        kb = _kind(b, kind)
        if [x[2] for x in ka] != [x[2] for x in kb]:
            return "%s events differ: %r vs %r" % (kind, ka, kb)
        for x, y in zip(ka, kb):
            if abs(x[0] - y[0]) > tol_ms:
                return "%r at %d vs %d" % (x[1:], x[0], y[0])
    return None


def max_offset(a, b):
    m = 0
    for kind in SAFETY:
        for x, y in zip(_kind(a, kind), _kind(b, kind)):
            if abs(x[0] - y[0]) > m:
                m = abs(x[0] - y[0])
    return m
