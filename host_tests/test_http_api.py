# (Named to run before test_vboard_*: under tools/mptest.py on MicroPython the virtual board leaves its fake
# time, select and asyncio in sys.modules for the rest of the process, and real sockets never wake there.)
# The web side's JSON API (docs/web.md) against the charger core on the scenario bench, over 127.0.0.1,
# on CPython and the MicroPython unix port (tools/mptest.py). Timing only in virtual time.
# not on webassembly: the webassembly port has no sockets
from evse import errcodes, pinhash
from host_tests.core_rig import charging_events
from host_tests.web_rig import PASSWORD, WebRig, run


def test_status_is_the_command_layers_snapshot_as_json():
    async def body(wr):
        st, s = await wr.get("/api/status")
        assert st == 200
        snap = dict(wr.cmd.snapshot())
        for k in snap:
            assert s[k] == snap[k], k
        assert s["state"] == "A" and s["contactor"] == "open"

    run(body)


def test_sessions_and_faults_come_from_the_history():
    wr = WebRig(charging_events([{"t_ms": 20000, "ev": "B"}, {"t_ms": 22000, "ev": "A"}]))
    wr.advance(30000)

    async def body(wr):
        st, s = await wr.get("/api/sessions")
        assert st == 200 and len(s["sessions"]) == 1 and s["sessions"][0]["status"] == "done", s
        st, f = await wr.get("/api/faults")
        assert st == 200 and f["active"] == [] and f["history"] == []

    run(body, wr)


def test_settings_list_every_setting_with_range_and_unit_and_no_secret():
    wr = WebRig()
    wr.cmd.run(wr.web.caller, ["set", "wifi_password", "wifi-secret-1"])

    async def body(wr):
        st, h, raw = await wr.request("GET", "/api/settings")
        assert st == 200
        text = raw.decode()
        assert "wifi-secret-1" not in text and PASSWORD not in text and "s1$" not in text
        import json

        rows = json.loads(text)["settings"]
        by = {}
        for r in rows:
            by[r["name"]] = r
        assert by["max_current_a"]["min"] == 6 and by["max_current_a"]["max"] == 80
        assert by["max_current_a"]["unit"] == "A" and by["max_current_a"]["value"] == 32
        assert by["wifi_password"]["value"] == "****" and by["web_password"]["value"] == "****"

    run(body, wr)


def test_writes_need_a_login_and_the_csrf_token():
    async def body(wr):
        st, a = await wr.post("/api/settings", {"name": "max_current_a", "value": 16})
        assert st == 401 and a["code"] == errcodes.LOCKED
        st, a = await wr.login()
        assert st == 200 and a["ok"]
        csrf = wr.csrf
        wr.csrf = "0" * len(csrf)  # a forged form: the cookie rides along, the token does not
        st, a = await wr.post("/api/settings", {"name": "max_current_a", "value": 16})
        assert st == 403 and a["code"] == errcodes.LOCKED
        wr.csrf = csrf
        st, a = await wr.post("/api/settings", {"name": "max_current_a", "value": 16})
        assert st == 200 and a["value"] == 16, a
        assert wr.cmd.settings.values["max_current_a"] == 16

    run(body)


def test_a_form_post_is_refused_even_with_a_session():
    async def body(wr):
        await wr.login()
        st, h, b = await wr.request("POST", "/api/command", b"line=disable",
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert st == 415
        assert wr.run.ch.enabled

    run(body)


def test_the_session_cookie_expires():
    async def body(wr):
        await wr.login()
        st, a = await wr.post("/api/command", {"line": "limit 10"})
        assert st == 200, a
        wr.now += 1800000  # 30 min later, virtual
        st, a = await wr.post("/api/command", {"line": "limit 12"})
        assert st == 401 and a["code"] == errcodes.LOCKED

    run(body)


def test_wrong_passwords_are_rate_limited():
    async def body(wr):
        for _ in range(2):
            st, a = await wr.login("wrong password")
            assert st == 401 and a["code"] == errcodes.WRONG_PIN
        st, a = await wr.login("wrong password")
        assert st == 401 and "30 s" in a["error"]
        st, a = await wr.login()  # even the right one waits out the lockout
        assert st == 429 and a["code"] == errcodes.LOCKED_OUT
        wr.now += 30000
        st, a = await wr.login()
        assert st == 200

    run(body)


def test_the_console_pin_serves_when_no_password_is_set():
    wr = WebRig(password=None)
    wr.cmd.run(wr.web.caller, ["set", "pin", "4321"])

    async def body(wr):
        st, a = await wr.login("4321")
        assert st == 200

    run(body, wr)


def test_no_login_at_all_without_a_password_or_pin():
    async def body(wr):
        st, a = await wr.login("anything at all")
        assert st == 409 and a["code"] == errcodes.REFUSED
        st, a = await wr.get("/api/session")
        assert a["login_possible"] is False and a["logged_in"] is False

    run(body, WebRig(password=None))


def test_the_password_is_stored_hashed():
    wr = WebRig()
    v = wr.cmd.settings.values["web_password"]
    assert pinhash.is_hash(v) and pinhash.check(PASSWORD, v) and PASSWORD not in v


def test_commands_go_through_the_command_layer_with_its_error_codes():
    async def body(wr):
        await wr.login()
        st, a = await wr.post("/api/command", {"line": "bogus"})
        assert st == 404 and a["code"] == errcodes.UNKNOWN_COMMAND
        st, a = await wr.post("/api/command", {"line": "limit 500"})
        assert st == 400 and a["code"] == errcodes.OUT_OF_RANGE, a
        st, a = await wr.post("/api/settings", {"name": "max_current_a", "value": 5})
        assert st == 400 and a["code"] == errcodes.OUT_OF_RANGE
        st, a = await wr.post("/api/settings", {"name": "nope", "value": 5})
        assert st == 404 and a["code"] == errcodes.UNKNOWN_SETTING
        st, a = await wr.post("/api/command", {"line": "service"})
        assert st == 400 and not wr.cmd.service
        st, a = await wr.post("/api/command", {"line": "disable"})
        assert st == 200 and a["ok"] and not wr.run.ch.enabled

    run(body)


def test_bad_input_is_an_answer_never_a_crash():
    async def body(wr):
        await wr.login()
        for b in (b"{", b"[1]", b"\xff\xfe", b"null", b'{"line": 5}', b'{"name": 1, "value": {}}'):
            st, h, r = await wr.request("POST", "/api/command", b)
            assert 400 <= st < 500, (b, st)
            st, h, r = await wr.request("POST", "/api/settings", b)
            assert 400 <= st < 500, (b, st)
        st, h, r = await wr.request("POST", "/api/command", b"x" * 2000)
        assert st == 413
        for raw in (b"\r\n\r\n", b"GARBAGE\r\n\r\n", b"GET /" + b"a" * 1000 + b" HTTP/1.0\r\n\r\n"):
            try:
                await wr.request("GET", "/", raw=raw)
            except (IndexError, ValueError, OSError):  # closed without an answer
                pass
        st, s = await wr.get("/api/status")
        assert st == 200

    run(body)


def test_the_page_is_served_pre_compressed():
    async def body(wr):
        st, h, b = await wr.request("GET", "/")
        assert st == 200 and h["content-encoding"] == "gzip" and h["content-type"].startswith("text/html")
        assert b[:2] == b"\x1f\x8b"

    run(body)


def test_one_connection_more_than_the_limit_is_answered_503():
    async def body(wr):
        import asyncio

        held = []
        for _ in range(2):  # two idle connections hold two of the three slots
            held.append(await asyncio.open_connection("127.0.0.1", wr.port))
        st, h, b = await wr.request("GET", "/api/status")
        assert st == 200
        held.append(await asyncio.open_connection("127.0.0.1", wr.port))
        await asyncio.sleep(0.05)
        st, h, b = await wr.request("GET", "/api/status")
        assert st == 503 and b"16" in b
        for r, w in held:
            w.close()
            await w.wait_closed()  # (on MicroPython the socket closes here)
        for _ in range(100):
            await asyncio.sleep(0.01)
            if wr.web.open == 0:
                break
        st, h, b = await wr.request("GET", "/api/status")
        assert st == 200

    run(body, WebRig(max_conn=3))


def test_events_follow_a_session_a_b_c_at_most_1_s_behind_in_virtual_time():
    wr = WebRig(charging_events())

    async def body(wr):
        seen = await wr.events(lambda s: s["state"] == "C2")
        states = []
        for s in seen:
            if not states or states[-1] != s["state"]:
                states.append(s["state"])
        assert states[0] == "A" and "B2" in states and states[-1] == "C2", states
        rows = wr.rig.rows()
        t_c2 = [r["t_ms"] for r in rows if r["event"] == "state" and r["state"] == "C2"][0]
        first = [s["t_ms"] for s in seen if s["state"] == "C2"][0]
        assert 0 <= first - t_c2 <= 1000, (t_c2, first)
        assert seen[0]["session_s"] is None and seen[-1]["session_s"] is not None

    run(body, wr)


def test_events_are_sent_on_a_change_not_at_every_look():
    # A vehicle parked in B and nothing changing: the stream is looked at every 0.5 s but sends only the
    # first status and then a heartbeat every 10 s, each identical to the one before.
    wr = WebRig([{"t_ms": 1000, "ev": "B"}])

    async def body(wr):
        wr.advance(3000)
        seen = await wr.events(lambda s: s["t_ms"] >= 23500)
        ts = [s.pop("t_ms") for s in seen]
        assert ts == [3500, 13500, 23500], ts
        assert seen[0] == seen[1] == seen[2] and seen[0]["state"] == "B2"

    run(body, wr)
