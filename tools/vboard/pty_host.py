# make vboard: the firmware's board, emulated by the MicroPython unix port behind a pseudo-terminal.
# Prints the device path; mpremote (make deploy PORT=<path>), screen or picocom connect to it as to a board's
# USB serial. A folder plays the board's flash; machine.reset() (mpremote reset, the console's reboot)
# restarts the interpreter, which then runs the deployed main.py on the fake hardware in real time.
# What a board does and the unix port alone does not, done here: a soft reset from the raw REPL (mpremote
# without `resume`) gives a raw REPL again before main.py runs; a reset loses what was in flight, as a
# board's USB serial does; LF goes out as CR LF; the clock starts at 0 at each power-up.
# python3 -m tools.vboard.pty_host [--board pico] [--flash DIR] [--deploy] [--scenario FILE] [--trace FILE]
import fcntl
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import time
import tty

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARKER = b"\x1b]vboard-reset\x07"  # tools/vboard/kernel.py RESET_MARKER: machine.reset() was called
HEAP = "1M"  # the firmware, the bench's models and the scenario's meter share it (a board: docs/performance.md)
USAGE = ("usage: python3 -m tools.vboard.pty_host [--board B] [--flash DIR] [--deploy] "
         "[--scenario FILE] [--trace FILE]")

PROMPT = b">>> "  # the unix port's friendly REPL is up
MAIN = b"vboard: running main.py"  # vboot.py starts the deployed firmware
RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"  # the raw REPL (pyexec) is up
SOFT_BANNER = b"MPY: soft reboot\r\n"  # what rp2 and esp32 builds print on a soft reset
READY_S = 30.0  # a loaded 2-core machine can take seconds to start the interpreter
MAIN_SETTLE_S = 0.3  # after MAIN: main.py imports and starts its console task
WRITE_S = 0.5  # how long a write may wait for room before the rest is dropped (nobody reading)
CTRL_A, CTRL_B = 1, 2


def _args(argv):
    opts = {"board": "pico", "flash": None, "scenario": None, "trace": None, "deploy": False}
    i = 0
    while i < len(argv):
        k = argv[i].lstrip("-")
        if k == "deploy":
            opts["deploy"] = True
            i += 1
            continue
        if k not in opts or i + 1 >= len(argv):
            raise SystemExit(USAGE)
        opts[k] = argv[i + 1]
        i += 2
    return opts


def install_firmware(board, flash):
    """Put the repo's firmware for board onto the flash folder, as `make deploy` would: the same build,
    the old evse/, hw/, meter/, net/ and ocpp16/ removed first, settings.json and history.json kept. Returns the file count."""
    from tools.fwbuild import PACKAGES, build

    files = build(board)
    for d in PACKAGES:
        shutil.rmtree(os.path.join(flash, d), ignore_errors=True)
    out = os.path.join(ROOT, "build", board)
    for name, _size in files:
        dst = os.path.join(flash, name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(os.path.join(out, name), dst)
    return len(files)


def clock_wrapper():
    """A command prefix that starts the interpreter in a Linux time namespace whose monotonic clock reads
    about 0 (the unix port's ticks_ms is CLOCK_MONOTONIC, the host's uptime otherwise): a board's clock
    starts at power-up. [] where the host refuses time namespaces: the board then counts from the host's
    boot, which nothing in the firmware depends on (its uptime only counts forward)."""
    exe = shutil.which("unshare")
    if exe is None:
        return []
    # --kill-child: the interpreter dies with its unshare parent (PR_SET_PDEATHSIG), even on SIGKILL.
    for extra in (["--user", "--map-root-user"], []):
        cmd = [exe] + extra + ["--time", "--fork", "--kill-child", _offset()]
        try:
            p = subprocess.run(cmd + ["true"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
        except (OSError, subprocess.SubprocessError):
            continue
        if p.returncode == 0:
            return cmd  # its last item, the offset, is computed again at each start
    return []


def _offset():
    """unshare's option for a monotonic clock that reads under 1 s now (whole seconds only)."""
    return "--monotonic=-%d" % int(time.monotonic())


def _controlling_tty():
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _write_all(fd, data):
    """Write all of data, waiting up to WRITE_S for room; a partial write is finished, not dropped."""
    end = time.time() + WRITE_S
    while data:
        try:
            n = os.write(fd, data)
            data = data[n:]
        except BlockingIOError:
            left = end - time.time()
            if left <= 0:
                return  # nobody is reading that side: drop the rest rather than stall the board
            select.select([], [fd], [], left)


def crlf(data, after_cr):
    """LF not preceded by CR -> CR LF, as a board's MicroPython sends its output (the unix port writes bare
    LF, which staircases in picocom, screen and mpremote). after_cr: the previous chunk ended in CR.
    Returns (data, ends in CR)."""
    if not data:
        return data, after_cr
    out = bytearray()
    prev = 13 if after_cr else 0
    for b in data:
        if b == 10 and prev != 13:
            out.append(13)
        out.append(b)
        prev = b
    return bytes(out), prev == 13


class Host:
    """The interpreter on one pty (board side), a person or mpremote on another (user side), and the
    relay between them that plays a board's power-up, resets and USB serial."""

    def __init__(self, opts):
        self.opts = opts
        self.board_m, self.board_s = pty.openpty()  # the interpreter's console
        self.user_m, self.user_s = pty.openpty()  # the "USB serial" a person or mpremote opens
        tty.setraw(self.user_s)
        tty.setraw(self.board_s)  # bytes through unchanged both ways, as on a USB CDC serial ...
        attrs = termios.tcgetattr(self.board_s)
        attrs[3] |= termios.ISIG  # ... except Ctrl-C, which interrupts running code, as a board's does
        termios.tcsetattr(self.board_s, termios.TCSANOW, attrs)
        # The unix REPL turns ISIG off while it waits for a line; an interpreter killed there (a reset)
        # would leave it off for the next one. Every power-up starts from these attributes.
        self.attrs = termios.tcgetattr(self.board_s)
        os.set_blocking(self.user_m, False)  # nobody connected: drop output rather than stall the board
        self.path = os.ttyname(self.user_s)
        self.wrap = clock_wrapper()
        self.proc = None
        self.soft = False  # this power-up is a soft reset: no main.py, straight into the raw REPL
        self.booting = False  # user bytes are held until the board is up (its REPL set-up would flush them)
        self.boot_end = 0.0
        self.seen = b""  # board output since this power-up, until it is up
        self.held = b""  # user bytes held while the board boots
        self.tail = b""  # the last board bytes, to find prompts split across reads
        self.raw = False  # the board is in the raw REPL (mpremote's mode)
        self.after_cr = False
        self.boots = 0

    # -- power ------------------------------------------------------------------------------------
    def start(self, soft=False):
        exe = os.environ.get("MICROPYTHON") or os.path.join(ROOT, ".venv", "bin", "micropython")
        env = dict(os.environ)
        env["MICROPYPATH"] = ":".join([".", ".frozen", ROOT + "/tools/vboard/ports", ROOT, ROOT + "/firmware"])
        env["VBOARD_BOARD"] = self.opts["board"]
        env.pop("VBOARD_SOFT_RESET", None)
        env.pop("VBOARD_APPLY_SETTINGS", None)
        if self.boots == 0 and self.opts["scenario"]:
            env["VBOARD_APPLY_SETTINGS"] = "1"  # the scenario's settings onto the flash at the first power-up only
        if soft:
            env["VBOARD_SOFT_RESET"] = "1"
        for key in ("scenario", "trace"):
            if self.opts[key]:
                env["VBOARD_" + key.upper()] = os.path.abspath(self.opts[key])
        termios.tcsetattr(self.board_s, termios.TCSANOW, self.attrs)
        # A fresh USB serial holds no old bytes: what the last interpreter left unread (mpremote's last
        # command bytes, read as "ERR 8 control character" by the new console otherwise) is lost in a reset.
        termios.tcflush(self.board_s, termios.TCIOFLUSH)
        wrap = list(self.wrap)
        if wrap:
            wrap[-1] = _offset()
        # The pty is the interpreter's controlling terminal (new session + TIOCSCTTY), so Ctrl-C raises
        # KeyboardInterrupt in running code exactly as on a board, and is a plain byte at its REPL prompt.
        self.proc = subprocess.Popen(wrap + [exe, "-X", "heapsize=" + HEAP, "-i",
                                             os.path.join(ROOT, "tools/vboard/vboot.py")],
                                     stdin=self.board_s, stdout=self.board_s, stderr=self.board_s,
                                     cwd=self.opts["flash"], env=env, start_new_session=True,
                                     preexec_fn=_controlling_tty)
        self.soft = soft
        self.booting = True
        self.boot_end = time.time() + READY_S
        self.seen = b""
        self.tail = b""
        self.raw = False
        self.boots += 1

    def kill(self):
        p = self.proc
        if p is None:
            return
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)  # the session: unshare and the interpreter under it
            except OSError:
                pass
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self._drain()

    def _drain(self):
        """Drop what a dead interpreter left unread on its console (its last words after a reset)."""
        while True:
            r, _, _ = select.select([self.board_m], [], [], 0)
            if not r:
                return
            try:
                if not os.read(self.board_m, 4096):
                    return
            except OSError:
                return

    # -- relay ------------------------------------------------------------------------------------
    def to_user(self, data):
        data, self.after_cr = crlf(data, self.after_cr)
        _write_all(self.user_m, data)

    def from_board(self, data):
        if MARKER in data:  # machine.reset(): what came before goes out, then the board is gone
            self.to_user(data[:data.index(MARKER)])
            self.kill()
            self.start()
            return
        if self.booting:
            self.seen += data
            if self.soft:  # the unix port's banner and friendly prompt are not what a board shows
                if PROMPT in self.seen:
                    os.write(self.board_m, bytes([CTRL_A]))  # into the raw REPL, as the board stays in it
                    self.booting = False
                    self.seen = b""
                return
            if PROMPT not in self.seen and MAIN not in self.seen:
                self.to_user(data)
                return
            self.booting = False
            if MAIN in self.seen:
                time.sleep(MAIN_SETTLE_S)
        self._track(data)
        self.to_user(data)
        if self.held and (self.raw or not self.soft):
            held, self.held = self.held, b""
            self.from_user(held)

    def _track(self, data):
        t = self.tail + data
        if RAW_PROMPT in t:
            self.raw = True
            t = b""
        elif self.raw and t.endswith(PROMPT):
            self.raw = False
        self.tail = t[-32:]

    def from_user(self, data):
        if self.booting:  # sent after the reset: the board gets them once it is up to read them
            self.held += data
            return
        if self.raw and CTRL_B in data:
            self.raw = False
        _write_all(self.board_m, data)

    def ended(self):
        """The interpreter ended by itself. In the raw REPL that is a soft reset (Ctrl-D on an empty
        command, or SystemExit): like a board, come back in the raw REPL without running main.py, which
        is what mpremote waits for when it is not told `resume`. Anywhere else: power up again."""
        soft = self.raw
        self.kill()
        if soft:
            self.to_user(SOFT_BANNER)
        time.sleep(0.05)
        self.start(soft=soft)

    def ready(self):
        """Wait for the first power-up to finish, so the path is only said once the board listens: bytes
        sent before its REPL has set up the terminal can be flushed away by that set-up."""
        end = time.time() + READY_S
        while self.booting and time.time() < end:
            r, _, _ = select.select([self.board_m], [], [], 0.2)
            if r:
                try:
                    self.from_board(os.read(self.board_m, 4096))
                except OSError:
                    break
        self.booting = False

    def serve(self, stop):
        while not stop:
            r, _, _ = select.select([self.board_m, self.user_m], [], [], 0.2)
            for fd in r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                if data and fd == self.board_m:
                    self.from_board(data)
                elif data:
                    self.from_user(data)
            if self.booting and time.time() > self.boot_end:
                self.booting = False  # never came up as expected: pass bytes through rather than hang
                held, self.held = self.held, b""
                self.from_user(held)
            if self.proc.poll() is not None:
                self.ended()


def main(argv):
    opts = _args(argv)
    if opts["flash"] is None:
        opts["flash"] = tempfile.mkdtemp(prefix="vboard-flash-")
    os.makedirs(opts["flash"], exist_ok=True)
    if opts["deploy"]:
        n = install_firmware(opts["board"], opts["flash"])
        sys.stderr.write("vboard: the repo's firmware for %s is on the flash (%d files)\n" % (opts["board"], n))
    host = Host(opts)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    host.start()
    host.ready()
    print("vboard: %s  (board %s, flash %s)" % (host.path, opts["board"], opts["flash"]), flush=True)
    try:
        host.serve(stop)
    except KeyboardInterrupt:
        pass
    finally:
        host.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
