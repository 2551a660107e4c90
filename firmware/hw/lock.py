# Type 2 socket lock: motor driver and the "locked" feedback switch, both through machine.Signal.


class SocketLock:
    """drive, feedback: Signals, or None on a board without a lock (tethered cable only)."""

    def __init__(self, drive, feedback):
        self._drive = drive
        self._fb = feedback.value if feedback is not None else None
        self.cmd = False
        if drive is not None:
            drive.off()

    def set(self, lock):
        if lock != self.cmd and self._drive is not None:
            self.cmd = lock
            self._drive.value(1 if lock else 0)

    def locked(self):
        return self._fb is not None and self._fb() == 1
