# Issue 4: no console input, and no failure of the console's transport, reaches the control loop. On the
# real MicroPython unix port: stdin is a pseudo-terminal whose other end has gone (reads fail with EIO, like
# a USB port that vanished) while a control task ticks beside the console task. Host tier (pty).
import os
import pty
import subprocess

from host_tests.vboard_rig import ROOT

SCRIPT = """
import asyncio
from hw.serial_console import SerialConsole


class App:
    pass


ticks = [0]


async def control():
    while ticks[0] < 30:
        await asyncio.sleep_ms(10)
        ticks[0] += 1


async def main():
    sc = SerialConsole(App(), None, None)
    t = asyncio.create_task(sc.serve())
    await control()
    print("ticks", ticks[0], "console alive", not t.done())


asyncio.run(main())
"""


def test_a_dead_serial_port_stops_neither_the_control_loop_nor_the_console(tmp_path):
    """The console task survives read errors (retrying) and the control task keeps its ticks."""
    script = tmp_path / "dead_port.py"
    script.write_text(SCRIPT)
    master, slave = pty.openpty()
    os.close(slave)  # reads on the master now fail with EIO
    try:
        env = dict(os.environ, MICROPYPATH=os.pathsep.join([".frozen", ROOT, ROOT + "/firmware"]))
        p = subprocess.run([ROOT + "/.venv/bin/micropython", str(script)], stdin=master, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True, env=env, timeout=60)
    finally:
        os.close(master)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "ticks 30 console alive True", (p.stdout, p.stderr)
