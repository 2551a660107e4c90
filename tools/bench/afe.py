# The board's analog front end: pilot and proximity voltages to MicroPython read_u16() counts and back.
from evse.iodata import PP_OPEN

from .circuit import PP_PULLUP_MV, PP_PULLUP_OHM

# Front-end figures of the reference design. A board file will own these later.
ADC_VREF_MV = 3300  # ADC full scale
ADC_MAX = 4095  # 12-bit converter: counts 0..4095 over 0..ADC_VREF_MV
U16_SHIFT = 4  # read_u16() reports the 12-bit value << 4 (0..65520)
CP_OFFSET_MV = 15000  # the +-15 V pilot range is offset by +15 V ...
CP_SPAN_MV = 30000  # ... and divided by 30 V / 3.3 V: v_adc = (v_cp + 15 V) * 3.3 / 30
PP_OPEN_PCT = 97  # PP above 97 % of full scale reads as open (no plug resistor)
NOISE_COUNTS = 2  # default noise amplitude, 12-bit counts (+-)

_PP_OPEN_C12 = (PP_OPEN_PCT * ADC_MAX + 99) // 100  # first 12-bit count that reads as open


def _div_round(num, den):
    """num / den rounded half away from zero (den > 0)."""
    if num >= 0:
        return (2 * num + den) // (2 * den)
    return -((-2 * num + den) // (2 * den))


def _clamp12(c):
    if c < 0:
        return 0
    if c > ADC_MAX:
        return ADC_MAX
    return c


def _cp_ideal(mv):
    return _div_round((mv + CP_OFFSET_MV) * ADC_MAX, CP_SPAN_MV)


def _pp_ideal(mv):
    return _div_round(mv * ADC_MAX, ADC_VREF_MV)


def cp_mv_to_c12(mv):
    """Noiseless 12-bit count for a CP node voltage (mV), clamped to the converter's range."""
    return _clamp12(_cp_ideal(mv))


def pp_mv_to_c12(mv):
    """Noiseless 12-bit count for a PP node voltage (mV), clamped."""
    return _clamp12(_pp_ideal(mv))


def counts_to_cp_mv(counts):
    """Board-side conversion: read_u16() counts -> CP node voltage in mV."""
    c12 = counts >> U16_SHIFT
    return _div_round(c12 * CP_SPAN_MV, ADC_MAX) - CP_OFFSET_MV


def counts_to_pp_ohm(counts):
    """Board-side conversion: read_u16() counts -> PP-PE resistance in ohm, or PP_OPEN."""
    c12 = counts >> U16_SHIFT
    if c12 >= _PP_OPEN_C12:
        return PP_OPEN
    # v = c12 * Vref / MAX;  R = Rpu * v / (Vpu - v)
    den = PP_PULLUP_MV * ADC_MAX - c12 * ADC_VREF_MV
    if den <= 0:
        return PP_OPEN
    return _div_round(PP_PULLUP_OHM * c12 * ADC_VREF_MV, den)


class AFE:
    """Analog front end with noise from a Prng (prng=None or noise_counts=0: noiseless)."""

    def __init__(self, prng, noise_counts=NOISE_COUNTS):
        self.prng = prng
        self.noise_counts = noise_counts

    def _noise(self):
        if self.prng is None:
            return 0
        return self.prng.noise(self.noise_counts)

    def cp_counts(self, mv):
        """read_u16() counts for a CP node voltage (mV), with noise."""
        # noise is added before clamping: an input far beyond the range stays at the rail
        return _clamp12(_cp_ideal(mv) + self._noise()) << U16_SHIFT

    def pp_counts(self, mv):
        """read_u16() counts for a PP node voltage (mV), with noise."""
        return _clamp12(_pp_ideal(mv) + self._noise()) << U16_SHIFT

    def counts_to_cp_mv(self, counts):
        """Same as the module function counts_to_cp_mv."""
        return counts_to_cp_mv(counts)

    def counts_to_pp_ohm(self, counts):
        """Same as the module function counts_to_pp_ohm."""
        return counts_to_pp_ohm(counts)
