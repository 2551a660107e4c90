# Shims so the same files run on MicroPython 1.29 and CPython 3.11.
# The fallbacks are bound by assignment, not `def const`: a def would have to match the stubs'
# positional-only signatures for pyright, and MicroPython has no `/` in parameter lists.
try:
    from micropython import const
except ImportError:  # CPython

    def _const(x):
        return x

    const = _const


try:
    from micropython import schedule
except ImportError:  # CPython: run the callback at once

    def _schedule(fn, arg):
        fn(arg)

    schedule = _schedule
