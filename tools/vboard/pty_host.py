# make vboard: the firmware's board, emulated by the MicroPython unix port behind a pseudo-terminal.
# Prints the device path; mpremote (make deploy PORT=<path>), screen or picocom connect to it as to a board's
# USB serial. A folder plays the board's flash; machine.reset() (mpremote reset) restarts the interpreter,
# which then runs the deployed main.py on the fake hardware in real time.
# python3 -m tools.vboard.pty_host [--board pico] [--flash DIR] [--scenario FILE] [--trace FILE]
import fcntl
import os
import pty
import select
import signal
import subprocess
import sys
import tempfile
import termios
import time
import tty

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARKER = b"\x1b]vboard-reset\x07"  # tools/vboard/kernel.py RESET_MARKER: machine.reset() was called
HEAP = "512K"  # the firmware and the bench's models share it (the firmware alone fits in 192K: docs)


def _args(argv):
    opts = {"board": "pico", "flash": None, "scenario": None, "trace": None}
    i = 0
    while i < len(argv):
        k = argv[i].lstrip("-")
        if k not in opts or i + 1 >= len(argv):
            raise SystemExit("usage: python3 -m tools.vboard.pty_host [--board B] [--flash DIR] "
                             "[--scenario FILE] [--trace FILE]")
        opts[k] = argv[i + 1]
        i += 2
    return opts


def _start(opts, slave):
    exe = os.environ.get("MICROPYTHON") or os.path.join(ROOT, ".venv", "bin", "micropython")
    env = dict(os.environ)
    env["MICROPYPATH"] = ":".join([".", ".frozen", ROOT + "/tools/vboard/ports", ROOT, ROOT + "/firmware"])
    env["VBOARD_BOARD"] = opts["board"]
    for key in ("scenario", "trace"):
        if opts[key]:
            env["VBOARD_" + key.upper()] = os.path.abspath(opts[key])
    # The pty is the interpreter's controlling terminal (new session + TIOCSCTTY), so Ctrl-C raises
    # KeyboardInterrupt in running code exactly as on a board, and is a plain byte at its REPL prompt.
    return subprocess.Popen([exe, "-X", "heapsize=" + HEAP, "-i", os.path.join(ROOT, "tools/vboard/vboot.py")],
                            stdin=slave, stdout=slave, stderr=slave, cwd=opts["flash"], env=env,
                            start_new_session=True, preexec_fn=_controlling_tty)


READY = (b">>> ", b"vboard: running main.py")  # vboot.py's REPL prompt, or the firmware starting
READY_S = 30.0  # a loaded 2-core machine can take seconds to start the interpreter
WRITE_S = 0.5  # how long a write may wait for room before the rest is dropped (nobody reading)


def _wait_ready(board_m):
    """Read the board's first output until it is ready for a person or mpremote (or READY_S passes)."""
    seen = b""
    end = time.time() + READY_S
    while time.time() < end and not any(r in seen for r in READY):
        r, _, _ = select.select([board_m], [], [], 0.2)
        if r:
            try:
                seen += os.read(board_m, 4096)
            except OSError:
                break
    if READY[1] in seen:
        time.sleep(0.3)  # main.py imports and starts its console task


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


def _controlling_tty():
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def main(argv):
    opts = _args(argv)
    if opts["flash"] is None:
        opts["flash"] = tempfile.mkdtemp(prefix="vboard-flash-")
    os.makedirs(opts["flash"], exist_ok=True)
    board_m, board_s = pty.openpty()  # the interpreter's console
    user_m, user_s = pty.openpty()  # the "USB serial" a person or mpremote opens
    tty.setraw(user_s)
    tty.setraw(board_s)  # bytes through unchanged both ways, as on a USB CDC serial ...
    attrs = termios.tcgetattr(board_s)
    attrs[3] |= termios.ISIG  # ... except Ctrl-C, which interrupts running code, as a board's does
    termios.tcsetattr(board_s, termios.TCSANOW, attrs)
    os.set_blocking(user_m, False)  # nobody connected: drop output rather than stall the board
    path = os.ttyname(user_s)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    proc = _start(opts, board_s)
    # Say where the board is only once it is up: bytes sent before its REPL has set up the terminal can be
    # flushed away by that set-up, and mpremote would then wait for an answer for ever.
    _wait_ready(board_m)
    print("vboard: %s  (board %s, flash %s)" % (path, opts["board"], opts["flash"]), flush=True)
    try:
        while not stop:
            r, _, _ = select.select([board_m, user_m], [], [], 0.2)
            for fd in r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                reset = fd == board_m and MARKER in data
                if reset:
                    data = data.replace(MARKER, b"")
                if data:
                    _write_all(user_m if fd == board_m else board_m, data)
                if reset:
                    proc.kill()
                    proc.wait(5)
            if proc.poll() is not None:  # reset (or the interpreter ended): power the board up again
                time.sleep(0.05)
                proc = _start(opts, board_s)
    except KeyboardInterrupt:
        pass
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(5)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
