# Energy since boot from a meter's lifetime counter: what the session log, the session energy limit and the
# lifetime counter count. Runs in the meter task after each poll (loop context: it may allocate). The control
# step reads only .wh, a small int, and .fitted.
from evse.compat import const
from evse.pilot import since

from .plausible import SLACK_WH
from .reading import max_wh, safe_delta

_WH_MASK = const(0x3FFFFFFF)  # wh wraps here; readers take differences masked the same (evse.history)
# The most one phase of an installation can carry, for the jump rule: the board's current at 230 V + 10 %
# (IEC 60038's tolerance). A counter that rises faster than this is a meter fault, not energy.
_MAX_V = const(253)


class Energy:
    """reading: the meter's Reading. max_ma: the board's rating (mA); phases: the installation's.
    wh: Wh counted since boot (wrapping at 2**30); rejected: deltas refused (counter reset, wrap, jump)."""

    def __init__(self, reading, max_ma=80000, phases=3):
        self.reading = reading
        self.fitted = reading.fitted
        self.max_w = max_ma * _MAX_V * phases // 1000
        self.wh = 0
        self.rejected = 0
        self._prev = None  # the meter's counter at the last good reading, its time and epoch
        self._t = 0
        self._epoch = 0
        self._seen = -1  # the reading's good-poll count at the last update

    def update(self):
        """Take the last poll's reading: add what the counter rose since the previous good one, if that is
        plausible for the time between them. Loop context."""
        r = self.reading
        if not r.fitted or not r.ok or r.good == self._seen:
            return
        self._seen = r.good
        now = r.energy_wh
        if self._prev is None or r.epoch != self._epoch:  # the first reading, or a counter taken as new
            self._prev = now
            self._t = r.t_ms
            self._epoch = r.epoch
            return
        d = now - self._prev
        lim = max_wh(self.max_w, since(r.t_ms, self._t)) + SLACK_WH  # (an ABB B23 counts in 10 Wh steps)
        got = safe_delta(self._prev, now, lim)
        if got != d:
            self.rejected += 1
        self._prev = now
        self._t = r.t_ms
        self.wh = (self.wh + got) & _WH_MASK
