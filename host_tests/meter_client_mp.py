# The firmware's Modbus master on the MicroPython unix port, driven line by line from stdin by
# host_tests/meter_pty.py: the virtual board's machine.UART(1) is the pty named by VBOARD_UART1.
# Commands: "poll" (one meter-task poll of an SDM630 at slave 1), "read FC START COUNT SLAVE" (one
# master.read), "timeout MS", "quit". Answers: one JSON object a line.
import json
import sys

import asyncio
import machine
from time import ticks_ms

from meter import maps, reasons
from meter.modbus import Master
from meter.rtu import ModbusMeter
from meter.task import poll_once


def main():
    uart = machine.UART(1, baudrate=9600, tx=4, rx=5, timeout=0)
    master = Master(uart, None, 9600, timeout_ms=500, retries=1)
    meter = ModbusMeter(master, maps.get("sdm630"), slave=1, lost_after=2)
    print(json.dumps({"ready": True}))
    while True:
        words = sys.stdin.readline().split()
        if not words or words[0] == "quit":
            return
        if words[0] == "poll":
            why = asyncio.run(poll_once(meter, ticks_ms))
            r = meter.reading
            print(json.dumps({"reason": reasons.name(why), "ok": r.ok, "lost": r.lost, "power_w": r.power_w,
                              "phase_w": list(r.phase_w), "current_ma": list(r.current_ma),
                              "voltage_dv": list(r.voltage_dv), "energy_wh": r.energy_wh, "epoch": r.epoch,
                              "counts": list(master.counts)}))
        elif words[0] == "read":
            fc, start, count, slave = [int(w, 0) for w in words[1:5]]
            st = asyncio.run(master.read(slave, fc, start, count))
            regs = [master.u16(i) for i in range(count)] if st == reasons.OK else []
            print(json.dumps({"status": reasons.name(st), "exc": master.exc_code, "regs": regs}))
        elif words[0] == "timeout":
            master.timeout_ms = int(words[1])
            print(json.dumps({"timeout": master.timeout_ms}))
        else:
            print(json.dumps({"error": "unknown command " + words[0]}))


main()
