# time as the firmware sees it on the virtual board: ticks from the virtual clock while a board runs,
# the real clock otherwise. On MicroPython this file shadows the built-in time; on CPython clock.install()
# copies these functions into the real time module (which has no ticks_* of its own).
import sys

from tools.vboard import clock as _c

if sys.implementation.name == "micropython":
    import utime as _u
    from utime import *  # noqa: F401,F403  (sleep, time, localtime, ...)

    _real_ms = _u.ticks_ms
    _real_us = _u.ticks_us
    ticks_diff = _u.ticks_diff
    ticks_add = _u.ticks_add
    _sleep_ms = _u.sleep_ms
    _sleep_us = _u.sleep_us
else:
    import time as _t

    def _real_ms():
        return int(_t.monotonic() * 1000) & _c._MASK

    def _real_us():
        return int(_t.monotonic() * 1000000) & _c._MASK

    ticks_diff = _c.ticks_diff
    ticks_add = _c.ticks_add

    def _sleep_ms(ms):
        _t.sleep(ms / 1000)

    def _sleep_us(us):
        _t.sleep(us / 1000000)


def ticks_ms():
    k = _c.K
    return _real_ms() if k is None else k.ticks_ms()


def ticks_us():
    # May run in interrupt context (the sampler's settle wait). No allocation.
    k = _c.K
    return _real_us() if k is None else k.ticks_us()


def ticks_cpu():
    return ticks_us()


def sleep_ms(ms):
    k = _c.K
    if k is None or k.realtime:
        _sleep_ms(ms)
    else:
        k.busy_us(ms * 1000)


def sleep_us(us):
    k = _c.K
    if k is None or k.realtime:
        _sleep_us(us)
    else:
        k.busy_us(us)
