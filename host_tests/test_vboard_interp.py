# The virtual board gives the same trace, byte for byte, on CPython and on the MicroPython unix port: the
# whole firmware, the fake hardware, the jitter and the noise are integer and seeded. Host tier (subprocess).
import subprocess
import sys

from host_tests.vboard_rig import ROOT

SCENARIOS = ("scenarios/plain_session.json", "scenarios/gfci_reclose.json", "scenarios/esp32_80a.json")


def _trace(path, *extra):
    p = subprocess.run([sys.executable, "-m", "tools.sim", path] + list(extra), cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_virtual_board_traces_are_identical_on_both_interpreters():
    for path in SCENARIOS:
        a = _trace(path)
        b = _trace(path, "--micropython")
        assert a == b, path
        assert a.count("\n") > 8, path
