# The USB serial console as an asyncio task beside the control loop: stdin bytes into evse.console,
# replies to stdout. It awaits every byte, so it never stalls the control task. The console itself is
# imported on the first received byte: its code and tables (about 9 KB of RAM) are not spent on a
# charger nobody talks to.
import sys

from evse.pilot import since

BEAT_MS = 250  # housekeeping's round: the main program's sign of life (hw/app.py MAIN_STALL_MS)
_FLUSH_MS = 5000  # history.flush() at most this often: it only writes when a write is due
_SERVICE_WINDOW_MS = 5000  # the service button is looked at this long after boot ...
_SERVICE_POLL_MS = 100  # ... this often
_RETRY_MS = 100  # after a read error on the serial port, try again this much later


def _write(s):
    sys.stdout.write(s)


def _machine():
    try:
        import machine

        return machine
    except ImportError:  # a host test without the virtual board's modules
        return None


class SerialConsole:
    """Console on stdin/stdout for one App; history keeps the uptime clock (it counts tick wraps)."""

    def __init__(self, app, history, reboot_fn, stream=None, write_fn=None):
        self.app = app
        self.history = history
        self._reboot_fn = reboot_fn
        self._write_fn = write_fn or _write
        self.console = None  # evse.console.Console, made on the first received byte
        self._flush_t = 0
        self._ctrl_c = None  # what boot.ctrl_c was last told (None: not yet)
        self.service_button = False  # the service button was held after boot: Ctrl-C stops the firmware
        # The byte stream under stdin: through the text wrapper read(1) gives a str, not a byte.
        self._stream = stream if stream is not None else getattr(sys.stdin, "buffer", sys.stdin)

    async def serve(self):
        """Read one byte at a time as it arrives (StreamReader polls stdin) and feed the console.
        Ctrl-C never reaches here: MicroPython turns it into KeyboardInterrupt, main.py forces the
        safe state and leaves the REPL to the user or mpremote."""
        import asyncio

        reader = asyncio.StreamReader(self._stream)
        self.guard()
        while True:
            try:
                b = await reader.read(1)
            except Exception:  # the transport failed (USB gone): the console waits, charging goes on
                await asyncio.sleep_ms(_RETRY_MS)
                continue
            if b:
                c = b[0]
                self.open().feed(ord(c) if isinstance(c, str) else c)
                self.guard()  # a line may have set or removed the PIN, or asked for service mode

    def guard(self):
        """Ctrl-C stops the firmware only without a PIN, in service mode, or after the service button
        (issue 10: the REPL would bypass the PIN). Cheap: acts only when the answer changes."""
        app = self.app
        st = getattr(app, "settings", None)
        if st is None:
            return
        cmd = getattr(app, "_commands", None)
        allowed = self.service_button or (cmd.ctrl_c_allowed() if cmd is not None else not st.values.get("pin"))
        if allowed != self._ctrl_c:
            from hw import boot

            boot.ctrl_c(_machine(), allowed)
            self._ctrl_c = allowed

    def open(self):
        """The console, imported and started (banner and load warnings) on first use."""
        if self.console is None:
            from evse.console import Console

            app = self.app
            cmd = app.commands(self.history.uptime_ms, self._reboot)
            self.console = Console(app.charger, app.settings, self.history, self.history.uptime_ms,
                                   self._write_fn, self._reboot, commands=cmd)
            self.console.start()
        return self.console

    def _button(self):
        """The board's service button (docs/boards.md "PIN and service mode"), False if it has none."""
        hw = getattr(self.app, "hw", None)
        if hw is None:
            return False
        f = getattr(hw.port, "service_button", None)
        if f is None:
            return False
        try:
            return bool(f(_machine()))
        except Exception:  # a board without the button wired: never a reason to stop the console
            return False

    def _reboot(self):
        """The console's `reboot`: safe state first (contactor open, pilot -12 V), then a save staged
        during the session is written (no longer under load), then the board restarts."""
        app = self.app
        try:
            if getattr(app, "ticker", None) is not None:
                app.ticker.stop()  # no step re-applies the core's commands before the reset
            app.safe()
            app.settings.flush(False)
        finally:
            self._reboot_fn()

    async def housekeeping(self):
        """Slow work off the control path: a sign of life for the watchdog (App.beat) every BEAT_MS, and
        the rare flash writes (history, a staged settings save) only while the contactor is open. The
        first one, at boot, stores this boot's number: otherwise a board that reboots with nothing to log
        would call every boot "boot 1" (one write per boot; the contactor is open while a board boots)."""
        import asyncio
        from time import ticks_ms  # here: CPython's time has it only under the virtual board

        self.history.pending = True
        self.history.flush()
        waited = 0
        while waited < _SERVICE_WINDOW_MS and not self.service_button:
            await asyncio.sleep_ms(_SERVICE_POLL_MS)
            waited += _SERVICE_POLL_MS
            self.app.beat(ticks_ms())
            if self._button():
                self.service_button = True
                self.guard()
                self._write_fn("\r\nevse: service button held: Ctrl-C stops the charger until reboot\r\n")
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
            try:
                st.flush(False)  # (a failed write stays pending: tried again next round)
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
