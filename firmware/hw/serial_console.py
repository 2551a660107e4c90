# The USB serial console as an asyncio task beside the control loop: stdin bytes into evse.console,
# replies to stdout. It awaits every byte, so it never stalls the control task. The console itself is
# imported on the first received byte: its code and tables (about 9 KB of RAM) are not spent on a
# charger nobody talks to.
import sys

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
        """Slow work off the control path: the history's rare flash writes. The first one, at boot,
        stores this boot's number: otherwise a board that reboots with nothing to log would call every
        boot "boot 1" (one write per boot; the contactor is open while a board boots)."""
        import asyncio

        self.history.pending = True
        self.history.flush()
        while True:
            await asyncio.sleep_ms(_FLUSH_MS)
            self.history.flush()
