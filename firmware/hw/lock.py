# Type 2 socket lock: the actuator's drive and its "locked" feedback switch, both through machine.Signal.
# Two kinds of drive (the board file says which):
# - level: one pin, on = locked (a solenoid, or an actuator with its own driver, that holds while powered);
# - H-bridge: two pins, one per direction, pulsed for pulse_ms per move and then both off. Most Type 2
#   socket actuators are a small 12 V DC motor with end stops: reverse the polarity to unlock, never leave
#   them powered. Both bridge inputs are never on together (on a discrete bridge that is a short).
from evse.pilot import since


class SocketLock:
    """drive: Signal (the lock direction, or the level drive); back: Signal for the unlock direction, or
    None for a level drive; feedback: Signal of the "locked" switch. drive None: no lock (tethered)."""

    def __init__(self, drive, feedback, back=None, pulse_ms=0):
        self._drive = drive
        self._back = back
        self._pulse_ms = pulse_ms
        self._fb = feedback.value if feedback is not None else None
        self.cmd = False
        self.moving = False  # an H-bridge pulse is running
        self._t0 = 0
        if back is not None:
            back.off()
        if drive is not None:
            drive.off()

    def set(self, lock, now):
        """Every control step (interrupt context: no allocation): follow the core's lock command; end a
        pulse when its time is up."""
        drive = self._drive
        back = self._back
        if drive is None:
            return
        if lock != self.cmd:
            self.cmd = lock
            if back is None:
                drive.value(1 if lock else 0)
                return
            if lock:  # the other direction off first: never both on (no tuple: the step allocates nothing)
                back.off()
                drive.on()
            else:
                drive.off()
                back.on()
            self.moving = True
            self._t0 = now
        elif self.moving and back is not None and since(now, self._t0) >= self._pulse_ms:
            drive.off()
            back.off()
            self.moving = False

    def pending(self, now):
        """True while a pulse runs: the control step that ends it must not be skipped (virtual board)."""
        return self.moving

    def locked(self):
        return self._fb is not None and self._fb() == 1

    @property
    def feedback_value(self):
        """The "locked" switch Signal's value method (1: locked), None without one."""
        return self._fb
