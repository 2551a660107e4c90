# MicroPython only (pytest ignores test_mp_*): the core's tick, its ISR entry and the history's observe()
# allocate nothing, proven with micropython.heap_lock() over whole scenario runs (STYLE: control paths
# allocation-free), every state change and fault of every scenario included.
import os

import micropython

from tools.sim.runner import Run
from tools.sim.scenario import load


class _Locked:
    """Wraps a charger so every tick() and rcd_irq() runs with the heap locked, and the history's
    observe() after each tick too (every state change and fault of the scenario); counts failures."""

    def __init__(self, ch, hist):
        self.ticks = 0
        self.irqs = 0
        self.failures = 0
        self._tick = ch.tick
        self._irq = ch.rcd_irq
        self._observe = hist.observe
        ch.tick = self.tick
        ch.rcd_irq = self.irq
        hist.observe = self.observe

    def _locked(self, fn, arg):
        micropython.heap_lock()
        try:
            if arg is None:
                fn()
            else:
                fn(arg)
        except MemoryError:
            self.failures += 1
        finally:
            micropython.heap_unlock()

    def tick(self, now):
        self.ticks += 1
        self._locked(self._tick, now)

    def irq(self):
        self.irqs += 1
        self._locked(self._irq, None)

    def observe(self, now, ch):
        micropython.heap_lock()
        try:
            self._observe(now, ch)
        except MemoryError:
            self.failures += 1
        finally:
            micropython.heap_unlock()


def _scenario_files():
    out = []
    for d in ("scenarios", "scenarios/faults"):
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for n in sorted(names):
            if n.endswith(".json"):
                out.append(d + "/" + n)
    return out


def _run_locked(path, skip_quiet):
    r = Run(load(path), lambda line: None, skip_quiet=skip_quiet)
    lk = _Locked(r.ch, r.history)
    r.run()
    return lk


def test_tick_and_rcd_irq_allocate_nothing_in_any_scenario():
    """STYLE / issue 5: zero bytes allocated per control tick and per ISR call, every scenario."""
    files = _scenario_files()
    assert len(files) >= 2, files
    ticks = irqs = 0
    for path in files:
        lk = _run_locked(path, skip_quiet=True)
        assert lk.failures == 0, "%s: %d of %d calls allocated" % (path, lk.failures, lk.ticks + lk.irqs)
        ticks += lk.ticks
        irqs += lk.irqs
    assert ticks > 50 and irqs > 0, (ticks, irqs)  # quiet ticks are skipped; the test below steps every one


def test_every_tick_of_the_plain_session_allocates_nothing():
    """Steady charging, stepped every 10 ms without skipping quiet ticks: zero allocation per tick."""
    lk = _run_locked("scenarios/plain_session.json", skip_quiet=False)
    assert lk.ticks == 16000 // 10 + 1, lk.ticks
    assert lk.failures == 0, lk.failures
