# Pilot generator: the core's duty (tenths of a percent) as 1 kHz PWM, or a steady +12 V / -12 V level.
from evse.compat import const
from evse.iodata import PILOT_N12, PILOT_P12, PILOT_PWM

FREQ_MIN_HZ = const(980)  # SAE J1772 / IEC 61851-1: 1 kHz, accepted 980..1020 Hz
FREQ_MAX_HZ = const(1020)
_FULL = const(65535)  # duty_u16() at 100 %


def duty_u16(tenths):
    """duty_u16() value for a duty in tenths of a percent: nearest of 65536 steps (0.0015 %). No allocation."""
    return (tenths * _FULL + 500) // 1000


class PilotPwm:
    """Drives the pilot buffer. high_level: logic level that gives +12 V (1, or 0 behind an inverter)."""

    def __init__(self, pwm, high_level, freq_hz):
        self._duty = pwm.duty_u16  # bound once
        self._pwm = pwm
        self._invert = not high_level
        pwm.freq(freq_hz)
        f = pwm.freq()
        if f < FREQ_MIN_HZ or f > FREQ_MAX_HZ:
            raise ValueError("pilot PWM runs at %d Hz" % f)
        self.mode = PILOT_N12
        self.duty = 0
        self.edges = False  # pulsing(), kept as an attribute for the control step
        self._set(0)

    def _set(self, u16):
        self._duty(_FULL - u16 if self._invert else u16)

    def apply(self, mode, duty):
        """Drive the core's pilot command (iodata.PILOT_*, duty in tenths of %). No allocation."""
        if mode == self.mode and (mode != PILOT_PWM or duty == self.duty):
            return
        self.mode = mode
        self.duty = duty
        self.edges = mode == PILOT_PWM and 0 < duty < 1000
        if mode == PILOT_PWM:
            self._set(duty_u16(duty))
        elif mode == PILOT_P12:
            self._set(_FULL)
        else:
            self._set(0)

    def pulsing(self):
        """True while the pilot has edges (PWM strictly between 0 and 100 %)."""
        return self.mode == PILOT_PWM and 0 < self.duty < 1000

    def deinit(self):
        self._pwm.deinit()
