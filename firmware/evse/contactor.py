# Contactor supervision from the load-side voltage sense: welded and fails-to-close, named apart.
from .compat import const
from .pilot import since

# Commanded open but the load side still live for > 1 s: welded (docs/standards.md "Ground and
# contactor", tag S). Latched; never re-energise before a service reset.
WELD_MS = const(1000)
# Commanded closed but the load side stays dead: fails to close. The 1 s is ours (tag I): pull-in
# takes tens of ms, so 1 s leaves margin without leaving an EV waiting long.
FAIL_CLOSE_MS = const(1000)

OK = const(0)
WELDED = const(1)
FAILED_TO_CLOSE = const(2)


class RelaySupervisor:
    """Compares the contactor command with the load-side voltage over time."""

    def __init__(self):
        self._mismatch = False
        self._cmd = False  # the command the running mismatch started under
        self._t = 0

    def tick(self, now, commanded, live):
        """live: 1 voltage present, 0 absent, -1 no sense. Return OK, WELDED or FAILED_TO_CLOSE."""
        if live < 0 or (live == 1) == commanded:
            self._mismatch = False
            return OK
        if not self._mismatch or commanded != self._cmd:
            self._mismatch = True
            self._cmd = commanded
            self._t = now
            return OK
        elapsed = since(now, self._t)
        if commanded:
            return FAILED_TO_CLOSE if elapsed >= FAIL_CLOSE_MS else OK
        return WELDED if elapsed > WELD_MS else OK

    def pending(self, now):
        """True while a mismatch is being timed and has not yet become a fault."""
        if not self._mismatch:
            return False
        return since(now, self._t) <= (FAIL_CLOSE_MS if self._cmd else WELD_MS)
