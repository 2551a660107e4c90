# Scenario files: load, check every key and value, and normalise (see docs/scenarios.md).
import json
import sys

from evse import settings as S
from tools.bench.circuit import EV_B, EV_C, EV_D
from tools.bench.plant import MONITORS


class ScenarioError(Exception):
    pass


EV_LETTERS = {"A": None, "B": EV_B, "C": EV_C, "D": EV_D}
_BOOLS = ("ev_diode", "cp_short", "ground", "relay_weld", "relay_fail_close", "gfci_sensor_dead", "lock_jam",
          "meter_fail")
_NUMBERS = ("residual_ma", "residual_dc_ma")
_NULLABLE_OHM = ("ev_ohm", "pp_ohm")
INPUTS = _BOOLS + _NUMBERS + _NULLABLE_OHM + ("ev", "temp_c", "console", "ev_max_a", "ev_draw_a", "mains_v")
_TOP = ("settings", "duration_ms", "events", "seed", "board", "irq_latency_us", "monitor", "name", "description")
MAX_DURATION_MS = 24 * 3600 * 1000  # a day of virtual time: well inside a small int on 32-bit ports


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v):
    """An int, or a finite float: NaN and infinities are refused (NaN passes every range check)."""
    if _is_int(v):
        return True
    return isinstance(v, float) and v == v and v - v == 0.0


def _whole_ohms(v):
    """Resistances are whole ohms on the bench: a fractional value is rounded (half up), the same on
    both interpreters, before the run; the trace's input line shows the value used."""
    if isinstance(v, float):
        return int(v + 0.5)
    return v


def _reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def decode(text):
    """json.loads, but NaN, Infinity and -Infinity are invalid JSON, as on MicroPython (RFC 8259):
    the same scenario gets the same answer on both interpreters."""
    if sys.implementation.name == "micropython":
        return json.loads(text)
    return json.loads(text, parse_constant=_reject_constant)


def _known(names):
    return ", ".join(sorted(names))


class Scenario:
    """A checked scenario: settings values, duration, events as (t_ms, [(input, value), ...])."""

    def __init__(self):
        self.settings = S.defaults()
        self.duration_ms = 0
        self.events = []
        self.seed = 1
        self.board = "pico"  # a board file under boards/ (the whole firmware on the virtual board), or
        #                      "bench": the charging core alone on the bench models
        self.irq_latency_us = None  # interrupt latency jitter (us) on the virtual board; None: the port's own figures
        self.monitor = "ccid20"  # the residual-current monitor's AC curve (tools/bench/plant.py MONITORS)
        self.name = ""


def _check_input(where, key, v):
    if key == "ev":
        if v not in EV_LETTERS:
            raise ScenarioError(where + ': "ev" must be one of "A", "B", "C", "D"')
    elif key in _BOOLS:
        if not isinstance(v, bool):
            raise ScenarioError(where + ": " + key + " must be true or false")
    elif key in _NUMBERS:
        if not _is_num(v) or v < 0 or v > 100000:
            raise ScenarioError(where + ": " + key + " must be a number of mA from 0 to 100000")
    elif key in _NULLABLE_OHM:
        if v is not None and (not _is_num(v) or v < 0 or v > 10000000):
            raise ScenarioError(where + ": " + key + " must be ohms (0 to 1e7) or null (open)")
        if key == "ev_ohm" and v is not None and v < 1:
            raise ScenarioError(where + ": ev_ohm must be at least 1 ohm (use cp_short for a short)")
    elif key == "temp_c":
        if v is not None and (not _is_num(v) or v < -60 or v > 200):
            raise ScenarioError(where + ": temp_c must be -60..200 or null (no sensor)")
    elif key == "ev_max_a":
        if not _is_num(v) or v < 0 or v > 80:
            raise ScenarioError(where + ": ev_max_a must be a number of A from 0 to 80")
    elif key == "ev_draw_a":
        if v is not None and (not _is_num(v) or v < 0 or v > 200):
            raise ScenarioError(where + ": ev_draw_a must be a number of A from 0 to 200, or null (the model)")
    elif key == "mains_v":
        if not _is_num(v) or v < 100 or v > 300:
            raise ScenarioError(where + ": mains_v must be a number of V from 100 to 300")
    elif key == "console":
        if not isinstance(v, str):
            raise ScenarioError(where + ": console must be a string")
    else:
        raise ScenarioError(where + ": unknown input " + json.dumps(key) + " (known: " + _known(INPUTS) + ")")


def parse(obj):
    """Check a decoded scenario object; return a Scenario or raise ScenarioError saying what is wrong."""
    if not isinstance(obj, dict):
        raise ScenarioError("a scenario is a JSON object")
    for k in obj:
        if k not in _TOP:
            raise ScenarioError("unknown key " + json.dumps(k) + " (known: " + _known(_TOP) + ")")
    sc = Scenario()
    d = obj.get("duration_ms")
    if not _is_int(d) or d <= 0 or d > MAX_DURATION_MS:
        raise ScenarioError("duration_ms must be a whole number of ms from 1 to %d" % MAX_DURATION_MS)
    sc.duration_ms = d
    seed = obj.get("seed", 1)
    if not _is_int(seed) or seed < 0 or seed > 0xFFFFFFFF:
        raise ScenarioError("seed must be a whole number from 0 to 4294967295")
    sc.seed = seed
    sc.board = obj.get("board", "pico")
    if not isinstance(sc.board, str):
        raise ScenarioError("board must be a string")
    lat = obj.get("irq_latency_us")
    if lat is not None and (not _is_int(lat) or lat < 0 or lat > 1000):
        raise ScenarioError("irq_latency_us must be a whole number from 0 to 1000")
    sc.irq_latency_us = lat
    sc.monitor = obj.get("monitor", "ccid20")
    if sc.monitor not in MONITORS:
        raise ScenarioError("monitor must be one of " + ", ".join(json.dumps(m) for m in MONITORS))
    sc.name = obj.get("name", "")
    st = obj.get("settings", {})
    if not isinstance(st, dict):
        raise ScenarioError("settings must be an object")
    for k in sorted(st):
        s = S.find(k)
        if s is None or s.name == "pin":
            raise ScenarioError("settings: unknown setting " + json.dumps(k))
        if not S.valid(s, st[k]):
            raise ScenarioError("settings: bad value for " + k + ": " + json.dumps(st[k]))
        sc.settings[k] = st[k]
    if sc.settings["temp_derate_c"] >= sc.settings["temp_stop_c"]:
        raise ScenarioError("settings: temp_derate_c must be below temp_stop_c")
    evs = obj.get("events", [])
    if not isinstance(evs, list):
        raise ScenarioError("events must be a list")
    rows = []
    for i in range(len(evs)):
        e = evs[i]
        where = "events[%d]" % i
        if not isinstance(e, dict):
            raise ScenarioError(where + " must be an object")
        t = e.get("t_ms")
        if not _is_int(t) or t < 0 or t > d:
            raise ScenarioError(where + ": t_ms must be a whole number from 0 to duration_ms")
        items = []
        for k in sorted(e):
            if k == "t_ms":
                continue
            _check_input(where, k, e[k])
            items.append((k, _whole_ohms(e[k]) if k in _NULLABLE_OHM else e[k]))
        if not items:
            raise ScenarioError(where + ": no input (known: " + _known(INPUTS) + ")")
        rows.append((t, i, items))
    rows.sort()  # by time, then file order
    sc.events = [(r[0], r[2]) for r in rows]
    return sc


def load(path):
    """Read and check a scenario file."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        raise ScenarioError("cannot read " + path)
    try:
        obj = decode(text)
    except ValueError as e:
        # CPython's JSONDecodeError says where; MicroPython's json does not (tools.sim checks on the host).
        line = getattr(e, "lineno", None)
        if line is not None:
            raise ScenarioError("%s is not valid JSON: line %d column %d: %s" % (
                path, line, getattr(e, "colno", 0), getattr(e, "msg", "")))
        raise ScenarioError(path + " is not valid JSON")
    return parse(obj)
