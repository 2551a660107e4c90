# What a meter measured, as integers in preallocated fields: the one shape every meter (Modbus, S0, none)
# leaves for the core, the console and the trace. Written by the meter task only; read by anyone.
from array import array

from evse.compat import const

from .reasons import OK, STARTING

_WRAP = const(0x3FFFFFFF)  # counters stay small ints on 32-bit ports


class Reading:
    """power_w: total active power (W, signed); phase_w, current_ma, voltage_dv: per phase (3 slots, the
    unused ones 0); energy_wh: the meter's lifetime import counter (Wh) as it counts it: take session
    energy with safe_delta(), never as end minus start. t_ms: ticks_ms of the last good reading.
    ok: the last poll was good; lost: the last `lost_after` polls all failed (not latched: one good poll
    clears it); reason: why the last poll failed (meter.reasons). epoch: bumps when the energy counter is
    taken as new (a meter reset, replaced or wrapped). seq: odd while the task writes the fields: a reader
    in an interrupt that sees seq change (or odd) reads again or keeps its previous copy."""

    def __init__(self, phases=1, fitted=True):
        self.fitted = fitted
        self.phases = phases
        self.amps = True  # the meter measures current (an S0 meter does not: over-current cannot be supervised)
        self.ok = False
        self.lost = False
        self.reason = STARTING
        self.power_w = 0
        self.phase_w = array("i", (0, 0, 0))
        self.current_ma = array("i", (0, 0, 0))
        self.voltage_dv = array("i", (0, 0, 0))
        self.energy_wh = 0
        self.t_ms = 0
        self.epoch = 0
        self.good = 0  # good polls since boot (wraps at 2**30)
        self.bad = 0  # failed polls in a row
        self.seq = 0

    def copy_values(self, src):
        """Take the measured values of src (a staging Reading). No allocation."""
        self.power_w = src.power_w
        for i in range(3):
            self.phase_w[i] = src.phase_w[i]
            self.current_ma[i] = src.current_ma[i]
            self.voltage_dv[i] = src.voltage_dv[i]
        self.energy_wh = src.energy_wh
        self.epoch = src.epoch

    def publish(self, src, reason, now, lost_after):
        """One poll's outcome: on OK the values of src become the reading; otherwise the last good values
        stay (t_ms says how old they are) and lost follows the count of failures in a row."""
        self.seq = (self.seq + 1) & _WRAP  # odd: being written
        if reason == OK:
            self.copy_values(src)
            self.t_ms = now
            self.good = (self.good + 1) & _WRAP
            self.bad = 0
            self.ok = True
            self.lost = False
        else:
            self.bad = self.bad + 1 if self.bad < _WRAP else self.bad
            self.ok = False
            self.lost = self.fitted and self.bad >= lost_after  # no meter fitted: nothing to lose
        self.reason = reason
        self.seq = (self.seq + 1) & _WRAP  # even: stable


    def to_io(self, io):
        """What the control step gives the core: io.ev_ma, the highest phase current of the last good reading
        (-1 if none: no meter, no current measured, or lost), and io.meter_lost. Interrupt context, while the
        task may be in publish(): a reading being written (seq odd, or changed meanwhile) leaves io as it
        was, for one step. No allocation."""
        if not self.fitted:
            io.ev_ma = -1
            io.meter_lost = False
            return
        s = self.seq
        if s & 1:
            return
        ma = -1
        lost = self.lost
        if self.amps and self.good and not lost:
            a = self.current_ma
            ma = a[0]
            if a[1] > ma:
                ma = a[1]
            if a[2] > ma:
                ma = a[2]
        if self.seq != s:
            return
        io.ev_ma = ma
        io.meter_lost = lost


def safe_delta(prev_wh, now_wh, max_wh):
    """Energy added between two readings of a lifetime counter: now - prev when that is between 0 and
    max_wh (what the installation can deliver in the time between them), else 0: a counter that went
    backwards (reset, replaced, wrapped) or jumped adds nothing instead of a negative or huge amount."""
    d = now_wh - prev_wh
    if d < 0 or d > max_wh:
        return 0
    return d


def max_wh(max_w, dt_ms):
    """The most energy max_w can deliver in dt_ms, rounded up, plus 1 Wh for the counters' resolution.
    A big int (allocation) past 2**30: call it from a task, not from the control step."""
    return (max_w * dt_ms + 3599999) // 3600000 + 1
