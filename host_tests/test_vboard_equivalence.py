# Issue 3 "done when": a scenario run on the virtual board (the whole firmware: main.py, a board file, the
# adapters and their ISRs, the core) gives the same safety timing as the core alone on the bench.
# Compared, for every scenario file and both boards: the sequence of relay, fault, fault_cleared, state and
# self-test events, each at most TOL_MS (two control ticks) from the bench's time. Plain asserts: runs under
# MicroPython too.
from evse.charger import TICK_MS
from host_tests.vboard_rig import compare, max_offset, safety_events, scenario_files, trace

TOL_MS = 2 * TICK_MS


def test_every_scenario_has_the_same_safety_events_on_both_boards_as_on_the_bench():
    worst = {}
    files = scenario_files()
    assert len(files) >= 2
    for path in files:
        ref = safety_events(trace(path, "bench"))
        assert ref, path
        for board in ("pico", "esp32"):
            got = safety_events(trace(path, board))
            msg = compare(ref, got, TOL_MS)
            assert msg is None, (path, board, msg)
            worst[board] = max(worst.get(board, 0), max_offset(ref, got))
    print("safety events equal on %d scenarios; worst offset pico %d ms, esp32 %d ms"
          % (len(files), worst["pico"], worst["esp32"]))


def test_irq_latency_jitter_from_the_scenario_keeps_the_timing():
    """irq_latency_us sets the jitter: the largest the format allows (1000 us) still gives the same events."""
    from tools.sim.scenario import load

    path = scenario_files()[0]
    ref = safety_events(trace(path, "bench"))
    for board in ("pico", "esp32"):
        sc = load(path)
        sc.irq_latency_us = 1000
        assert compare(ref, safety_events(trace(sc, board)), TOL_MS) is None, board
