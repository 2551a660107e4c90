# select as the firmware's asyncio sees it on the virtual board (MicroPython shadows its built-in select
# with this file, as ports/time.py does time). In real time (make vboard) a wait is cut into slices of at
# most 1 ms, and the board's interrupts (the control step's timer, pin IRQs) run between them: the chip's
# interrupts do not wait for asyncio's idle poll either. Otherwise it is the built-in select.
import uselect as _s
from uselect import *  # noqa: F401,F403  (POLLIN, POLLOUT, ...)

from tools.vboard import clock as _c

_SLICE_MS = 1


class _Poll:
    def __init__(self):
        self._p = _s.poll()

    def register(self, *a):
        return self._p.register(*a)

    def unregister(self, *a):
        return self._p.unregister(*a)

    def modify(self, *a):
        return self._p.modify(*a)

    def poll(self, timeout=-1):
        return [(o, ev) for o, ev in self.ipoll(timeout)]

    def ipoll(self, timeout=-1, flags=0):
        k = _c.K
        if k is None or not k.realtime:
            return self._p.ipoll(timeout, flags)
        import utime

        end = utime.ticks_add(utime.ticks_ms(), timeout) if timeout >= 0 else None
        while True:
            wait = _SLICE_MS
            if end is not None:
                left = utime.ticks_diff(end, utime.ticks_ms())
                if left < wait:
                    wait = left if left > 0 else 0
            # Copied pair by pair: ipoll hands out one reused tuple, so list() would hold the last stream n
            # times (asyncio then woke one stream twice and the others never: a KeyError out of its loop
            # after a few ready sockets at once, the firmware in its safe state; a board's asyncio iterates
            # ipoll itself and never sees that).
            got = [(o, ev) for o, ev in self._p.ipoll(wait, flags)]
            k.sync()  # the board's interrupts that came due meanwhile
            if got or (end is not None and wait <= 0):
                return got


def poll():
    return _Poll()
