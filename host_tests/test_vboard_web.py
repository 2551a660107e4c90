# Issue 14, safety: nothing on the web side delays the control step. The whole firmware boots with main.run()
# on the virtual board in virtual time with the setting web on; its microdot server listens on a real socket
# of 127.0.0.1 (tools/vboard/vasync.py's start_server) and the clients are tasks of the same loop on real
# sockets (host_tests/vboard_http.py), so every run is the same whatever the host's load. While 20 clients
# poll, stream events, log in and post settings, while a slowloris client holds connections open a header
# byte at a time, and while another sends garbage, a session's C->B opens the contactor within the budget
# of issue 9 (30 ms + the step), the contactor does nothing else, the ticker neither errs nor stalls, the
# server answers 503 beyond its connection limit, and after the storm a plain request is answered.
# Also: the failure path when the port cannot be bound, and a login + max current reaching the pilot.
# Plain asserts: CPython and the MicroPython unix port.
# not on webassembly: the webassembly port has no sockets, and microdot is not loaded there
from evse import pinhash
from tools.sim.scenario import parse
from tools.vboard.vmain import VMain, drop_web_modules

from host_tests import vboard_http as H

BUDGET_US = 30000 + 100  # test_vboard_blocking.py: 30 ms + the step's own time
C_MS = 1000
B_MS = 4000
END_MS = 6500  # the storms stop at STORM_END_MS; the server is asked once more after it
STORM_END_MS = 4800
AFTER_MS = 5600  # a plain request after the storm: the slots held by the storm are free again by then
PASSWORD = "vboard-web-pass"
FIGURES = {}  # name -> C->B us, for make bench (tools/perf/web_figures.py)


def _settings(port, extra=None):
    st = {"web": True, "web_port": port, "web_password": pinhash.make(PASSWORD)}
    st.update(extra or {})
    return st


def _run(settings, extra=(), board="pico", duration=END_MS):
    sc = parse({"duration_ms": duration, "board": board, "settings": settings,
                "events": [{"t_ms": C_MS, "ev": "C"}, {"t_ms": B_MS, "ev": "B"}]})
    _forget()  # the web modules another test imported on the real asyncio (test_http_api) are not reused
    v = VMain(sc, extra=list(extra))
    import sys

    try:
        v.run()
        v.web_imported = "web.server" in sys.modules or "microdot" in sys.modules
    finally:
        _forget()
    return v


def _forget():
    """Drop the web modules imported under the virtual asyncio: the next importer gets the real one."""
    drop_web_modules()


def _session_ok(v, name=None):
    assert [c for _, c in v.relay] == [True, False], v.relay
    assert v.relay[0][0] < B_MS * 1000
    r = v.opened_after_us(B_MS)
    assert r is not None and r <= BUDGET_US, (name, r, v.relay)
    assert v.app.ticker.errors == 0 and v.app.stalls == 0
    if name is not None:
        FIGURES[name] = r
    return r


def _web(v):
    return v.app._commands.web


def _after(port, out):
    """A plain GET /api/status after the storm: the server must have recovered."""
    async def task(app):
        import asyncio

        await asyncio.sleep_ms(AFTER_MS)
        out.append(await H.request(port, "GET", "/api/status"))

    return task


def test_web_off_imports_nothing_of_the_web_side():
    # (a board with a WiFi configured: without one the set-up access point serves its page, docs/web.md)
    v = _run({"wifi_ssid": "vboard", "wifi_password": "vboard-pass"})
    _session_ok(v, "web off (pico)")
    assert not v.web_imported


def test_a_web_server_that_cannot_listen_is_a_warning_and_charging_goes_on():
    s, port = H.taken_port()  # another program listens there already
    try:
        v = _run(_settings(port))
    finally:
        s.close()
    _session_ok(v)
    w = [x for x in v.app.settings.warnings if x.startswith("web:")]
    assert len(w) == 1, v.app.settings.warnings
    assert v.web_imported


def test_a_login_over_http_and_a_max_current_set_there_reach_the_pilot():
    for board in ("pico", "esp32"):
        port = H.free_port()
        seen = {}

        def client(app):
            async def task():
                import asyncio

                await asyncio.sleep_ms(2000)  # charging at the default 32 A
                seen["before"] = (await H.request(port, "GET", "/api/status"))
                seen["duty_before"] = _duty(app)
                seen["refused"] = await H.request(port, "POST", "/api/settings",
                                                  {"name": "max_current_a", "value": 10})
                c = H.Client(port)
                seen["login"] = await c.login(PASSWORD)
                seen["set"] = await c.post("/api/settings", {"name": "max_current_a", "value": 10})
                await asyncio.sleep_ms(300)
                seen["after"] = await H.request(port, "GET", "/api/status")
                seen["duty_after"] = _duty(app)

            return task()

        v = _run(_settings(port), [client], board)
        _session_ok(v)
        assert seen["before"][0] == 200 and seen["before"][2]["state"] == "C2", seen["before"]
        assert seen["before"][2]["offered_ma"] == 32000, seen["before"]
        assert seen["refused"][0] == 401 and seen["refused"][2]["code"] == 10, seen["refused"]
        assert seen["login"][0] == 200 and seen["login"][2]["ok"] is True, seen["login"]
        assert seen["set"][0] == 200 and seen["set"][2]["value"] == 10, seen["set"]
        assert seen["after"][2]["offered_ma"] == 10000 and seen["after"][2]["duty_permille"] == 167, seen["after"]
        from hw.pilot_pwm import duty_u16

        # the pin itself: 32 A is 53.3 %, 10 A is 16.7 % (IEC 61851-1 A.2: duty = A / 0.6)
        assert seen["duty_before"] == duty_u16(533) and seen["duty_after"] == duty_u16(167), seen
        assert v.app.settings.values["max_current_a"] == 10
        assert PASSWORD not in str(seen) and "s1$" not in str(seen)


def _duty(app):
    from tools.vboard import clock

    k = clock.K
    return k.pilot.pwm.duty if k.pilot.pwm is not None else None


def _storm(port, log):
    """20 clients at once from 300 ms to STORM_END_MS: 6 poll /api/status, 4 hold /api/events streams (at
    most 2 are served), 6 log in and post settings, 4 open a connection and send nothing for 2 s."""
    tasks = []
    for i in range(6):
        tasks.append(H.poller(port, log, 300 + 7 * i, STORM_END_MS))
    for i in range(4):
        tasks.append(H.streamer(port, log, 310 + 11 * i, STORM_END_MS))
    for i in range(6):
        tasks.append(H.writer(port, log, PASSWORD, 320 + 13 * i, STORM_END_MS))
    for i in range(4):
        tasks.append(H.idler(port, log, 1500 + 100 * i, 2000))
    return tasks


def test_twenty_clients_at_once_delay_nothing_and_get_503_beyond_the_limit():
    for board in ("pico", "esp32"):
        port = H.free_port()
        log = H.Log()
        after = []
        peak = H.Peak()
        v = _run(_settings(port), [t for t in _storm(port, log)] + [_after(port, after), peak.task], board)
        _session_ok(v, "20 clients (%s)" % board)
        w = _web(v)
        print(board, "storm", log.connections, log.codes, log.sets, log.events, w.served, w.busy, w.dropped,
              peak.open, peak.streams)
        assert log.connections >= 20, log.connections
        assert log.codes.get(200, 0) >= 20 and log.codes.get(503, 0) >= 10, log.codes
        assert set(log.codes) <= {200, 401, 503}, log.codes  # nothing else: no 500, no broken answer
        assert log.broken == 0, log.broken
        assert log.sets >= 3, log.sets  # settings posted during the session, through the command layer
        assert max(log.events) >= 5, log.events  # a stream served: >= 5 events over 4 s
        assert w.busy >= 10 and w.served >= 20, (w.busy, w.served)
        assert peak.open <= 20 + 4 and peak.streams <= 2, (peak.open, peak.streams)
        assert after and after[0][0] == 200 and after[0][2]["state"] == "B2", after
        assert w.open == 0 and w.streams == 0, (w.open, w.streams)  # every connection's slot given back
        assert v.app.settings.values["max_current_a"] in (16, 20)


def test_a_slowloris_and_a_client_that_never_reads_delay_nothing_and_the_server_recovers():
    for board in ("pico", "esp32"):
        port = H.free_port()
        log = H.Log()
        after = []
        peak = H.Peak()
        # opened from 300 ms on and again when cut, until STORM_END_MS; those the server serves are cut at
        # READ_MS after their opening (the last by about 5.3 s), before the plain request at AFTER_MS
        tasks = [H.slowloris(port, log, 300, STORM_END_MS, 12, hold=END_MS),
                 H.never_reads(port, log, 350, "/api/events", STORM_END_MS),
                 H.never_reads(port, log, 360, "/api/status", STORM_END_MS),
                 _after(port, after), peak.task]
        v = _run(_settings(port), tasks, board)
        _session_ok(v, "slowloris (%s)" % board)
        w = _web(v)
        assert log.slow_opened >= 12, log.slow_opened
        assert w.dropped >= 4, w.dropped  # the slowloris connections served were cut at READ_MS
        assert log.slow_cut >= 4, log.slow_cut  # closed by the server before it sent a whole header
        assert w.busy >= 10 and log.codes.get(503, 0) >= 10, (w.busy, log.codes)  # the rest: 503 at once
        assert set(log.codes) <= {503}, log.codes
        assert peak.open <= 12 + 2 + 1, peak.open  # what the clients hold, no more
        assert after and after[0][0] == 200 and after[0][2]["state"] == "B2", after
        assert w.open == 0 and w.streams == 0, (w.open, w.streams)


def test_garbage_is_refused_or_dropped_delays_nothing_and_the_server_recovers():
    for board in ("pico", "esp32"):
        port = H.free_port()
        log = H.Log()
        after = []
        tasks = [H.garbage(port, log, 1200, STORM_END_MS), H.poller(port, log, 1250, STORM_END_MS, 250),
                 _after(port, after)]
        v = _run(_settings(port), tasks, board)
        _session_ok(v, "garbage (%s)" % board)
        w = _web(v)
        print(board, "garbage", log.garbage, log.garbage_codes, log.codes, w.served, w.busy, w.dropped)
        assert log.garbage >= len(H.GARBAGE), log.garbage  # each kind sent at least once
        assert w.dropped >= 5, w.dropped  # the unparseable ones: closed unanswered
        assert set(log.garbage_codes) <= {400, 401, 404, 413}, log.garbage_codes  # refused, never 500
        assert log.codes == {200: log.codes.get(200, 0)} and log.codes[200] >= 10, log.codes  # a plain
        # client alongside was answered all along
        assert after and after[0][0] == 200 and after[0][2]["state"] == "B2", after
        assert w.open == 0, w.open


def test_clients_that_never_read_a_long_answer_lose_their_slots_at_the_write_deadline():
    """Four clients (the connection limit) ask for /api/settings (7.6 KB: more than the send buffer and the
    client's shut window hold) and never read it. Without a deadline on writing, they would hold every slot
    until they went away, and the server would answer 503 to everyone meanwhile."""
    for board in ("pico", "esp32"):
        port = H.free_port()
        log = H.Log()
        got = []

        def probe(t):
            async def task(app):
                import asyncio

                await asyncio.sleep_ms(t)
                got.append((t, (await H.request(port, "GET", "/api/status"))[0]))

            return task

        stuck = [H.never_reads(port, log, 500 + i, "/api/settings", 7500) for i in range(4)]
        v = _run(_settings(port), stuck + [probe(t) for t in (1000, 6000, 7000)], board, 8000)
        _session_ok(v, "4 clients that never read (%s)" % board)
        w = _web(v)
        # held until WRITE_MS after their answers began (about 5.5 s), then cut; still connected at 7 s
        assert got == [(1000, 503), (6000, 200), (7000, 200)], got
        assert w.dropped >= 4 and w.open == 0, (w.dropped, w.open)
