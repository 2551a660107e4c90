# Issue 10 section 1: the virtual board behaves like a board for mpremote and for a person at a terminal.
# mpremote itself is the client (no `resume`), with make deploy and the console's reboot in between, as a
# newcomer would use them. Host tier (subprocess, pty): CPython only.
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from host_tests.vboard_pty import make, vboard_with
from host_tests.vboard_rig import ROOT
from tools.vboard.pty_host import clock_wrapper, crlf

SCENARIO = {"name": "mpremote check", "duration_ms": 600000, "events": []}
ANSWER_S = 30  # mpremote's own wait for an answer is for ever: a hang fails here instead (loaded host)


def mpremote(port, *args):
    exe = os.path.join(ROOT, ".venv", "bin", "mpremote")
    try:
        return subprocess.run([exe, "connect", port] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=ANSWER_S)
    except subprocess.TimeoutExpired:
        raise AssertionError("mpremote %s hung for %d s" % (" ".join(args), ANSWER_S))


def evsectl(port, *args):
    return subprocess.run([sys.executable, "-m", "tools.evsectl", "--port", port] + list(args), cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=30)


def until_json(port, *args, seconds=20):
    """The board's JSON answer to an evsectl command, retried while the board boots."""
    end = time.time() + seconds
    p = None
    while time.time() < end:
        p = evsectl(port, "--json", *args)
        if p.returncode == 0:
            return json.loads(p.stdout)
        time.sleep(0.3)
    raise AssertionError("no answer to %s: %s %s" % (args, p.stdout, p.stderr))


def talk(port, data, until, seconds=10):
    """Send bytes like a terminal would; return what came back once `until` is seen (or the time is up)."""
    import serial

    with serial.Serial(port, 115200, timeout=0.2, exclusive=True) as s:
        s.write(data)
        s.flush()
        seen = b""
        end = time.time() + seconds
        while until not in seen and time.time() < end:
            seen += s.read(256)
        time.sleep(0.3)
        seen += s.read(4096)
    return seen


def test_crlf_turns_bare_lf_into_cr_lf_and_leaves_cr_lf_alone():
    assert crlf(b"a\nb\r\nc\n", False) == (b"a\r\nb\r\nc\r\n", False)
    assert crlf(b"\n", True) == (b"\n", False)  # the CR came at the end of the previous chunk
    assert crlf(b"x\r", False) == (b"x\r", True)
    assert crlf(b"\x04>", False) == (b"\x04>", False)  # mpremote's raw REPL markers pass unchanged


def test_mpremote_without_resume_make_deploy_and_reboot_like_a_board(tmp_path):
    """The newcomer's path: mpremote on a fresh board; make deploy; mpremote fs ls (soft reset -> raw REPL
    before main.py runs); the console after a reset (no ERR from mpremote's leftover bytes); `reboot` (no
    traceback, Ctrl-C still works, uptime from 0, the boot counted, CR LF line ends); deploy again."""
    with vboard_with(tmp_path, SCENARIO) as (port, flash, _tr, _sc):
        p = mpremote(port, "fs", "ls")
        assert p.returncode == 0 and "ls :" in p.stdout, p.stdout
        p = make("deploy", "BOARD=pico", "PORT=" + port)
        assert p.returncode == 0 and "deploy: done" in p.stdout, p.stdout
        until_json(port, "status")  # the deployed firmware answers
        p = mpremote(port, "fs", "ls")  # stops main.py, soft reset, raw REPL: as on a board
        assert p.returncode == 0 and "main.py" in p.stdout and "board.mpy" in p.stdout, p.stdout
        p = mpremote(port, "exec", "import sys; print('main' in sys.modules)")
        assert p.returncode == 0 and p.stdout.strip().splitlines()[-1] == "False", p.stdout  # main.py not run
        p = mpremote(port, "reset")
        assert p.returncode == 0, p.stdout
        until_json(port, "status")
        # The first Enter on the console after mpremote: a blank line, not ERR 8 for bytes mpremote left.
        seen = talk(port, b"\r\nstatus\r\n", b"uptime=")
        assert b"ERR" not in seen and b"OK state=" in seen, seen
        boot = until_json(port, "log")["boot"]
        seen = talk(port, b"reboot\r\n", b"vboard: running main.py", seconds=20)
        assert b"OK rebooting" in seen, seen
        for bad in (b"Traceback", b"SystemExit", b"fault"):
            assert bad not in seen, seen  # a reboot is not a crash
        st = until_json(port, "status")
        if clock_wrapper():
            assert st["uptime_s"] <= 10, st  # counts from this power-up, not the host's boot (generous)
        assert until_json(port, "log")["boot"] == boot + 1
        seen = talk(port, b"\x03", b">>> ")  # Ctrl-C still stops the firmware after a reboot (isig)
        assert b"evse: stopped, safe state" in seen and seen.endswith(b">>> "), seen
        assert seen.count(b"\n") == seen.count(b"\r\n") > 0, seen  # no staircase
        seen = talk(port, b"\x04", b"vboard: running main.py")  # Ctrl-D at the REPL: a soft reset runs main.py
        assert b"vboard: running main.py" in seen, seen
        until_json(port, "status")
        p = make("deploy", "BOARD=pico", "PORT=" + port)
        assert p.returncode == 0 and "deploy: done" in p.stdout, p.stdout
        until_json(port, "status")


def test_make_vboard_on_a_kept_flash_folder_with_the_firmware_already_on_it(tmp_path):
    """make vboard VBOARD_FLASH=DIR VBOARD_DEPLOY=1: the repo's firmware runs at once, no make deploy;
    a saved setting is still there when make vboard starts again on the same folder."""
    flash = tmp_path / "flash"

    def vboard():
        p = subprocess.Popen(["make", "--no-print-directory", "vboard", "VBOARD_FLASH=%s" % flash, "VBOARD_DEPLOY=1"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                             start_new_session=True)
        end = time.time() + 120
        line = ""
        while time.time() < end:
            line = p.stdout.readline()
            if line.startswith("vboard: /dev/") or not line:
                break
        assert line.startswith("vboard: /dev/"), line
        return p, line.split()[1]

    def stop(p):
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(20)

    p, port = vboard()
    try:
        st = until_json(port, "status")
        assert st["state"] == "A" and st["contactor"] == "open", st
        assert evsectl(port, "set", "max_current_a", "20", "--save").returncode == 0
    finally:
        stop(p)
    assert (flash / "main.py").exists() and (flash / "settings.json").exists()
    p, port = vboard()
    try:
        assert until_json(port, "status")["limit_ma"] == 20000
    finally:
        stop(p)
