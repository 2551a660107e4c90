# make bench: the web server's figures (issue 14). RAM on the 32-bit webassembly port and the 64-bit unix port
# (tools/perf/mp_web_ram.py: the import, the server object, connections held half-read, the peak while serving
# /api/status, /api/settings, a login and a setting; alone and with MQTT and OCPP connected), CPU per
# /api/status request and per server-sent event (callgrind), and the control step's C->B with 20 clients, a
# slowloris and garbage against the server on the virtual board in virtual time (host_tests/test_vboard_web.py).
import io
import os
import shutil
import subprocess
import sys
from contextlib import redirect_stdout

from tools import fwbuild
from tools.perf import board_figures
from tools.perf.board_figures import ROOT, STUB, json_line, micropython

SCRIPT = os.path.join(ROOT, "tools", "perf", "mp_web_ram.py")
CPU_N = 20  # requests or events counted (the difference against none): enough to drown the set-up's noise


def web_tree(tree):
    """tree (board_figures.mpy_tree) with microdot's three files compiled into firmware/microdot/, as the image."""
    for src, rel in fwbuild.library_sources():
        fwbuild.compile_one(src, os.path.join(tree, "firmware", rel + ".mpy"))
    return tree


def ram(tree, together=False):
    """(unix JSON, webassembly JSON or None): live heap after each stage of mp_web_ram.py."""
    flag = ["--together"] if together else []
    brd = os.path.join(ROOT, "boards", "pico.py")
    unix = json_line(micropython([STUB, os.path.join(tree, "firmware")], [SCRIPT, brd] + flag, "1M"), "web RAM")
    wasm = None
    if shutil.which("node") and os.path.isdir(os.path.join(ROOT, "node_modules")):
        p = subprocess.run(["node", os.path.join(ROOT, "tools", "wasm", "webram.mjs"), tree, brd] + flag, cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        wasm = json_line(p, "webassembly web RAM")
    return unix, wasm


def cpu(tree, what):
    """x86-64 instructions per /api/status request (what "status") or per event (what "event")."""
    if not shutil.which("valgrind"):
        return None
    env = dict(os.environ, MICROPYPATH=os.pathsep.join([".frozen", STUB, os.path.join(tree, "firmware")]))
    brd = os.path.join(ROOT, "boards", "pico.py")
    c = []
    for n in (0, CPU_N):
        out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                              board_figures.MICROPYTHON, "-X", "heapsize=512K", SCRIPT, brd, "--cpu", what, str(n)],
                             env=env, cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, universal_newlines=True)
        got = [ln for ln in out.stderr.splitlines() if "Collected :" in ln]
        if out.returncode != 0 or not got:
            return None
        c.append(int(got[-1].split(":")[-1]))
    return (c[1] - c[0]) // CPU_N


def timing():
    """{scenario: C->B us} from host_tests/test_vboard_web.py's runs (CPython; virtual time: exact)."""
    sys.path.insert(0, ROOT)
    from host_tests import test_vboard_web as t

    t.FIGURES.clear()
    with redirect_stdout(io.StringIO()):
        for f in (t.test_web_off_imports_nothing_of_the_web_side,
                  t.test_twenty_clients_at_once_delay_nothing_and_get_503_beyond_the_limit,
                  t.test_a_slowloris_and_a_client_that_never_reads_delay_nothing_and_the_server_recovers,
                  t.test_garbage_is_refused_or_dropped_delays_nothing_and_the_server_recovers,
                  t.test_clients_that_never_read_a_long_answer_lose_their_slots_at_the_write_deadline):
            f()
    return dict(t.FIGURES)


def measure(tree):
    tree = web_tree(tree)
    return {"ram": ram(tree), "together": ram(tree, True), "status": cpu(tree, "status"),
            "event": cpu(tree, "event"), "timing": timing()}


def _kb(n):
    return "%.1f KB" % (n / 1024.0)


def _time(us):
    return "%.1f ms" % (us / 1000.0) if us >= 1000 else "%.0f µs" % us


def _parts(r):
    """The figures of one mp_web_ram.py run, in bytes."""
    base = r["release"]  # the server made, no connection open
    return {"import": r["web_import"] - r["boot"], "server": r["web_server"] - r["web_import"],
            "conn": (r["hold4"] - r["web_server"]) // 4, "status": r["status"] - base,
            "settings": r["settings"] - base, "login": r["login"] - base, "post": r["post_setting"] - base,
            "event": r["event"] - base}


def rows(web, cycles_per_insn, hz, budget, ok):
    """The Summary table's rows."""
    if not web:
        return []
    out = []
    u, w = web["ram"]
    for name, r in (("32-bit webassembly port", w), ("unix port (64-bit)", u)):
        if r is None:
            continue
        p = _parts(r)
        out.append("| web server RAM, pico, %s: `.mpy` files (microdot 3 files + `web/`) | import %s, server object "
                   "%s, %d bytes a connection held half-read; peak over the idle server while serving: /api/status "
                   "%s, /api/settings %s, a login %s, a setting posted %s, an event stream's look %s | | | "
                   "tools/perf/mp_web_ram.py: Web.handle_request on in-memory streams (no sockets, no read-deadline "
                   "task: a board adds an asyncio Task, a socket and lwIP buffers per connection) |"
                   % (name, _kb(p["import"]), _kb(p["server"]), p["conn"], _kb(p["status"]), _kb(p["settings"]),
                      _kb(p["login"]), _kb(p["post"]), _kb(p["event"])))
    u, w = web["together"]
    for name, r in (("32-bit webassembly port", w), ("unix port (64-bit)", u)):
        if r is None:
            continue
        peak = max(r[k] for k in r if isinstance(r[k], int) and k != "event_bytes")
        out.append("| RAM with MQTT, OCPP and web together, the console in use, pico, %s: `.mpy` files | peak %s "
                   "(%s in this run's MQTT and OCPP stage, before the web side) | %s | %s | the MQTT and OCPP "
                   "runs above, then the web rows' requests |" % (name, _kb(peak), _kb(r["together"]),
                                             "96 KB" if r is w else "", ok(peak, budget) if r is w else ""))
    for key, what in (("status", "one /api/status request (parse, snapshot, JSON, answer)"),
                      ("event", "one server-sent event (a look at the status that finds a change, the JSON, "
                                "the event)")):
        n = web.get(key)
        if not n:
            continue
        us = n * cycles_per_insn / hz * 1e6
        extra = ""
        if key == "event":
            extra = "; one open page while the status changes at every look (every 0.5 s) = %.1f %% of the CPU" % (
                us / 5000.0)
        out.append("| web server, %s, RP2040 (estimate) | about %s%s | | | %d x86-64 instructions (callgrind, "
                   "tools/perf/mp_web_ram.py --cpu), outside the control step |" % (what, _time(us), extra, n))
    t = web.get("timing") or {}
    for name in sorted(t):
        out.append("| C -> B with the web server under load: %s, whole firmware on the virtual board | %.1f ms | "
                   "30 ms | %s | host_tests/test_vboard_web.py, virtual time |" % (name, t[name] / 1000.0,
                                                                               ok(t[name], 30000 + 100)))
    return out


def missed(web, budget):
    """The paragraph for the Missed section, or []."""
    if not web or web["together"][1] is None:
        return []
    r = web["together"][1]
    peak = max(r[k] for k in r if isinstance(r[k], int) and k != "event_bytes")
    if peak <= budget:
        return []
    p = _parts(web["ram"][1]) if web["ram"][1] is not None else None
    out = ["## Missed: RAM with MQTT, OCPP and web together", "",
           "The firmware with MQTT and OCPP connected, the console in use and the web server answering peaks at",
           "%s on the 32-bit port, against 96 KB (%s in the same run before the web side was imported)."
           % (_kb(peak), _kb(r["together"]))]
    if p is not None:
        out.append("**Cause:** as for the boot figure, the bytecode of every imported `.mpy` is copied into the heap: "
                   "of the")
        out.append("web side's %s, most is microdot's and `web/`'s code and module objects; a request adds at "
                   "most %s while it is served." % (_kb(p["import"] + p["server"]), _kb(max(p["status"], p["settings"],
                                                                                       p["login"], p["post"]))))
    out.append("**Fix:** the same as above: run the code from flash (frozen modules or a ROMFS image), which leaves")
    out.append("the heap to the objects and the requests.")
    a = web["ram"][1]
    if a is not None:
        alone = max(a[k] for k in a if isinstance(a[k], int) and k != "event_bytes")
        out.append("With neither MQTT nor OCPP, the firmware and the web side peak at %s: over the budget on their"
                   % _kb(alone))
        out.append("own too.")
    out.append("")
    return out
