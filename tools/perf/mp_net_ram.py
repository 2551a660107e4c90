# The network part's RAM and CPU on the MicroPython unix port, from .mpy files: the heap the net/ modules
# take once imported, the live heap while connected to a broker and publishing, and the CPU of one telemetry
# round (snapshot -> JSON -> PUBLISH queued) on this host. The rest of the firmware is not loaded (the
# command layer runs over host_tests/fakes.FakeCharger): these are the network's own figures, to add to the
# firmware's (docs/performance.md).
# Usage: micropython -X heapsize=256K tools/perf/mp_net_ram.py MPY_DIR PORT USER PASSWORD
#   MPY_DIR holds evse/*.mpy and net/*.mpy (mpy-cross without -march); a broker listens on 127.0.0.1:PORT.
import gc
import sys

mpy, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
sys.path.insert(0, mpy)
sys.path.insert(1, ".")
import time  # noqa: E402

gc.collect()
a0 = gc.mem_alloc()
from evse import iodata  # noqa: E402
from evse.commands import Commands  # noqa: E402
from evse.settings import Settings  # noqa: E402
from host_tests.fakes import FakeCharger  # noqa: E402

st = Settings(path=None)
ch = FakeCharger(iodata.Config(), iodata.IO())
st.to_config(ch.config)
cmd = Commands(ch, st, None, time.ticks_ms)
gc.collect()
a1 = gc.mem_alloc()
import net.task  # noqa: E402

gc.collect()
a2 = gc.mem_alloc()
for k, v in (("mqtt_host", "127.0.0.1"), ("mqtt_port", str(port)), ("mqtt_user", user), ("mqtt_password", password),
             ("mqtt_prefix", "evse/ram")):
    st.set(k, v)
_, c, b = net.task.build(st.values, cmd, "ram", "unix", time.ticks_ms, lambda: True, True)
gc.collect()
a3 = gc.mem_alloc()
peak = [0]
rounds = []


async def watch():
    import asyncio

    t0 = time.ticks_ms()
    while time.ticks_diff(time.ticks_ms(), t0) < 6000:
        await asyncio.sleep_ms(50)
        gc.collect()
        m = gc.mem_alloc()
        if m > peak[0]:
            peak[0] = m
    # CPU of one telemetry round with a changed status (the state flips each time)
    for i in range(200):
        ch.state = iodata.ST_B2 if i & 1 else iodata.ST_C2
        t = time.ticks_us()
        b.round(time.ticks_ms())
        rounds.append(time.ticks_diff(time.ticks_us(), t))
        await asyncio.sleep_ms(5)


async def main():
    import asyncio

    asyncio.create_task(c.run())
    asyncio.create_task(b.run())
    await watch()


import asyncio  # noqa: E402

asyncio.run(main())
rounds.sort()
print('{"command_layer": %d, "net_modules": %d, "net_objects": %d, "peak_live_connected": %d, '
      '"peak_over_command_layer": %d, "connects": %d, "published": %d, "round_us_median": %d, '
      '"round_us_p90": %d}' % (a1 - a0, a2 - a1, a3 - a2, peak[0] - a0, peak[0] - a1, c.connects, b.published,
                                rounds[len(rounds) // 2], rounds[len(rounds) * 9 // 10]))
