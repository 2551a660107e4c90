# Shims so the same files run on MicroPython 1.29 and CPython 3.11.
try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


try:
    from micropython import schedule
except ImportError:  # CPython: run the callback at once

    def schedule(fn, arg):
        fn(arg)
