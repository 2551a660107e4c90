# Plausibility rules for a meter's answers: a reading that no meter could give is not believed, and a
# lifetime counter that moved impossibly is only believed once it has been consistent for a while.
from evse.compat import const
from evse.pilot import since

from .reading import max_wh
from .reasons import BACKWARDS, JUMP, NEGATIVE, OK, RANGE

VOLT_MAX_DV = const(5000)  # 500 V: above any line-to-neutral voltage these meters are made for
REBASE_AFTER = const(3)  # readings in a row that agree with each other before a moved counter is believed
SLACK_WH = const(10)  # rounding of a float32 kWh counter near 100 MWh (1/128 kWh), and the meters' own


class Plausible:
    """judge(sample, now) -> OK or the reason the sample is not believed (meter.reasons).
    Rules (docs/metering.md "Plausibility"):
    - voltage within 0..500 V, current within 0..2 x the meter's rated maximum, power (total and per
      phase) within +- phases x 500 V x 2 x that current: else RANGE;
    - lifetime energy >= 0, else NEGATIVE;
    - lifetime energy may rise by at most what max_w can deliver since the last believed reading
      (+ 10 Wh for rounding): a larger rise is JUMP, any fall is BACKWARDS;
    - a counter that fell or jumped is believed (a new epoch: the meter was reset, replaced, or it wrapped)
      once REBASE_AFTER samples in a row agree with each other under the same rule."""

    def __init__(self, phases, imax_ma, max_w=0):
        self.imax_ma = imax_ma
        self.max_w = max_w if max_w > 0 else phases * 500 * imax_ma // 1000
        self._pmax = 2 * phases * 500 * imax_ma // 1000
        self._have = False  # a believed energy reading exists
        self._wh = 0  # the last believed energy
        self._t = 0  # and when
        self._cand_wh = 0  # a moved counter, not yet believed
        self._cand_t = 0
        self._cand_n = 0
        self.epoch = 0

    def _fits(self, prev_wh, prev_t, wh, now):
        d = wh - prev_wh
        return 0 <= d <= max_wh(self.max_w, since(now, prev_t)) + SLACK_WH

    def judge(self, s, now):
        imax2 = 2 * self.imax_ma
        pmax = self._pmax
        for i in range(3):
            if not 0 <= s.voltage_dv[i] <= VOLT_MAX_DV or not 0 <= s.current_ma[i] <= imax2:
                return RANGE
            if not -pmax <= s.phase_w[i] <= pmax:
                return RANGE
        if not -pmax <= s.power_w <= pmax:
            return RANGE
        wh = s.energy_wh
        if wh < 0:
            return NEGATIVE
        if not self._have or self._fits(self._wh, self._t, wh, now):
            self._believe(s, wh, now)
            return OK
        why = BACKWARDS if wh < self._wh else JUMP
        if self._cand_n and self._fits(self._cand_wh, self._cand_t, wh, now):
            self._cand_n += 1
        else:
            self._cand_n = 1
        self._cand_wh = wh
        self._cand_t = now
        if self._cand_n >= REBASE_AFTER:
            self.epoch += 1
            self._believe(s, wh, now)
            return OK
        return why

    def _believe(self, s, wh, now):
        self._have = True
        self._wh = wh
        self._t = now
        self._cand_n = 0
        s.epoch = self.epoch
