# The firmware's network part (net/task.build: client, bridge, command layer) on real asyncio and real
# sockets, for the peer tests (test_net_peers.py): on CPython or the MicroPython unix port, against a
# broker on 127.0.0.1. The charger is host_tests/fakes.FakeCharger, driven through the states of a script.
# Usage: <python> host_tests/net_peer_app.py CONFIG.json   (from the repo root; MicroPython with
# MICROPYPATH=.:firmware). Prints one JSON line of counters a second, flushed.
import sys

sys.path.insert(0, "firmware")
sys.path.insert(0, ".")

import json  # noqa: E402

from evse import iodata, jsonfmt  # noqa: E402
from evse.commands import Commands  # noqa: E402
from evse.settings import Settings  # noqa: E402
from host_tests.fakes import FakeCharger  # noqa: E402
from net.task import build  # noqa: E402

_MP = sys.implementation.name == "micropython"
if _MP:
    import time

    clock = time.ticks_ms
else:
    import time

    def clock():
        return int(time.monotonic() * 1000) & 0x3FFFFFFF


async def main(cfg):
    import asyncio

    st = Settings(path=None)
    for k, v in cfg["settings"].items():
        ok, code, msg = st.set(k, str(v))
        if not ok:
            raise SystemExit("bad setting %s: %s" % (k, msg))
    ch = FakeCharger(iodata.Config(), iodata.IO())
    st.to_config(ch.config)
    cmd = Commands(ch, st, None, clock)
    _, c, b = build(st.values, cmd, cfg.get("board_id", "peer"), "peer-test", clock, lambda: True, True,
                    ca_file=cfg.get("ca_file", "mqtt_ca.pem"), keepalive_s=cfg.get("keepalive_s", 60))
    asyncio.create_task(c.run())
    asyncio.create_task(b.run())
    t0 = clock()
    script = cfg.get("script", [])  # [ms, state name, contactor closed]
    i = 0
    while True:
        now = (clock() - t0) & 0x3FFFFFFF
        while i < len(script) and script[i][0] <= now:
            _, name, closed = script[i]
            ch.state = iodata.STATE_NAMES.index(name)
            ch.io.relay = bool(closed)
            ch.io.pilot = iodata.PILOT_PWM if name[1:] == "2" else iodata.PILOT_P12
            ch.offered_ma = ch.config.runtime_ma if ch.config.runtime_ma < ch.config.max_current_ma else \
                ch.config.max_current_ma
            i += 1
        out = {"t": now}
        for k, v in c.pairs() + b.pairs():
            out[k] = v
        out["calls"] = ch.calls
        out["runtime_ma"] = ch.config.runtime_ma
        sys.stdout.write(jsonfmt.dumps(out) + "\n")
        if hasattr(sys.stdout, "flush"):
            sys.stdout.flush()
        await asyncio.sleep(0.5)


def run():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    import asyncio

    asyncio.run(main(cfg))


run()
