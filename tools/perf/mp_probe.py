# Measures the control path on the interpreter it runs on (MicroPython unix/webassembly, or a real board
# through `mpremote run`): allocation and time per control tick while charging steadily, a fixed
# reference loop timed in the same run, and bytes allocated per console command. Prints one JSON line.
# Needs only firmware/ on the path: readings are synthetic, no bench models.
import gc
import sys
import time

import micropython

from evse.charger import Charger
from evse.iodata import IO, Config, NO_SAMPLE, PILOT_N12, PILOT_PWM

TICK = 10
_HIGH = (12000, 9000, 6000)  # A, B, C high plateaus (mV)


def _drive(ch, io, t, high):
    # one tick with readings the pilot circuit would give, contactor sense following its command
    io.cp_high_mv = -12000 if io.pilot == PILOT_N12 else high
    io.cp_low_mv = -12000 if io.pilot == PILOT_PWM else NO_SAMPLE
    io.relay_v = 1 if io.relay else 0
    io.rcd = io.rcd_test  # a healthy monitor signals while its test winding is driven
    ch.tick(t)


def charging():
    """A charger in steady state C2 (contactor closed) and the time of its last tick."""
    io = IO()
    io.temp_dc = 250
    ch = Charger(Config(), io)
    t = 0
    for high, until in ((_HIGH[0], 500), (_HIGH[1], 1500), (_HIGH[2], 3000)):
        while t < until:
            _drive(ch, io, t, high)
            t += TICK
    if not io.relay:
        raise RuntimeError("probe: the charger did not start charging")
    return ch, io, t


def reference(n):
    """The fixed reference loop: integer arithmetic in a local loop, n rounds."""
    x = 0
    i = 0
    while i < n:
        x = (x + i * 3) & 0xFFFF
        i += 1
    return x


def _us(fn, arg):
    t0 = time.ticks_us()
    fn(arg)
    return time.ticks_diff(time.ticks_us(), t0)


def tick_figures(n):
    ch, io, t = charging()
    # allocation: bytes per tick with the collector off, then a heap-locked proof
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    i = 0
    while i < n:
        ch.tick(t)
        t += TICK
        i += 1
    b = gc.mem_alloc()
    gc.enable()
    locked_fail = 0
    i = 0
    while i < n:
        micropython.heap_lock()
        try:
            ch.tick(t)
        except MemoryError:
            locked_fail += 1
        finally:
            micropython.heap_unlock()
        t += TICK
        i += 1
    if not io.relay:
        raise RuntimeError("probe: charging stopped during the measurement")
    # time: best of 5 runs of n ticks, and of the reference loop (n rounds)
    best_tick = best_ref = None

    def run_ticks(k):
        tt = t
        j = 0
        while j < k:
            ch.tick(tt)
            tt += TICK
            j += 1

    for _ in range(5):
        gc.collect()
        us = _us(run_ticks, n)
        best_tick = us if best_tick is None or us < best_tick else best_tick
        gc.collect()
        us = _us(reference, n)
        best_ref = us if best_ref is None or us < best_ref else best_ref
    return {"ticks": n, "bytes_per_tick_x1000": (b - a) * 1000 // n, "locked_failures": locked_fail,
            "tick_ns": best_tick * 1000 // n, "ref_ns": best_ref * 1000 // n}


CONSOLE_COMMANDS = ("status", "get max_current_a", "set max_current_a 20", "settings", "faults", "log",
                    "help", "version", "json", "status", "text", "nonsense")


def console_figures():
    from evse.console import Console
    from evse.history import History
    from evse.settings import Settings

    ch, io, t = charging()
    st = Settings(path=None)
    st.to_config(ch.config)
    hist = History(path=None)
    hist.observe(t, ch)
    con = Console(ch, st, hist, hist.uptime_ms, lambda s: None)
    out = []
    for cmd in CONSOLE_COMMANDS:
        gc.collect()
        gc.disable()
        a = gc.mem_alloc()
        con.handle_line(cmd)
        b = gc.mem_alloc()
        gc.enable()
        out.append([cmd, b - a])
    return out


def main(argv):
    n = int(argv[1]) if len(argv) > 1 else 2000
    res = tick_figures(n)
    res["console"] = console_figures()
    res["engine"] = sys.implementation.name + " " + getattr(sys.implementation, "_machine", sys.platform)
    parts = []
    for k in sorted(res):
        v = res[k]
        if isinstance(v, str):
            parts.append('"%s": "%s"' % (k, v))
        elif isinstance(v, list):
            parts.append('"%s": [%s]' % (k, ", ".join('["%s", %d]' % (c, b) for c, b in v)))
        else:
            parts.append('"%s": %d' % (k, v))
    print("{" + ", ".join(parts) + "}")


if __name__ == "__main__":
    main(sys.argv)
