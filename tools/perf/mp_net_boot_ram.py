# The whole firmware's RAM with MQTT connected and the console in use (issue 12's budget): main.start() on
# do-nothing hardware (tools/perf/stub) from .mpy files, as tools/perf/mp_boot_ram.py, then the network of
# net/task.build() connected to an in-memory broker (no sockets: the webassembly port has none) that answers
# CONNACK, SUBACK and PUBACK; the client and the bridge run 10 virtual seconds (availability, every discovery
# config, telemetry, a command), then the console answers `status` and `net`. Peak = the most live heap
# after any step of that. Prints one JSON line.
# Usage: micropython -X heapsize=256K tools/perf/mp_net_boot_ram.py BOARD_FILE  (MICROPYPATH: stub, .mpy tree)
#        (webassembly: node tools/wasm/bootram.mjs MPY_TREE BOARD_FILE tools/perf/mp_net_boot_ram.py)
import gc
import sys

import machine  # noqa: F401  the stub hardware

_args = globals().get("BOOT_ARGS") or sys.argv[1:]
gc.collect()
base = gc.mem_alloc()


class _Board:
    pass


class _Link:
    """The broker's end in memory: CONNACK to CONNECT, SUBACK to SUBSCRIBE, PUBACK to QoS 1."""

    def __init__(self):
        self.inbox = bytearray()
        self.buf = bytearray()
        self.pubs = 0

    def start(self):
        pass

    def ready(self, tls_ok=True):
        return True

    def busy(self):
        return False

    def tcp_up(self):
        return True

    def read(self):
        if not self.inbox:
            return None
        b = bytes(self.inbox)
        self.inbox = bytearray()
        return b

    def write(self, data):
        self.buf.extend(data)
        while len(self.buf) >= 2:
            i, n, mult = 1, 0, 1
            while self.buf[i] & 0x80:
                n += (self.buf[i] & 0x7F) * mult
                mult <<= 7
                i += 1
            n += self.buf[i] * mult
            i += 1
            if len(self.buf) - i < n:
                break
            first, body = self.buf[0], bytes(self.buf[i:i + n])
            self.buf = self.buf[i + n:]
            kind = first >> 4
            if kind == 1:
                self.inbox.extend(b"\x20\x02\x00\x00")
            elif kind == 8:
                self.inbox.extend(b"\x90\x03" + body[:2] + b"\x00")
            elif kind == 3:
                self.pubs += 1
                if first & 6:
                    tl = (body[0] << 8) | body[1]
                    self.inbox.extend(b"\x40\x02" + body[2 + tl:4 + tl])
        return len(data)

    def close(self):
        pass


class _Clock:
    t = 0

    def __call__(self):
        return self.t


class _Sleep:
    def __init__(self, ms):
        self.ms = ms

    def __await__(self):
        yield self

    __iter__ = __await__


class _Aio:
    @staticmethod
    def sleep_ms(ms):
        return _Sleep(ms)


_ST = {}  # what the stages below keep between them


def mem():
    gc.collect()
    return gc.mem_alloc() - base


def boot(path):
    """main.start() on the board file at path, what main.run() adds, and the console in use."""
    ns = {}
    with open(path) as f:
        exec(f.read(), ns)
    brd = _Board()
    for k in ns:
        setattr(brd, k, ns[k])
    sys.modules["board"] = brd
    import main as fw

    missing = "/nonexistent-evse-bench/x.json"
    app = fw.start(brd, watchdog=True, settings_path=missing, history_path=missing)
    import asyncio  # noqa: F401  what main.run() imports
    from hw.serial_console import SerialConsole

    sc = SerialConsole(app, app.history, lambda: None, write_fn=lambda s: None)
    con = sc.open()
    con.handle_line("status")  # the console in use
    _ST["app"] = app
    _ST["con"] = con


def connect():
    """The network of the settings, on the in-memory broker: its client and bridge as coroutines."""
    app = _ST["app"]
    v = app.settings.values
    v["mqtt_host"] = "192.168.1.10"
    v["mqtt_prefix"] = "evse/ram"
    v["mqtt_user"] = "evse"
    v["mqtt_password"] = "secret-pass"
    import net.task

    link = _Link()

    class _Opener:
        host = "192.168.1.10"
        port = 1883

        def __call__(self, heavy_ok):
            return link

    clock = _Clock()
    cmd = app.commands(app.history.uptime_ms)
    # (no socket module is imported: the in-memory opener below stands in for it)
    _, c, b = net.task.build(v, cmd, "0123456789abcdef", "pico", clock, lambda: True, True, socket=_Board,
                             select=_Board)
    c._opener = _Opener()
    c.opener = c._opener
    _ST.update(link=link, clock=clock, cmd=cmd, c=c, b=b, tasks=[[c.run(), 0], [b.run(), 0]])


def ocpp():
    """Issue 13: an OCPP charge point on the same command layer (ocpp_url set), its central system answered in
    memory: BootNotification accepted, StatusNotifications, a Heartbeat, then a GetConfiguration of every key."""
    from ocpp16.cp import ChargePoint

    app = _ST["app"]
    cp = ChargePoint(_ST["cmd"], boot=app.history.boot, free_vend=True, queue_path=None, store_path=None,
                     phases=1)
    cp.opened(0)
    _ST["cp"] = cp
    _ST["cp_t"] = 0


def ocpp_step():
    """A second of the charge point, its CALLs answered; False after 20 s."""
    import json

    cp = _ST["cp"]
    t = _ST["cp_t"] = _ST["cp_t"] + 1000
    if t > 20000:
        return False
    cp.step(t)
    for text in cp.take():
        m = json.loads(text)
        if m[0] != 2:
            continue
        a = m[2]
        if a == "BootNotification":
            p = {"status": "Accepted", "currentTime": "2026-12-01T12:00:00Z", "interval": 300}
        elif a == "Heartbeat":
            p = {"currentTime": "2026-12-01T12:00:10Z"}
        else:
            p = {}
        cp.received(json.dumps([3, m[1], p]), t)
    if t == 10000:
        cp.received('[2, "cs1", "GetConfiguration", {}]', t)
        cp.take()
    return True


def step():
    """One step of whichever coroutine is due; False once 10 virtual seconds have run."""
    saved = sys.modules.get("asyncio")
    sys.modules["asyncio"] = _Aio  # what net/aio.py finds: a virtual-time sleep
    try:
        tasks = _ST["tasks"]
        clock = _ST["clock"]
        link = _ST["link"]
        tasks.sort(key=lambda x: x[1])
        t = tasks[0]
        if t[1] > 10000:
            return False
        clock.t = t[1]
        t[1] = clock.t + t[0].send(None).ms
        if clock.t == 5000 and not link.inbox:
            link.inbox.extend(b"\x30\x18\x00\x14evse/ram/set/max_cur" + b"10")  # (a wrong topic: error)
        return True
    finally:
        sys.modules["asyncio"] = saved


def finish():
    c = _ST["c"]
    b = _ST["b"]
    _ST["cmd"].net = lambda: c.pairs() + b.pairs()
    con = _ST["con"]
    con.handle_line("net")
    con.handle_line("status long")


def report(with_console, peak, m):
    c = _ST["c"]
    print('{"with_console": %d, "peak_with_mqtt": %d, "after_mqtt": %d, "connects": %d, "published": %d, '
          '"broker_got": %d, "heap_total": %d, "ocpp_accepted": %s}' % (
              with_console, peak, m, c.connects, _ST["b"].published, _ST["link"].pubs, gc.mem_alloc() + gc.mem_free(),
              "null" if "cp" not in _ST else "true" if _ST["cp"].accepted else "false"))


def main(path):
    boot(path)
    with_console = mem()
    connect()
    peak = 0
    while step():
        m = mem()
        if m > peak:
            peak = m
    finish()
    m = mem()
    if m > peak:
        peak = m
    if "--ocpp" in _args:
        ocpp()
        while ocpp_step():
            m = mem()
            if m > peak:
                peak = m
        m = mem()
    report(with_console, peak, m)


# The webassembly port frees garbage only in a later runPython call than the one that made it (see
# mp_boot_ram.py): tools/wasm/bootram.mjs sets STAGED and runs each stage, each step and each mem() apart.
if not globals().get("STAGED"):
    main(_args[0])
