# The virtual board behind a pseudo-terminal for tests (make vboard's pty host), and `make` runs.
# Host tier only (subprocess, pty): imported by CPython tests.
import contextlib
import json
import os
import select
import signal
import subprocess
import sys

from host_tests.vboard_rig import ROOT


def make(*args, timeout=240):
    """Run `make ARGS` in the repo; stdout and stderr together. On timeout the whole process group (make,
    mpremote under it) is killed and the result says so, so a stuck board fails the test, not the run."""
    p = subprocess.Popen(["make", "--no-print-directory"] + list(args), cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        out += "\nTIMEOUT after %d s: make %s was killed" % (timeout, " ".join(args))
    return subprocess.CompletedProcess(p.args, p.returncode, out, None)


@contextlib.contextmanager
def vboard_with(tmp_path, scenario):
    """Start a virtual pico on a pty with a scenario; yield (device path, flash dir, trace file, scenario file)."""
    sc = tmp_path / "session.json"
    sc.write_text(json.dumps(scenario))
    tr = tmp_path / "trace.jsonl"
    flash = tmp_path / "flash"
    p = subprocess.Popen([sys.executable, "-m", "tools.vboard.pty_host", "--board", "pico", "--flash", str(flash),
                          "--scenario", str(sc), "--trace", str(tr)], cwd=ROOT, stdout=subprocess.PIPE,
                         universal_newlines=True)
    try:
        r, _, _ = select.select([p.stdout], [], [], 20)
        assert r, "make vboard printed no device path"
        line = p.stdout.readline()
        assert line.startswith("vboard: /dev/"), line
        yield line.split()[1], flash, tr, sc
    finally:
        p.terminate()
        p.wait(10)
