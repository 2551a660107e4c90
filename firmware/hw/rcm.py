# Residual-current monitor: the trip input is a pin IRQ whose handler opens the contactor itself and flags
# the trip for the core; the self-test drives the test winding with a ~60 Hz square wave from a PWM, or
# holds a steady level on a module's test input (test_hz 0: modules such as the RCM14-03).
from evse.compat import const

_HALF = const(32768)  # duty_u16() for a 50 % square wave
_FULL = const(65535)  # duty_u16() for a steady high level
LEVEL_CARRIER_HZ = const(1000)  # the PWM's frequency when it only holds a level (any will do)


class Rcm:
    """trip: Signal of the monitor's trip output; test_pwm: PWM on the test winding driver."""

    def __init__(self, trip, test_pwm, test_hz, contactor, charger):
        self._trip = trip.value
        self._open = contactor.open_now  # bound methods, made once for the ISR
        self._flag = charger.rcd_irq
        self._test = test_pwm
        self._on = _HALF if test_hz else _FULL
        test_pwm.freq(test_hz or LEVEL_CARRIER_HZ)
        test_pwm.duty_u16(0)
        self.testing = False
        self.trips = 0  # ISR entries that found the trip output active
        self.isr = self._isr

    def _isr(self, _pin):
        # Interrupt context: opens the contactor at once, then flags the trip for the next tick. No allocation.
        if self._trip():
            self._open()
            self._flag()
            self.trips += 1

    def level(self):
        """The trip output now (polled every tick as well: the IRQ is the fast path, not the only one)."""
        return self._trip() == 1

    @property
    def trip_value(self):
        """The trip Signal's value method (1: tripped), for the control step to read directly."""
        return self._trip

    def test(self, on):
        """Drive the test winding (about 60 Hz square), or hold the test input high, while on."""
        if on != self.testing:
            self.testing = on
            self._test.duty_u16(self._on if on else 0)
