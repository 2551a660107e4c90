# Control pilot and proximity circuits as resistor networks: node voltages in mV, integer math.
from evse.iodata import NO_SAMPLE, PILOT_N12, PILOT_P12, PILOT_PWM

# Control pilot (SAE J1772 / IEC 61851-1 Annex A, figures in docs/standards.md).
GEN_MV = 12000  # generator plateau, +-12 V (each within 5 %)
R1_OHM = 1000  # EVSE source resistor (970..1030 ohm)
DIODE_MV = 700  # forward drop of the EV's diode (silicon, typical)
EV_B = 2740  # R2 alone: EV connected, not ready
EV_C = 882  # 2740 || 1300: EV ready, charge
EV_D = 246  # 2740 || 270: EV ready, needs ventilation

# Proximity: the EVSE pulls PP up to 3.3 V through 1 kohm. This is a reference design choice of this
# bench (no standard fixes the EVSE-side pull-up); a board file will own it later.
PP_PULLUP_OHM = 1000
PP_PULLUP_MV = 3300


def _div_round(num, den):
    """num / den rounded half away from zero (den > 0)."""
    if num >= 0:
        return (2 * num + den) // (2 * den)
    return -((-2 * num + den) // (2 * den))


def cp_volts_mv(drive_mv, ev_ohm, diode=True, cp_short=False, r1_ohm=R1_OHM):
    """CP node voltage (mV) for a generator level drive_mv; ev_ohm None = nothing connected.

    The EVSE's own sense input is taken as infinite impedance. diode=False = EV diode missing/shorted.
    """
    if cp_short:
        return 0
    if ev_ohm is None:
        return drive_mv
    if ev_ohm < 0:
        raise ValueError("ev_ohm")
    if diode:
        if drive_mv <= DIODE_MV:
            return drive_mv  # diode blocks: no current through R1
        # (Vg - Vn) / R1 = (Vn - Vd) / Rev
        return _div_round(drive_mv * ev_ohm + DIODE_MV * r1_ohm, r1_ohm + ev_ohm)
    return _div_round(drive_mv * ev_ohm, r1_ohm + ev_ohm)


def pilot_plateaus(pilot_mode, ev_ohm, diode=True, cp_short=False, gen_mv=GEN_MV):
    """(high_mv, low_mv) the EVSE would sample; low is NO_SAMPLE unless PWM runs.

    For PILOT_N12 the "high" is the -12 V node level (the only plateau there is).
    """
    if pilot_mode == PILOT_P12:
        return (cp_volts_mv(gen_mv, ev_ohm, diode, cp_short), NO_SAMPLE)
    if pilot_mode == PILOT_N12:
        return (cp_volts_mv(-gen_mv, ev_ohm, diode, cp_short), NO_SAMPLE)
    if pilot_mode == PILOT_PWM:
        return (
            cp_volts_mv(gen_mv, ev_ohm, diode, cp_short),
            cp_volts_mv(-gen_mv, ev_ohm, diode, cp_short),
        )
    raise ValueError("pilot_mode")


def pp_volts_mv(pp_ohm, pullup_ohm=PP_PULLUP_OHM, pullup_mv=PP_PULLUP_MV):
    """PP node voltage (mV): pull-up to pullup_mv against the plug's resistor to PE; None = open."""
    if pp_ohm is None:
        return pullup_mv
    if pp_ohm < 0:
        raise ValueError("pp_ohm")
    return _div_round(pullup_mv * pp_ohm, pullup_ohm + pp_ohm)
