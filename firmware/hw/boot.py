# Boot and failure: the safe state (contactor open, pilot at -12 V, test winding off) by plain GPIO writes,
# the emergency exception buffer, and the watchdog that only a healthy control loop feeds.
try:
    import micropython
except ImportError:  # CPython under the virtual board
    micropython = None

EMERGENCY_BUF = 100  # bytes for a traceback raised in an ISR


def safe_pins(machine, board):
    """Contactor open, pilot -12 V (state F), test winding off. Plain Pin writes: nothing else needed."""
    Pin = machine.Pin
    Pin(board.CONTACTOR, Pin.OUT, value=0 if board.CONTACTOR_ACTIVE_HIGH else 1)
    Pin(board.PILOT_PWM, Pin.OUT, value=1 - board.PILOT_HIGH_LEVEL)
    Pin(board.GFCI_TEST, Pin.OUT, value=0)


def emergency_buf():
    """Room for an exception raised in an ISR (not on ports without it, like the unix one)."""
    f = getattr(micropython, "alloc_emergency_exception_buf", None)
    if f is not None:
        f(EMERGENCY_BUF)


class Watchdog:
    """machine.WDT, fed only by the control loop after a healthy step."""

    def __init__(self, machine, timeout_ms):
        self._wdt = machine.WDT(timeout=timeout_ms)
        self.feed = self._wdt.feed


def keep_alive(machine, wdt, timer_id, period_ms=500):
    """After a deliberate stop (Ctrl-C) in the safe state: feed the dog from a timer so the REPL and
    mpremote stay usable. A watchdog cannot be stopped once started on rp2 or esp32."""
    if wdt is None:
        return None
    t = machine.Timer(timer_id)
    t.init(period=period_ms, mode=machine.Timer.PERIODIC, callback=lambda _t: wdt.feed())
    return t


def ctrl_c(machine, enabled):
    """Ctrl-C on the USB console stops the firmware into the REPL (enabled), or is passed to the console
    as a plain byte: with a PIN set, the REPL (and mpremote) would bypass the PIN, so it takes `service`
    after `unlock <pin>`, or the service button, to get there (docs/boards.md "PIN and service mode").
    The virtual board's machine module models the chip's console (machine.kbd_intr); a board uses
    micropython.kbd_intr."""
    f = getattr(machine, "kbd_intr", None)
    if f is None and micropython is not None:
        f = getattr(micropython, "kbd_intr", None)
    if f is not None:
        f(3 if enabled else -1)
