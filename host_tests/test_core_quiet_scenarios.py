# Core, charger.py: the quiet tick (issue 9) over every scenario in scenarios/. Each runs on the bench with
# every tick executed (no skipping of quiet ticks), once with the quiet tick and once with every tick in full:
# the traces must be the same line for line, and the quiet tick must have been taken. CPython only (the
# 30-minute scenario ticks 180,000 times each way); test_core_quiet runs the same comparison on both
# interpreters over random noisy sessions.
import glob
import os

import pytest

from tools.sim import scenario
from tools.sim.runner import Run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = sorted(glob.glob(os.path.join(ROOT, "scenarios", "*.json")))


def _trace(path, fast):
    lines = []
    run = Run(scenario.load(path), lines.append, skip_quiet=False)
    run.ch.fast = fast
    run.run()
    return lines, run.ch.quiet_ticks


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(f) for f in FILES])
def test_every_scenario_traces_the_same_with_and_without_the_quiet_tick(path):
    fast, quiet = _trace(path, True)
    full, none = _trace(path, False)
    assert none == 0
    assert fast == full
    assert quiet > 0
