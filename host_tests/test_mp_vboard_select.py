# MicroPython only (pytest ignores test_mp_*): the virtual board's select (tools/vboard/ports/select.py),
# which the firmware's asyncio uses on the real-time virtual board, reports every ready socket once, as the
# built-in does. It once copied ipoll's one reused tuple with list(): three ready sockets came back as the
# last one three times, and asyncio's loop died on a KeyError under a dozen web clients.
# not on webassembly: that port has no sockets
import socket

from tools.vboard import clock


class _RealtimeKernel:
    """What the fake select and time ask of a real-time board's kernel: its clock (the real one) and sync()."""

    realtime = True

    def __init__(self):
        import utime

        self.ticks_ms = utime.ticks_ms
        self.ticks_us = utime.ticks_us
        self.syncs = 0

    def sync(self):
        self.syncs += 1


def _ready_sockets(n):
    """n accepted 127.0.0.1 sockets, each with a byte waiting: (server sockets, everything to close)."""
    from host_tests.vboard_http import _bound

    ls, port = _bound(True)  # listening on a free port (the unix port's sockets have no getsockname)
    clients, servers = [], []
    for _ in range(n):
        c = socket.socket()
        c.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
        s, _ = ls.accept()
        c.send(b"x")
        clients.append(c)
        servers.append(s)
    return servers, [ls] + clients + servers


def _check(poller_fn):
    import select as fake  # the virtual board's (tools/vboard/ports first on the path)

    servers, all_ = _ready_sockets(3)
    try:
        p = fake.poll()
        for s in servers:
            p.register(s, fake.POLLIN)
        got = poller_fn(p)
        objs = [o for o, ev in got]
        assert len(objs) == 3, got
        for s in servers:
            assert len([o for o in objs if o is s]) == 1, got
    finally:
        for s in all_:
            s.close()


def test_poll_reports_each_ready_socket_once():
    from tools.vboard.run import setup_paths

    setup_paths()
    _check(lambda p: p.poll(1000))


def test_realtime_ipoll_reports_each_ready_socket_once():
    from tools.vboard.run import setup_paths

    setup_paths()
    saved = clock.K
    k = clock.K = _RealtimeKernel()
    try:
        _check(lambda p: list(p.ipoll(1000)))
        assert k.syncs >= 1  # the board's interrupts ran between the slices
    finally:
        clock.K = saved
