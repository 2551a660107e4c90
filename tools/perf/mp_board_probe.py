# Measures the whole firmware on the virtual board (MicroPython unix port, run with -X heapsize=192K):
# RAM after boot, the firmware's share of it, peak live heap during a scenario, and the sampling ISR's
# and the control step's allocation and time while charging. Prints one JSON line.
# Usage: micropython -X heapsize=192K tools/perf/mp_board_probe.py SCENARIO.json
import gc
import sys
import time

import micropython

from tools.perf.mp_probe import reference
from tools.sim.scenario import load, parse
from tools.vboard.run import VRun

N = 500


class _Probe(VRun):
    """A VRun that notes the heap just before the firmware boots and right after."""

    before_boot = None
    after_boot = None

    def _boot(self):
        if self.before_boot is None:
            gc.collect()
            self.before_boot = gc.mem_alloc()
        VRun._boot(self)
        if self.after_boot is None:
            gc.collect()
            self.after_boot = gc.mem_alloc()


def _bytes_and_ns(fn, arg, n):
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    t0 = time.ticks_us()
    i = 0
    while i < n:
        fn(arg)
        i += 1
    dt = time.ticks_diff(time.ticks_us(), t0)
    b = gc.mem_alloc()
    gc.enable()
    return (b - a) * 1000 // n, dt * 1000 // n


def _locked_failures(fn, arg, n):
    fails = 0
    i = 0
    while i < n:
        micropython.heap_lock()
        try:
            fn(arg)
        except MemoryError:
            fails += 1
        finally:
            micropython.heap_unlock()
        i += 1
    return fails


def boot_and_peak(path):
    """Heap after boot (total and the firmware's share) and the peak live heap over the whole scenario."""
    sc = load(path)
    r = _Probe(sc, lambda line: None)
    peak = [0]
    step = r.app.step

    def measured_step(now):
        step(now)
        gc.collect()
        m = gc.mem_alloc()
        if m > peak[0]:
            peak[0] = m

    r.app.step = measured_step
    r.run()
    return r.before_boot, r.after_boot, peak[0], sc.duration_ms


def isr_and_step():
    """The sampler's edge ISR on the high plateau, and App.step, on a virtual pico charging at 32 A."""
    sc = parse({"duration_ms": 600000, "board": "pico", "events": [{"t_ms": 1000, "ev": "C"}]})
    r = VRun(sc, lambda line: None, skip_quiet=False)
    r.advance(3000)
    if not r.app.io.relay:
        raise RuntimeError("board probe: not charging")
    k = r.k
    pw = k.pilot.pwm
    e, rising = pw.next_edge(k.now_us + 10)
    if not rising:
        e, rising = pw.next_edge(e + 1)
    k.now_us = e + 100  # inside the high plateau: the ISR's sample is kept
    s = r.app.hw.sampler
    pin = r.app.hw.sync
    r.app.ticker.stop()  # the probe calls the ISR and the step itself, as their interrupts would
    k.in_isr = True  # interrupt context: the board's models never preempt them
    isr_b, isr_ns = _bytes_and_ns(s.isr, pin, N)
    isr_fail = _locked_failures(s.isr, pin, N)
    t = [r.t]

    def one_step(_):
        t[0] += 10
        r.app.step(t[0])

    step_b, step_ns = _bytes_and_ns(one_step, None, N)
    step_fail = _locked_failures(one_step, None, N)
    k.in_isr = False
    if not r.app.io.relay:
        raise RuntimeError("board probe: charging stopped")
    ref = None
    for _ in range(5):
        t0 = time.ticks_us()
        reference(2000)
        d = time.ticks_diff(time.ticks_us(), t0) * 1000 // 2000
        ref = d if ref is None or d < ref else ref
    return isr_b, isr_ns, isr_fail, step_b, step_ns, step_fail, ref


def main(argv):
    before, after, peak, dur = boot_and_peak(argv[1])
    isr_b, isr_ns, isr_fail, step_b, step_ns, step_fail, ref = isr_and_step()
    vals = (("boot_total", after), ("board_models", before), ("firmware_ram", after - before), ("peak_live", peak),
            ("scenario_ms", dur), ("calls", N), ("isr_bytes_x1000", isr_b), ("isr_ns", isr_ns),
            ("isr_locked_failures", isr_fail), ("step_bytes_x1000", step_b), ("step_ns", step_ns),
            ("step_locked_failures", step_fail), ("ref_ns", ref), ("heap_total", gc.mem_alloc() + gc.mem_free()))
    print("{" + ", ".join('"%s": %d' % kv for kv in vals) + "}")


if __name__ == "__main__":
    main(sys.argv)
