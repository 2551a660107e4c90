# The analog front end: read_u16() counts -> pilot mV, proximity ohm, temperature, from the board's data.
# Integers only (counts * full-scale mV stays below 2**30 on every port).
from evse.compat import const
from evse.iodata import PP_OPEN, TEMP_NONE

_PP_OPEN_PCT = const(97)  # the PP node above 97 % of its pull-up voltage: no plug resistor


class Afe:
    """Conversions for one board. Loop context (never called from an ISR)."""

    def __init__(self, board):
        self.full_mv = board.ADC_FULL_MV
        self.cp_zero = board.CP_ZERO_MV
        self.cp_num = board.CP_NUM
        self.cp_den = board.CP_DEN
        self.pp_ohm_pu = board.PP_PULLUP_OHM
        self.pp_mv_pu = board.PP_PULLUP_MV
        self.pp_num = board.PP_NUM
        self.pp_den = board.PP_DEN
        self.t_zero = board.TEMP_ZERO_MV
        self.t_scale = board.TEMP_MV_PER_10C
        self._pp_open_mv = self.pp_mv_pu * _PP_OPEN_PCT // 100

    def adc_mv(self, counts):
        """ADC input millivolts for read_u16() counts (0..65535)."""
        return (counts * self.full_mv + 32768) >> 16

    def cp_mv(self, counts):
        """Pilot node millivolts for CP counts: adc_mv() and _div_round() written out, since this runs twice in
        every control step and a call costs more than the arithmetic (a test keeps it equal to them)."""
        num = (((counts * self.full_mv + 32768) >> 16) - self.cp_zero) * self.cp_num
        den = self.cp_den
        if num >= 0:
            return (2 * num + den) // (2 * den)
        return -((-2 * num + den) // (2 * den))

    def pp_ohm(self, counts):
        """PP-PE resistance (ohm) for PP counts, or PP_OPEN."""
        v = ((counts * self.full_mv + 32768) >> 16) * self.pp_num // self.pp_den
        if v >= self._pp_open_mv:
            return PP_OPEN
        if v <= 0:
            return 0
        den = self.pp_mv_pu - v  # > 0 here
        return (2 * self.pp_ohm_pu * v + den) // (2 * den)  # _div_round() written out (num >= 0)

    def temp_dc(self, counts):
        """Temperature in tenths of a degree C for the sensor's counts."""
        if counts is None:
            return TEMP_NONE
        return _div_round((self.adc_mv(counts) - self.t_zero) * 100, self.t_scale)


def _div_round(num, den):
    """num / den rounded half away from zero (den > 0)."""
    if num >= 0:
        return (2 * num + den) // (2 * den)
    return -((-2 * num + den) // (2 * den))
