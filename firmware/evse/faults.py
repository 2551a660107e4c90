# Fault codes: one contiguous range of bit numbers, their public names and their latch policy.
from .compat import const

# Bit numbers (the trace and console use the names below, never these numbers).
DIODE = const(0)  # no -12 V low side while PWM runs: EV diode missing/shorted
CP_SHORT = const(1)  # pilot reads state E (CP shorted to PE) while the EVSE drives it
PILOT_FAULT = const(2)  # pilot high side outside every state window
VENT_REQUIRED = const(3)  # EV asks for D, ventilation not allowed
GFCI_TRIP = const(4)  # residual current tripped the monitor
GFCI_SELFTEST = const(5)  # residual-current self-test failed (latched, no retry)
NO_GROUND = const(6)  # protective earth absent
RELAY_WELDED = const(7)  # load side live > 1 s after opening (latched)
RELAY_FAIL_CLOSE = const(8)  # commanded closed, load side stays dead (latched)
OVER_TEMPERATURE = const(9)  # above the stop temperature
PP_INVALID = const(10)  # proximity open / out of range (no cable) while an EV is connected
LOCK_FAILED = const(11)  # Type 2 socket lock did not confirm
EV_NOT_RESPONDING = const(12)  # EV stayed in C 6 s after PWM was withdrawn
TEMP_SENSOR = const(13)  # a temperature sensor that was read has vanished, or reads what cannot be
OVER_CURRENT = const(14)  # the EV drew more than offered + 10 % + 0.5 A for 5 s (metered)
METER_LOST = const(15)  # the fitted meter stopped answering or answers nonsense (advisory, see charger.py)
COUNT = const(16)

NAMES = (
    "diode",
    "cp_short",
    "pilot_fault",
    "vent_required",
    "gfci_trip",
    "gfci_selftest",
    "no_ground",
    "relay_welded",
    "relay_fail_close",
    "over_temperature",
    "pp_invalid",
    "lock_failed",
    "ev_not_responding",
    "temp_sensor",
    "over_current",
    "meter_lost",
)

# Always latched: only a service reset (console `reset`, or a power cycle) clears them.
# gfci_trip becomes latched after its reclosures are used up (see rcd.py).
ALWAYS_LATCHED = const((1 << GFCI_SELFTEST) | (1 << RELAY_WELDED) | (1 << RELAY_FAIL_CLOSE))


def code_of(name):
    """Bit number for a fault name, or -1."""
    for i in range(COUNT):
        if NAMES[i] == name:
            return i
    return -1
