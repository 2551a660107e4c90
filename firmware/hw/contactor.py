# Contactor: coil through machine.Signal, optional hold PWM after pull-in, load-side voltage sense.
from evse.iodata import RELAY_V_NONE
from evse.pilot import since


class Contactor:
    """coil: Signal (active level hidden); sense: Signal of the load-side mains opto, or None.

    hold: None, or (make, release): make() puts the coil pin on a hold PWM and returns its duty_u16 method
    with the 'off' duty; release() gives the pin back to the Signal. Both run in loop context only.
    """

    def __init__(self, coil, sense, pull_in_ms, hold=None):
        self._on = coil.on
        self._off = coil.off
        self._sense = sense.value if sense is not None else None
        self._pull_in = pull_in_ms
        self._hold = hold
        self._hold_duty = None  # duty_u16 of the hold PWM while it owns the pin
        self._hold_off = 0
        self.closed = False
        self._t = 0
        self._off()

    def open_now(self):
        """Open the contactor. May run in interrupt context: no allocation."""
        hd = self._hold_duty
        if hd is not None:
            hd(self._hold_off)
        self._off()
        self.closed = False

    def set(self, closed, now):
        """Apply the core's command at now (ms). Loop context."""
        if closed and not self.closed:
            self._on()
            self.closed = True
            self._t = now
        elif not closed and (self.closed or self._hold_duty is not None):
            self.open_now()
        if self._hold is None:
            return
        if not self.closed and self._hold_duty is not None:
            self._hold_duty = None
            self._hold[1]()  # give the pin back to the Signal (already off)
            self._off()
        elif self.closed and self._hold_duty is None and since(now, self._t) >= self._pull_in:
            duty, off = self._hold[0]()
            self._hold_off = off
            self._hold_duty = duty

    def pending(self, now):
        """True while a pull-in is timing towards the hold PWM."""
        return self._hold is not None and self.closed and self._hold_duty is None

    @property
    def sense_value(self):
        """The load-side sense Signal's value method (truthy: live), None without a sense input."""
        return self._sense

    def sense(self):
        """Load-side voltage: 1 present, 0 absent, RELAY_V_NONE without a sense input."""
        if self._sense is None:
            return RELAY_V_NONE
        return 1 if self._sense() else 0
