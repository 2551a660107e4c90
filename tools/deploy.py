# make deploy BOARD=pico PORT=/dev/ttyACM0: build the image for BOARD, copy it to the board with mpremote
# (the firmware, and the board file as board.mpy), keep settings.json and the logs, and reset the board.
# python3 -m tools.deploy --board BOARD --port PORT [--pin PIN]
# With a PIN set on the board, Ctrl-C does not stop the firmware (the REPL would bypass the PIN): --pin
# sends `unlock PIN` and `service` to its console first, so that mpremote can take the board over.
import os
import subprocess
import sys

from tools.fwbuild import PACKAGES, ROOT, build

_PREPARE = (
    "import os\n"
    "def _rm(d):\n"
    "    try:\n"
    "        for n in os.listdir(d):\n"
    "            os.remove(d + '/' + n)\n"
    "    except OSError:\n"
    "        pass\n"
    "    try:\n"
    "        os.mkdir(d)\n"
    "    except OSError:\n"
    "        pass\n"
)
_PREPARE += "".join("_rm('%s')\n" % d for d in PACKAGES + ("microdot",))  # (PyPI microdot: tools/fwbuild.py)


def _mpremote():
    exe = os.path.join(ROOT, ".venv", "bin", "mpremote")
    return exe if os.path.exists(exe) else "mpremote"


def port_problem(port):
    """None if port can be opened for us alone; else a message saying what is wrong."""
    if not port:
        return "no PORT given: make deploy BOARD=pico PORT=/dev/ttyACM0 (boards show up as /dev/ttyACM* or " \
               "/dev/ttyUSB*; 'make vboard' prints a virtual one)"
    if not os.path.exists(port):
        return "%s does not exist: is the board plugged in? (ls /dev/ttyACM* /dev/ttyUSB*)" % port
    try:
        import serial

        s = serial.Serial(port, 115200, timeout=0.1, exclusive=True)
        s.close()
    except (OSError, serial.SerialException) as e:
        return "%s is busy or cannot be opened (%s): close mpremote, screen, picocom or Thonny using it" % (port, e)
    return None


def service_mode(port, pin):
    """Ask the running firmware for service mode (Ctrl-C allowed). None on success, else a message."""
    import time

    import serial

    with serial.Serial(port, 115200, timeout=0.2, exclusive=True) as s:
        s.write(b"\x15\r\ntext\r\nunlock " + pin.encode() + b"\r\nservice\r\n")
        s.flush()
        seen = b""
        end = time.time() + 5
        while time.time() < end and b"OK service mode" not in seen and b"ERR " not in seen:
            seen += s.read(256)
    if b"OK service mode" in seen:
        return None
    for line in seen.decode("utf-8", "replace").splitlines():
        if "ERR " in line:
            return "the board refused service mode: " + line[line.index("ERR "):]
    return "no answer to `unlock`/`service` from the board's console within 5 s"


def commands(board, port, files):
    # resume: no soft reset on entering the raw REPL (Ctrl-C already stopped main.py in the safe state).
    cmd = [_mpremote(), "connect", port, "resume", "exec", _PREPARE]
    out = os.path.join(ROOT, "build", board)
    for name, _size in files:
        cmd += ["+", "fs", "cp", os.path.join(out, name), ":" + name]
    cmd += ["+", "reset"]
    return cmd


def main(argv):
    board = port = pin = None
    i = 0
    while i + 1 < len(argv):
        if argv[i] == "--board":
            board = argv[i + 1]
        elif argv[i] == "--port":
            port = argv[i + 1]
        elif argv[i] == "--pin":
            pin = argv[i + 1]
        i += 2
    if not board:
        sys.stderr.write("usage: python3 -m tools.deploy --board BOARD --port PORT\n")
        return 2
    problem = port_problem(port)
    if problem:
        sys.stderr.write("deploy: error: " + problem + "\n")
        return 1
    if pin:
        problem = service_mode(port, pin)
        if problem:
            sys.stderr.write("deploy: error: " + problem + "\n")
            return 1
    files = build(board)
    total = sum(s for _, s in files)
    print("deploy: %s -> %s: %d files, %d bytes" % (board, port, len(files), total))
    p = subprocess.run(commands(board, port, files), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=300)
    if p.returncode != 0:
        sys.stderr.write(p.stdout)
        sys.stderr.write("deploy: error: mpremote failed (exit %d) on %s\n" % (p.returncode, port))
        return 1
    print("deploy: done; the board was reset and runs main.py")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
