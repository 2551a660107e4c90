# Test helper for the core tests: a Charger on the scenario bench, driven by a scenario built in code,
# with its trace read back as dicts. Plain Python: runs under MicroPython too (tools/mptest.py).
import json

from evse.charger import TICK_MS
from tools.sim.runner import Run
from tools.sim.scenario import parse

# Standard limits (docs/standards.md "Timing"; IEC 61851-1 Table A.6), as the tests hold the core to them.
CLOSE_LIMIT_MS = 3000  # B2 -> C2: close within 3 s
OPEN_LIMIT_MS = 100  # C/D -> B, A, E or F: open within 100 ms
CP_SHORT_LIMIT_MS = 3000  # A.4.9: CP short added while in C: open within 3 s
GROUND_LIMIT_MS = 1000  # PE lost while closed: open (anchors check within 1 s)
RCD_LIMIT_MS = 5  # from the residual-current monitor's signal to the contactor command open
DETECT_LIMIT_MS = 50  # state detection: never delayed more than 50 ms
F_MIN_MS = 300  # fault while charging: F (-12 V) for >= 300 ms, then x1
WITHDRAW_MS = 6000  # PWM withdrawn, EV stays in C: open under load at 6 s
UNLOCK_LIMIT_MS = 5000  # unplug -> A: unlock a Type 2 socket within 5 s
RECLOSE_MS = 15 * 60 * 1000  # UL 2231-2: reclose no sooner than 15 min after a trip
MAX_RECLOSURES = 4

# The usual start of a session in these tests: plug in (B), ask for power (C), charging from ~2.06 s.
PLUG_B_MS = 1000
ASK_C_MS = 2000


def charging_events(extra=()):
    """Events that plug a vehicle in and have it ask for power, plus extra ones."""
    ev = [{"t_ms": PLUG_B_MS, "ev": "B"}, {"t_ms": ASK_C_MS, "ev": "C"}]
    for e in extra:
        ev.append(e)
    return ev


def rows_of(rows, event, after=0, **match):
    """Every trace row (dicts) of this event at or after `after` whose fields equal `match`."""
    out = []
    for r in rows:
        if r["event"] != event or r["t_ms"] < after:
            continue
        ok = True
        for k in match:
            if r.get(k) != match[k]:
                ok = False
        if ok:
            out.append(r)
    return out


def last_at(rows, t, event, field, default=False):
    """The value of `field` in the last `event` row at or before t (default before any)."""
    v = default
    for r in rows:
        if r["t_ms"] > t:
            break
        if r["event"] == event:
            v = r[field]
    return v


def energised_unlocked(rows):
    """The first row at which the contactor is closed with the socket lock commanded open, or None."""
    closed = locked = False
    for r in rows:
        if r["event"] == "relay":
            closed = r["closed"]
        elif r["event"] == "lock":
            locked = r["locked"]
        if closed and not locked:
            return r
    return None


class Rig:
    """One scenario run built in code. advance(t) steps it; rows() is the trace so far as dicts."""

    def __init__(self, events, settings=None, duration_ms=60000, skip_quiet=True, noise=True, seed=1):
        obj = {"duration_ms": duration_ms, "events": list(events), "seed": seed}
        if settings:
            obj["settings"] = settings
        self.sc = parse(obj)
        self.lines = []
        self.run = Run(self.sc, self.lines.append, skip_quiet=skip_quiet, noise=noise)
        self.ch = self.run.ch
        self.io = self.ch.io
        self.bench = self.run.bench
        self._rows = []

    def advance(self, t):
        self.run.advance(t)
        return self

    def finish(self):
        self.run.run()
        return self

    def rows(self):
        while len(self._rows) < len(self.lines):
            self._rows.append(json.loads(self.lines[len(self._rows)]))
        return self._rows

    def find(self, event, after=0, **match):
        """Every trace row of this event at or after `after` whose fields equal `match`."""
        return rows_of(self.rows(), event, after, **match)

    def first(self, event, after=0, **match):
        """t_ms of the first matching row at or after `after`, or None."""
        rs = self.find(event, after, **match)
        return rs[0]["t_ms"] if rs else None

    def relay_open_at(self, after):
        return self.first("relay", after, closed=False)

    def relay_close_at(self, after):
        return self.first("relay", after, closed=True)

    def fault_at(self, code, after=0):
        return self.first("fault", after, code=code)

    def pilot_after(self, t):
        """The pilot rows from t on, as (t_ms, mode)."""
        return [(r["t_ms"], r["mode"]) for r in self.find("pilot", t)]

    def f_period(self, after):
        """(start, end, next mode) of the first -12 V period at or after `after`; end None if it lasts."""
        rows = self.pilot_after(after)
        for i in range(len(rows)):
            if rows[i][1] == "-12V":
                if i + 1 < len(rows):
                    return rows[i][0], rows[i + 1][0], rows[i + 1][1]
                return rows[i][0], None, None
        return None


def worst(measure, phases=TICK_MS):
    """Largest value of measure(k) over k = 0 .. phases-1 ms of offset against the 10 ms tick grid."""
    w = None
    for k in range(phases):
        v = measure(k)
        assert v is not None, "no reaction at phase %d" % k
        if w is None or v > w:
            w = v
    return w


ANY = object()  # input_at(): any value


def repo_path(rel):
    """A path inside the repository, from this file's place (works from any cwd, on both interpreters)."""
    parts = __file__.replace("\\", "/").split("/")[:-2]
    base = "/".join(parts)
    return base + "/" + rel if base else rel


def scenario_files():
    """Every scenarios/**/*.json (one level of subfolders), sorted, as repository paths."""
    import os

    out = []
    top = repo_path("scenarios")
    for name in sorted(os.listdir(top)):
        if name.endswith(".json"):
            out.append(top + "/" + name)
        elif "." not in name:
            try:
                sub = sorted(os.listdir(top + "/" + name))
            except OSError:
                continue
            for n in sub:
                if n.endswith(".json"):
                    out.append(top + "/" + name + "/" + n)
    return out


class FileRun(Rig):
    """A scenario file run in-process, its trace collected (the same machinery as python -m tools.sim)."""

    def __init__(self, path, skip_quiet=True, noise=True):
        from tools.sim.scenario import load

        self.sc = load(path)
        self.lines = []
        self.run = Run(self.sc, self.lines.append, skip_quiet=skip_quiet, noise=noise)
        self.ch = self.run.ch
        self.io = self.ch.io
        self.bench = self.run.bench
        self._rows = []

    def input_at(self, key, value=ANY, after=0):
        """t_ms of the first input row that sets `key` (to `value` if given; None matches null)."""
        for r in self.rows():
            if r["event"] == "input" and r["t_ms"] >= after and key in r:
                if value is ANY or r[key] == value:
                    return r["t_ms"]
        return None
