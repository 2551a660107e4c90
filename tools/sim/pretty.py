# A readable timeline of a trace: one row per moment something changed (used by `make sim`).
import json

_FAULT_HINT = {
    "diode": "EV diode missing or shorted",
    "cp_short": "control pilot shorted to earth",
    "pilot_fault": "pilot voltage outside every state window",
    "vent_required": "EV needs ventilation, not allowed here",
    "gfci_trip": "residual current tripped",
    "gfci_selftest": "residual-current self-test failed",
    "no_ground": "protective earth missing",
    "relay_welded": "contactor welded",
    "relay_fail_close": "contactor did not close",
    "over_temperature": "too hot",
    "pp_invalid": "cable / proximity invalid",
    "lock_failed": "socket lock did not confirm",
    "ev_not_responding": "EV ignored the withdrawn PWM",
}


def _clock(ms):
    s, ms = divmod(ms, 1000)
    m, s = divmod(s, 60)
    return "%3d:%02d.%03d" % (m, s, ms)


def render(lines):
    """Trace lines (JSON text) -> a table as one string."""
    st = {"state": "?", "pilot": "?", "relay": "open", "live": None}
    rows = []
    cur_t = None
    notes = []

    def flush():
        if cur_t is not None:
            rows.append("%s  %-5s %-17s %-13s %s" % (_clock(cur_t), st["state"], st["pilot"], _contactor(st),
                                                     "; ".join(notes)))

    for raw in lines:
        if not raw.strip():
            continue
        e = json.loads(raw)
        if e["t_ms"] != cur_t:
            flush()
            cur_t = e["t_ms"]
            notes = []
        kind = e["event"]
        if kind == "state":
            st["state"] = e["state"]
        elif kind == "pilot":
            if e["mode"] == "pwm":
                st["pilot"] = "PWM %5s%% %sA" % (e["duty_pct"], e["amps"])
            else:
                st["pilot"] = e["mode"]
        elif kind == "relay":
            st["relay"] = "CLOSED" if e["closed"] else "open"
        elif kind == "load":
            st["live"] = e["live"]
        elif kind == "fault":
            notes.append("FAULT %s%s (%s)" % (e["code"], ", latched" if e["latched"] else "",
                                             _FAULT_HINT.get(e["code"], "")))
        elif kind == "fault_cleared":
            notes.append("cleared %s" % e["code"])
        elif kind == "selftest":
            notes.append("residual-current self-test %s" % e["result"])
        elif kind == "input":
            if set(e) == {"t_ms", "event", "console"}:
                continue  # the console event below says it with the reply
            notes.append(", ".join("%s=%s" % (k, json.dumps(e[k])) for k in sorted(e) if k not in ("t_ms", "event")))
        elif kind == "lock":
            notes.append("socket %s" % ("locked" if e["locked"] else "unlocked"))
        elif kind == "latch":
            notes.append("latch button %s" % ("pressed" if e["pressed"] else "released"))
        elif kind == "console":
            notes.append("console %r -> %r" % (e["in"], e["out"]))
    flush()
    head = "%10s  %-5s %-17s %-13s %s" % ("time", "state", "pilot", "contactor", "what happened")
    return "\n".join([head, "-" * 78] + rows) + "\n"


def _contactor(st):
    """The command, and beside it what the load-side sense reads when the two disagree: a weld reads
    "open (LIVE)", a contactor that does not close "CLOSED (dead)" (also for its pull-in, a few ms)."""
    cmd = st["relay"]
    live = st["live"]
    if live is None or live == (cmd == "CLOSED"):
        return cmd
    return cmd + (" (LIVE)" if live else " (dead)")
