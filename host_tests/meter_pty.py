# A real third-party Modbus RTU server for the meter tests (issue 11): pymodbus serving an SDM630-shaped
# register map on one pseudo-terminal, a relay to a second pseudo-terminal that can corrupt, drop, delay
# or re-address the server's answers, and the firmware's master on the MicroPython unix port at the far
# end (host_tests/meter_client_mp.py through the virtual board's machine.UART).
# Host tier (threads, pty, subprocess): imported by CPython tests only.
import asyncio
import json
import os
import pty
import select
import struct
import subprocess
import threading
import time
import tty

from host_tests.vboard_rig import ROOT

SLAVE = 1
ANSWER_S = 20  # the client's answer to one command (generous: a loaded 2-core machine)

# Eastron SDM630-Modbus V2 manual, input registers (function 04), floats high word first, as wire
# addresses: phase 1..3 line-to-neutral volts 30001/3/5, current 30007/9/11, power 30013/15/17, total
# system power 30053, frequency 30071, total import kWh 30073. Typed in from the datasheet here again, so
# the server does not take its layout from the firmware under test.
SDM630 = {"v": (0x0000, 0x0002, 0x0004), "i": (0x0006, 0x0008, 0x000A), "p": (0x000C, 0x000E, 0x0010),
          "p_total": 0x0034, "hz": 0x0046, "kwh": 0x0048}


def _crc(data):
    c = 0xFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
    return c


class MeterState:
    """What the served meter shows; the test changes it between commands. delay_s: pymodbus answers late."""

    def __init__(self):
        self.volts = [230.0, 231.0, 229.0]
        self.amps = [16.0, 15.5, 0.0]
        self.kwh = 1234.5
        self.delay_s = 0.0

    def words(self):
        out = {}

        def put(addr, value):
            hi, lo = struct.unpack(">HH", struct.pack(">f", value))
            out[addr] = hi
            out[addr + 1] = lo

        watts = [v * a for v, a in zip(self.volts, self.amps)]
        for ph in range(3):
            put(SDM630["v"][ph], self.volts[ph])
            put(SDM630["i"][ph], self.amps[ph])
            put(SDM630["p"][ph], watts[ph])
        put(SDM630["p_total"], sum(watts))
        put(SDM630["hz"], 50.0)
        put(SDM630["kwh"], self.kwh)
        return out


def _device(state):
    from pymodbus.simulator import DataType, SimData, SimDevice

    addrs = sorted(state.words())
    data = [SimData(a, values=0, datatype=DataType.REGISTERS) for a in addrs]

    async def action(fc, start, address, count, registers, values):
        # Each read sees the state as it is now (a live meter), and waits as long as the test says.
        if state.delay_s:
            await asyncio.sleep(state.delay_s)
        for a, w in state.words().items():
            registers[a - start] = w
        return None

    return SimDevice(SLAVE, simdata=data, action=action)


class Relay:
    """Copies the client's requests to the server at once; holds each answer until the server's line has
    been quiet 15 ms (a whole frame), then passes it on as mode says: "pass", "crc" (last byte flipped),
    "drop" (the meter is silent), "addr" (re-addressed to slave 9, CRC made right again)."""

    def __init__(self, client_fd, server_fd):
        self.c = client_fd
        self.s = server_fd
        self.mode = "pass"
        self.answers = 0
        self._stop = False
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _mangle(self, frame):
        self.answers += 1
        if self.mode == "drop":
            return b""
        if self.mode == "crc":
            return frame[:-1] + bytes((frame[-1] ^ 0xFF,))
        if self.mode == "addr":
            body = bytes((9,)) + frame[1:-2]
            c = _crc(body)
            return body + bytes((c & 0xFF, c >> 8))
        return frame

    def _run(self):
        held = b""
        while not self._stop:
            r, _, _ = select.select([self.c, self.s], [], [], 0.015)
            if self.c in r:
                try:
                    data = os.read(self.c, 512)
                except OSError:
                    return
                os.write(self.s, data)
            if self.s in r:
                try:
                    held += os.read(self.s, 512)
                except OSError:
                    return
            elif held:
                out = self._mangle(held)
                held = b""
                if out:
                    os.write(self.c, out)

    def stop(self):
        self._stop = True
        self._t.join(2)


def _pty():
    m, s = pty.openpty()
    tty.setraw(m)
    tty.setraw(s)
    return m, s, os.ttyname(s)


class Rig:
    """pymodbus on pty 1, the relay between pty 1 and pty 2, the MicroPython client on pty 2."""

    def __init__(self):
        self.state = MeterState()
        self.fds = []
        m1, s1, self.server_path = _pty()
        m2, s2, self.client_path = _pty()
        self.fds = [m1, s1, m2, s2]
        self.relay = Relay(m2, m1)
        self._loop = asyncio.new_event_loop()
        self._server = None
        up = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(up,), daemon=True)
        self._thread.start()
        assert up.wait(20), "pymodbus server did not start"
        env = dict(os.environ, MICROPYPATH=".frozen:.:firmware:tools/vboard/ports",
                   VBOARD_UART1=self.client_path)
        self.proc = subprocess.Popen([os.path.join(ROOT, ".venv", "bin", "micropython"),
                                      "host_tests/meter_client_mp.py"], cwd=ROOT, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     universal_newlines=True, bufsize=1)
        hello = self._line()
        assert hello.get("ready"), hello

    def _serve(self, up):
        from pymodbus.server import ModbusSerialServer

        asyncio.set_event_loop(self._loop)

        async def main():
            self._server = ModbusSerialServer(_device(self.state), port=self.server_path, baudrate=9600,
                                              ignore_missing_devices=True)
            await self._server.serve_forever(background=True)
            up.set()

        self._loop.run_until_complete(main())
        self._loop.run_forever()

    def _line(self):
        r, _, _ = select.select([self.proc.stdout], [], [], ANSWER_S)
        if not r:
            raise AssertionError("the MicroPython client did not answer within %d s" % ANSWER_S)
        line = self.proc.stdout.readline()
        try:
            return json.loads(line)
        except ValueError:
            rest = line + (self.proc.stdout.read() if self.proc.poll() is not None else "")
            raise AssertionError("client said: %s" % rest)

    def ask(self, *words):
        """One command to the client ("poll", "read FC START COUNT SLAVE"); its JSON answer."""
        self.proc.stdin.write(" ".join(str(w) for w in words) + "\n")
        self.proc.stdin.flush()
        return self._line()

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(5)
        self.relay.stop()
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass


def wait_until(fn, seconds=10):
    end = time.time() + seconds
    while time.time() < end:
        if fn():
            return True
        time.sleep(0.05)
    return False
