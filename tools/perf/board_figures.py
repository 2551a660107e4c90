# make bench, whole-firmware figures: RAM after boot (firmware alone, on do-nothing hardware; .mpy files on
# the filesystem, and from a ROMFS image), the virtual board's peak heap over 30 minutes, the sampling ISR,
# the smallest heap for a whole session (bisection), and the allocation proofs on the webassembly engine.
import json
import os
import shutil
import subprocess
import tempfile

from tools import fwbuild

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, ".venv", "bin")
MICROPYTHON = os.environ.get("MICROPYTHON") or os.path.join(BIN, "micropython")
STUB = os.path.join(ROOT, "tools", "perf", "stub")
SESSION = os.path.join(ROOT, "scenarios", "plain_session.json")
LONG = os.path.join(ROOT, "scenarios", "gfci_reclose.json")
BOARDS = ("pico", "esp32")


def mpy_tree():
    """firmware/ and tools/ compiled to .mpy in a temp folder (as deployed: nothing compiled on the board)."""
    out = tempfile.mkdtemp(prefix="evse-mpy-")
    for top in ("firmware", "tools"):
        for d, _, names in os.walk(os.path.join(ROOT, top)):
            if "node_modules" in d or "__pycache__" in d:
                continue
            for n in names:
                if n.endswith(".py"):
                    src = os.path.join(d, n)
                    fwbuild.compile_one(src, os.path.join(out, os.path.relpath(src, ROOT)[:-3] + ".mpy"))
    shutil.copytree(os.path.join(ROOT, "boards"), os.path.join(out, "boards"))
    return out


def micropython(path, args, heap, cwd=None):
    """Run the MicroPython unix port with path (after .frozen) as MICROPYPATH; the CompletedProcess."""
    env = dict(os.environ, MICROPYPATH=os.pathsep.join([".frozen"] + path))
    return subprocess.run([MICROPYTHON, "-X", "heapsize=" + heap] + args, env=env, cwd=cwd or ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)


def json_line(p, what):
    """The last stdout line of a finished MicroPython run, as JSON (its stderr on failure)."""
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (what, p.stderr[-1500:]))
    return json.loads(p.stdout.strip().splitlines()[-1])


def boot_ram(tree):
    """Firmware RAM after boot at a 192K heap, per board: .mpy on the filesystem, and from ROMFS."""
    img = os.path.join(tree, "fw.romfs")
    subprocess.run([os.path.join(BIN, "mpremote"), "romfs", "--output", img, "build",
                    os.path.join(tree, "firmware")], check=True, stdout=subprocess.DEVNULL)
    res = {}
    for b in BOARDS:
        brd = os.path.join(ROOT, "boards", b + ".py")
        fs = json_line(micropython([STUB, os.path.join(tree, "firmware")], [os.path.join(ROOT, "tools/perf/mp_boot_ram.py"), brd],
                       "192K"), "boot RAM " + b)
        # (the ROMFS image is held in the heap as a stand-in for flash, outside the figure: a bigger heap for it)
        rom = json_line(micropython([STUB], [os.path.join(ROOT, "tools/perf/mp_boot_ram.py"), brd, img], "384K"),
                    "boot RAM (ROMFS) " + b)
        # With an SDM630 fitted too: the 64-bit unix port no longer holds it all in 192K (it overstates RAM
        # about 1.7x); the figure is a difference of gc.mem_alloc(), which the heap's size does not change.
        fsm = json_line(micropython([STUB, os.path.join(tree, "firmware")],
                                    [os.path.join(ROOT, "tools/perf/mp_boot_ram.py"), brd, "--meter"], "320K"),
                        "boot RAM with a meter " + b)
        romm = json_line(micropython([STUB], [os.path.join(ROOT, "tools/perf/mp_boot_ram.py"), brd, img, "--meter"],
                                     "448K"), "boot RAM (ROMFS) with a meter " + b)
        res[b] = (fs["firmware"], rom["firmware"], rom.get("image", 0), fs["with_console"], rom["with_console"],
                  fsm["with_meter"], romm["with_meter"])
    return res


def board_probe(tree):
    """The virtual board over the 30-minute scenario: heap, peak, ISR and step figures (unix port)."""
    return json_line(micropython([tree, os.path.join(tree, "firmware")], ["-m", "tools.perf.mp_board_probe", LONG], "320K",
                     cwd=tree), "board probe")


def smallest_heap(tree, scenario=SESSION, lo=32, hi=1024):
    """Smallest -X heapsize (KB) that runs scenario on the virtual board (firmware + board models)."""
    def ok(kb):
        p = micropython([tree, os.path.join(tree, "firmware")], ["-m", "tools.sim", scenario], "%dK" % kb, cwd=tree)
        return p.returncode == 0 and '"relay", "closed": true' in p.stdout
    if not ok(hi):
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def wasm_proofs():
    """The heap-locked allocation proofs on the 32-bit webassembly port: (passed, failed) or None."""
    mjs = os.path.join(ROOT, "tools", "wasm", "mptest.mjs")
    if not shutil.which("node") or not os.path.isdir(os.path.join(ROOT, "node_modules")):
        return None
    p = subprocess.run(["node", mjs, "host_tests.test_mp_alloc_core", "host_tests.test_vboard_alloc"], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    for line in p.stdout.splitlines():
        if line.endswith(" failed") and " passed, " in line:
            a, b = line.split(" passed, ")
            return int(a), int(b.split()[0])
    return None


def wasm_boot_ram(tree):
    """RAM after boot per board on the 32-bit webassembly port (.mpy files from its in-memory file system):
    {board: (firmware bytes, with the console in use)}, None where node is missing."""
    mjs = os.path.join(ROOT, "tools", "wasm", "bootram.mjs")
    res = {}
    for b in BOARDS:
        if not shutil.which("node") or not os.path.isdir(os.path.join(ROOT, "node_modules")):
            res[b] = None
            continue
        p = subprocess.run(["node", mjs, tree, os.path.join(ROOT, "boards", b + ".py")], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        j = json_line(p, "webassembly boot RAM " + b)
        res[b] = (j["firmware"], j["with_console"], j["with_meter"])
    return res


def net_ram(tree, board="pico", ocpp=False):
    """Issue 12's budget: the whole firmware with MQTT connected (an in-memory broker) and the console in use,
    from .mpy: (unix JSON, 32-bit webassembly JSON or None). tools/perf/mp_net_boot_ram.py."""
    brd = os.path.join(ROOT, "boards", board + ".py")
    unix = json_line(micropython([STUB, os.path.join(tree, "firmware")],
                                 [os.path.join(ROOT, "tools/perf/mp_net_boot_ram.py"), brd]
                                 + (["--ocpp"] if ocpp else []), "400K"), "MQTT RAM")
    wasm = None
    mjs = os.path.join(ROOT, "tools", "wasm", "bootram.mjs")
    if shutil.which("node") and os.path.isdir(os.path.join(ROOT, "node_modules")):
        p = subprocess.run(["node", mjs, tree, brd, os.path.join(ROOT, "tools", "perf", "mp_net_boot_ram.py")]
                           + (["--ocpp"] if ocpp else []),
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        wasm = json_line(p, "webassembly MQTT RAM")
    return unix, wasm

