# The running virtual board's kernel, as the fake modules find it; and the ticks functions for CPython.
K = None  # the Kernel in use, or None
TICKS_PERIOD = 1 << 30
_MASK = TICKS_PERIOD - 1
_HALF = TICKS_PERIOD >> 1


def ticks_diff(a, b):
    """time.ticks_diff on a 2**30 period, as MicroPython defines it."""
    return ((a - b + _HALF) & _MASK) - _HALF


def ticks_add(a, d):
    return (a + d) & _MASK


def install(kernel):
    """Make kernel the board the fake modules talk to."""
    global K
    K = kernel
    patch_time()


def patch_time():
    """On CPython give the time module MicroPython's ticks_* (read from the virtual clock while a board
    runs). MicroPython needs nothing: tools/vboard/ports/time.py shadows its built-in time."""
    import sys

    if sys.implementation.name != "micropython":
        import time

        from tools.vboard.ports import time as vtime

        for name in ("ticks_ms", "ticks_us", "ticks_diff", "ticks_add", "ticks_cpu", "sleep_ms", "sleep_us"):
            setattr(time, name, getattr(vtime, name))
