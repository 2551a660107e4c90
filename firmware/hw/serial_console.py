# The USB serial console as an asyncio task beside the control loop: stdin bytes into evse.console,
# replies to stdout. It awaits every byte, so it never stalls the control task. The console itself is
# imported on the first received byte: its code and tables (about 9 KB of RAM) are not spent on a
# charger nobody talks to.
import sys
from time import ticks_ms

from evse.pilot import since

BEAT_MS = 250  # housekeeping's round: the main program's sign of life (hw/app.py MAIN_STALL_MS)
_FLUSH_MS = 5000  # history.flush() at most this often: it only writes when a write is due
_RETRY_MS = 100  # after a read error on the serial port, try again this much later


def _write(s):
    sys.stdout.write(s)


class SerialConsole:
    """Console on stdin/stdout for one App; history keeps the uptime clock (it counts tick wraps)."""

    def __init__(self, app, history, reboot_fn, stream=None, write_fn=None):
        self.app = app
        self.history = history
        self._reboot_fn = reboot_fn
        self._write_fn = write_fn or _write
        self.console = None  # evse.console.Console, made on the first received byte
        self._flush_t = 0
        # The byte stream under stdin: through the text wrapper read(1) gives a str, not a byte.
        self._stream = stream if stream is not None else getattr(sys.stdin, "buffer", sys.stdin)

    async def serve(self):
        """Read one byte at a time as it arrives (StreamReader polls stdin) and feed the console.
        Ctrl-C never reaches here: MicroPython turns it into KeyboardInterrupt, main.py forces the
        safe state and leaves the REPL to the user or mpremote."""
        import asyncio

        reader = asyncio.StreamReader(self._stream)
        while True:
            try:
                b = await reader.read(1)
            except Exception:  # the transport failed (USB gone): the console waits, charging goes on
                await asyncio.sleep_ms(_RETRY_MS)
                continue
            if b:
                c = b[0]
                self.open().feed(ord(c) if isinstance(c, str) else c)

    def open(self):
        """The console, imported and started (banner and load warnings) on first use."""
        if self.console is None:
            from evse.console import Console

            app = self.app
            self.console = Console(app.charger, app.settings, self.history, self.history.uptime_ms,
                                   self._write_fn, self._reboot_fn)
            self.console.start()
        return self.console

    async def housekeeping(self):
        """Slow work off the control path: a sign of life for the watchdog (App.beat) every BEAT_MS, and
        the rare flash writes (history, a staged settings save) only while the contactor is open."""
        import asyncio

        while True:
            await asyncio.sleep_ms(BEAT_MS)
            self.tidy(ticks_ms())

    def tidy(self, now):
        """One housekeeping round at now (ms). Loop context."""
        app = self.app
        app.beat(now)
        if not flash_ok(app):
            return  # IEC 61851-1 timing: no interrupts-off flash write while energised (docs/boards.md)
        st = app.settings
        if st is not None and getattr(st, "save_pending", False):  # a save staged while charging
            st.save_pending = False
            try:
                st.save()
            except Exception:  # noqa: B902 -- a failing flash must not stop the main program
                pass
        if self.history is not None and since(now, self._flush_t) >= _FLUSH_MS:
            self._flush_t = now
            try:
                self.history.flush()
            except Exception:  # noqa: B902
                pass


def flash_ok(app):
    """True when a flash write may run now: the contactor is open, and the core does not command it
    closed (a flash erase on rp2 holds every interrupt, the control step's timer included)."""
    return not app.hw.contactor.closed and not app.io.relay
