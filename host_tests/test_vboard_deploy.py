# Issue 3 deploy, tested without hardware: make vboard's pty host runs the MicroPython unix port behind a
# pseudo-terminal; `make deploy BOARD=pico PORT=<its path>` builds the image and copies it with mpremote,
# resets the board, and the deployed firmware (.mpy from flash, main.py under asyncio, real time) runs a
# session whose relay timing matches the core-only bench. Plus the clear errors for a missing or busy port.
# Host tier (subprocess, pty): CPython only.
import os
import time

import pytest

from host_tests.vboard_pty import make as _make
from host_tests.vboard_pty import vboard_with
from host_tests.vboard_rig import safety_events, trace

SCENARIO = {"name": "deploy check", "duration_ms": 60000, "events": [
    {"t_ms": 500, "ev": "B"}, {"t_ms": 1000, "ev": "C"}, {"t_ms": 2500, "ev": "B"}, {"t_ms": 3000, "ev": "A"}]}
REALTIME_TOL_MS = 150  # wall-clock scheduling on a shared host, not the firmware


@pytest.fixture
def vboard(tmp_path):
    with vboard_with(tmp_path, SCENARIO) as v:
        yield v


def _relay_events(path, until_s=20):
    end = time.time() + until_s
    while time.time() < end:
        if path.exists():
            ev = [e for e in safety_events(path.read_text().splitlines()) if e[1] == "relay"]
            if len(ev) >= 3:
                return ev
        time.sleep(0.2)
    return [e for e in safety_events(path.read_text().splitlines()) if e[1] == "relay"] if path.exists() else []


def test_make_deploy_to_the_virtual_board_then_it_runs_a_session(vboard):
    path, flash, tr, sc = vboard
    p = _make("deploy", "BOARD=pico", "PORT=" + path)
    assert p.returncode == 0, p.stdout
    assert "deploy: done" in p.stdout, p.stdout
    names = sorted(os.listdir(flash))
    assert "main.py" in names and "board.mpy" in names, names
    hw = os.listdir(flash / "hw")
    assert "sampler.mpy" in hw and "port_rp2.mpy" in hw and "port_esp32.mpy" not in hw, hw
    got = _relay_events(tr)
    ref = [e for e in safety_events(trace(str(sc), "bench")) if e[1] == "relay"]
    assert [e[2] for e in got] == [e[2] for e in ref], (got, ref)
    for a, b in zip(got, ref):
        assert abs(a[0] - b[0]) <= REALTIME_TOL_MS, (got, ref)
    # Deploy again over the running firmware: Ctrl-C stops it in the safe state (the watchdog kept fed by
    # a timer), the copy goes through, the reset starts the new image, which runs the session again.
    tr.write_text("")
    p = _make("deploy", "BOARD=pico", "PORT=" + path)
    assert p.returncode == 0 and "deploy: done" in p.stdout, p.stdout
    again = _relay_events(tr)
    assert [e[2] for e in again] == [e[2] for e in ref], (again, ref)


def test_deploy_says_clearly_when_the_port_is_missing_absent_or_busy(vboard):
    path = vboard[0]
    p = _make("deploy", "BOARD=pico", "PORT=")
    assert p.returncode != 0 and "deploy: error: no PORT given" in p.stdout, p.stdout
    p = _make("deploy", "BOARD=pico", "PORT=/dev/ttyNOPE9")
    assert p.returncode != 0 and "/dev/ttyNOPE9 does not exist" in p.stdout, p.stdout
    import serial

    holder = serial.Serial(path, exclusive=True)  # another program has the port
    try:
        p = _make("deploy", "BOARD=pico", "PORT=" + path)
    finally:
        holder.close()
    assert p.returncode != 0 and "is busy" in p.stdout, p.stdout
    p = _make("deploy", "BOARD=nosuchboard", "PORT=" + path)
    assert p.returncode != 0 and "no board file boards/nosuchboard.py" in p.stdout, p.stdout
