# Pilot calibration (issue 10, bring-up): readings of the pilot with known loads on it -> a gain and an
# offset for the board's pilot sense chain (settings cal_cp_gain, cal_cp_offset_mv), which the core applies
# to both plateaus before it classifies them. Runs in the console task only; the core uses apply_mv().
from .compat import const

GAIN_ONE = const(10000)  # cal_cp_gain is in 1/10000: 10000 = no correction
_GEN_MV = const(12000)  # the generator's plateau, nominal (J1772: +-12 V each within 5 %)
_R1_OHM = const(1000)  # the EVSE's source resistor
_DIODE_MV = const(700)  # the test load's diode (a 1N4148 or 1N4007, as in an EV), forward drop
MAX_GAIN_ERR = const(1000)  # a fit further than 10 % from 1 is a wiring or board-file error, not drift
MAX_OFFSET_MV = const(1500)
MAX_RESIDUAL_MV = const(200)  # a point this far off the fitted line: the load or a reading was wrong

# name, test load (ohm behind a diode; None: nothing on the pilot), the pilot mode it is read in, help
POINTS = (
    ("open", None, "+12V", "nothing on the pilot"),
    ("b", 2740, "+12V", "2.74 kohm behind a diode (state B)"),
    ("c", 882, "+12V", "882 ohm (2.74 k || 1.3 k) behind a diode (state C)"),
    ("neg", None, "-12V", "nothing on the pilot, pilot at -12 V (disable)"),
)


def expected_mv(name):
    """The pilot mV a correct sense chain reads at a calibration point, from the nominal circuit."""
    for n, ohm, mode, _h in POINTS:
        if n == name:
            if mode == "-12V":
                return -_GEN_MV
            if ohm is None:
                return _GEN_MV
            return (_GEN_MV * ohm + _DIODE_MV * _R1_OHM + (_R1_OHM + ohm) // 2) // (_R1_OHM + ohm)
    return None


def apply_mv(mv, gain, offset_mv):
    """A raw pilot reading, corrected. Control-loop context: integers only, no allocation (|mv| < 20 V,
    gain < 11000: the product stays a small int on 32-bit ports)."""
    return mv * gain // GAIN_ONE + offset_mv


def fit(readings):
    """readings: {point name: raw mV}. A least-squares line expected = gain * raw + offset over them:
    (ok, gain in 1/10000, offset mV, worst residual mV, message)."""
    pts = []
    for n in sorted(readings):
        e = expected_mv(n)
        if e is not None:
            pts.append((readings[n], e))
    if len(pts) < len(POINTS):
        return False, GAIN_ONE, 0, 0, "%d of %d points read" % (len(pts), len(POINTS))
    k = len(pts)
    sm = se = 0
    for m, e in pts:
        sm += m
        se += e
    sxx = sxy = 0
    for m, e in pts:
        dm = k * m - sm  # k times the deviations: integers throughout
        sxx += dm * dm
        sxy += dm * (k * e - se)
    if sxx == 0:
        return False, GAIN_ONE, 0, 0, "the readings do not differ: is the pilot connected?"
    gain = (sxy * GAIN_ONE + sxx // 2) // sxx
    off = (se * GAIN_ONE - gain * sm) // (k * GAIN_ONE)
    worst = 0
    for m, e in pts:
        r = apply_mv(m, gain, off) - e
        r = -r if r < 0 else r
        if r > worst:
            worst = r
    if not (GAIN_ONE - MAX_GAIN_ERR <= gain <= GAIN_ONE + MAX_GAIN_ERR) or not (-MAX_OFFSET_MV <= off <= MAX_OFFSET_MV):
        return False, gain, off, worst, "gain %d/10000, offset %d mV: outside what a sound board needs" % (gain, off)
    if worst > MAX_RESIDUAL_MV:
        return False, gain, off, worst, "a point is %d mV off the fitted line: check the loads and repeat" % worst
    return True, gain, off, worst, "ok"
