# Cross-interpreter traces (host only: subprocess): every scenarios/**/*.json run with `python -m tools.sim`
# on CPython and with `--micropython` on the MicroPython unix port gives byte-identical output
# (docs/scenarios.md: both interpreters give the same trace, byte for byte).
import os
import subprocess
import sys

import pytest

from host_tests.core_rig import scenario_files

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICROPYTHON = os.environ.get("MICROPYTHON") or os.path.join(ROOT, ".venv", "bin", "micropython")


def _sim(path, *extra):
    p = subprocess.run([sys.executable, "-m", "tools.sim", path] + list(extra), cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    assert p.returncode == 0, (path, extra, p.stderr.decode("utf-8", "replace"))
    return p.stdout


@pytest.mark.skipif(not os.path.exists(MICROPYTHON), reason="no MicroPython binary (make venv)")
def test_every_scenario_gives_a_byte_identical_trace_on_cpython_and_micropython():
    """docs/scenarios.md: the trace is a public interface, identical on both interpreters."""
    files = scenario_files()
    assert len(files) >= 14, files
    compared = 0
    for path in files:
        rel = os.path.relpath(os.path.abspath(path), ROOT)
        cp = _sim(rel)
        mp = _sim(rel, "--micropython")
        assert cp.count(b"\n") > 3, rel
        assert cp == mp, (rel, cp.splitlines()[:3], mp.splitlines()[:3])
        compared += 1
    print("\ncross-interpreter traces byte-identical for %d scenarios" % compared)
    assert compared == len(files)
