# Duty cycle <-> current, both directions (IEC 61851-1 Table A.7/A.8, SAE J1772). Integers only:
# current in mA, duty in tenths of a percent.
from .compat import const

MIN_MA = const(6000)  # below this nothing can be offered: steady +12 V instead
MAX_MA = const(80000)  # J1772 AC maximum
DUTY_DIGITAL = const(50)  # 5 %: digital communication required (ISO 15118 / DIN 70121)
DUTY_MAX = const(1000)

# Vehicle-side readings that are not a current.
NO_CHARGE = const(-1)
DIGITAL = const(-2)
DUTY_ERROR = const(-3)

# Changes of the advertised current: at most one every 5 s (IEC 61851-1 A.2.2; docs/standards.md).
CHANGE_INTERVAL_MS = const(5000)


def duty_for_ma(ma):
    """Duty (tenths of %) that advertises ma, rounded to the nearest tenth; -1 if it cannot be offered."""
    if ma < MIN_MA or ma > MAX_MA:
        return -1
    if ma <= 51000:
        return (ma + 30) // 60  # duty % = I / 0.6
    return (ma + 125) // 250 + 640  # duty % = I / 2.5 + 64


def ma_for_duty(d):
    """Current (mA) a vehicle reads from duty d (tenths of %), or NO_CHARGE / DIGITAL / DUTY_ERROR."""
    if d < 30:
        return NO_CHARGE
    if d <= 70:
        return DIGITAL
    if d < 80:
        return DUTY_ERROR
    if d <= 100:
        return 6000
    if d <= 850:
        return d * 60
    if d <= 960:
        return (d - 640) * 250
    if d <= 970:
        return 80000
    return NO_CHARGE


def fmt_tenths(v):
    """'26.7' for 267: a fixed-point decimal without floats (same text on every interpreter)."""
    s = "-" if v < 0 else ""
    v = -v if v < 0 else v
    return s + str(v // 10) + "." + str(v % 10)
