# The web page and API served by the firmware's own code (firmware/web/) under CPython, against the charger
# core on the scenario bench running in real time: `make web` (or python -m tools.webdev [--port N]) for
# quick work on the page, and the browser test's server. 127.0.0.1 only.
import asyncio
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(ROOT, "firmware"), ROOT):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from evse.commands import Caller, Commands  # noqa: E402
from tools.fwbuild import web_assets  # noqa: E402
from tools.sim.runner import Run  # noqa: E402
from tools.sim.scenario import parse  # noqa: E402
from web.server import Web  # noqa: E402

PASSWORD = "charger-dev"  # `make web`'s login (a development server only)
# A session the page can follow: plugged in at 8 s, asking for power at 12 s, unplugged at 40 s.
EVENTS = [{"t_ms": 8000, "ev": "B"}, {"t_ms": 12000, "ev": "C"}, {"t_ms": 40000, "ev": "B"},
          {"t_ms": 42000, "ev": "A"}]
STEP_MS = 50


class Dev:
    """The bench and the server; run() serves until stop() (from any thread)."""

    def __init__(self, port=8080, events=EVENTS, password=PASSWORD, settings=None):
        obj = {"duration_ms": 3600000, "events": list(events), "seed": 1,
               "settings": settings or {"meter": "sdm630", "phases": 3}}
        self.run_ = Run(parse(obj), lambda line: None)
        self.now = 0
        self.skew = 0  # ms added to the web side's clock only: a test jumps it to expire a login
        self.cmd = Commands(self.run_.ch, self.run_.settings, self.run_.history, self.clock)
        self.cmd.fit_meter(obj["settings"].get("meter", "none"), self.run_.bench.meter.reading)
        r = self.cmd.run(Caller("dev", pin=False), ["set", "web_password", password])
        if not r.ok:
            raise SystemExit("web_password: " + r.text)
        out = os.path.join(ROOT, "build", "webdev")
        web_assets(out)
        self.web = Web(self.cmd, self.clock, self.sleep_ms, os.path.join(out, "web"))
        self.port = port
        self.loop = None

    def clock(self):
        return self.now + self.skew

    async def sleep_ms(self, ms):
        await asyncio.sleep(ms / 1000)

    async def _bench(self):
        while True:  # the bench in real time: virtual ms = wall ms
            await asyncio.sleep(STEP_MS / 1000)
            self.now += STEP_MS
            self.run_.advance(self.now)

    async def main(self):
        self.loop = asyncio.get_running_loop()
        t = asyncio.create_task(self._bench())
        c = asyncio.create_task(self.web.chart.run(self.clock, self.sleep_ms))  # as web.server._serve does
        try:
            await self.web.start_server(host="127.0.0.1", port=self.port)
        finally:
            t.cancel()
            c.cancel()

    def stop(self):
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.web.shutdown)


def main(argv):
    port = 8080
    if len(argv) == 2 and argv[0] == "--port":
        port = int(argv[1])
    d = Dev(port)
    print("http://127.0.0.1:%d/  (password %s; a session: plug-in at 8 s, charging at 12 s)" % (port, PASSWORD))
    asyncio.run(d.main())


if __name__ == "__main__":
    main(sys.argv[1:])
