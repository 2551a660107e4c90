# Quiet-tick skipping never changes a trace: every scenarios/**/*.json run stepping every 10 ms tick and
# run skipping the ticks the core calls quiet (Charger.idle_until), both without ADC noise, give the same
# lines (docs/scenarios.md). Plain asserts: runs under MicroPython too.
from host_tests.core_rig import scenario_files
from tools.sim.runner import Run
from tools.sim.scenario import load


def _trace(path, skip):
    lines = []
    Run(load(path), lines.append, skip_quiet=skip, noise=False).run()
    return lines


def _first_difference(a, b):
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return i, a[i], b[i]
    return min(len(a), len(b)), a[len(b):len(b) + 1], b[len(a):len(a) + 1]


def test_skipping_quiet_ticks_gives_the_trace_of_stepping_every_tick_for_every_scenario():
    """Charger.idle_until contract: with inputs held, skipped ticks change nothing (same trace)."""
    files = scenario_files()
    assert len(files) >= 14, files
    compared = 0
    for path in files:
        every = _trace(path, False)
        skipped = _trace(path, True)
        assert every == skipped, (path, _first_difference(every, skipped))
        assert len(every) > 3, path
        compared += 1
    print("skip-quiet traces identical for %d scenarios" % compared)
