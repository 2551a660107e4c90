# (Named to run before test_vboard_*: under tools/mptest.py on MicroPython the virtual board leaves its fake
# time, select and asyncio in sys.modules for the rest of the process, and real sockets never wake there.)
# Issue 14, first boot without a cable: the set-up page's API (firmware/web/setup.py) on the real server on
# 127.0.0.1 against the charger core on the scenario bench (host_tests/web_rig.py), with the access point of
# net/ap.py on the virtual board's radio. Scan, test, save through the command layer, reboot; refusals and
# bad input change nothing and never show a secret. CPython and the MicroPython unix port; virtual time.
# not on webassembly: the webassembly port has no sockets
from evse import errcodes
from net import ap as apmod
from tools.vboard import clock
from tools.vboard.ports import network
from web.setup import client_ip, ip_host, mount

from host_tests.core_rig import PLUG_B_MS
from host_tests.web_rig import WebRig, run, static_dir

AP_PASS = "k7mq2x9pdw4h"
HOME_PASS = "vboard-pass"


def _rig(events=(), heavy=None):
    """A WebRig with the set-up access point up and mounted. The test client comes from 127.0.0.1: the
    access point's address is set there, so the client counts as one of its own network."""
    clock.patch_time()
    clock.K = None  # no virtual board's kernel left over: the fake scan's C call would run there
    network.AIR.reset()
    network.AIR.join_ms = 0
    network.AIR.add("cafe", "", rssi=-45)
    with open(static_dir() + "/setup.html.gz", "wb") as f:
        f.write(b"\x1f\x8b\x08\x00setup")
    wr = WebRig(events)
    flag = heavy if heavy is not None else [True]
    a = apmod.AccessPoint(network, b"\x01\x02\x03\xab\xcd\xef", AP_PASS, wr.clock, lambda: flag[0])
    assert a.start()
    a.addr = "127.0.0.1"
    wr.ap = a
    wr.heavy = flag
    wr.setup = mount(wr.web, a)
    wr.reboots = []
    wr.cmd._reboot_fn = lambda: wr.reboots.append(wr.now)
    return wr


async def _token(wr):
    st, d = await wr.get("/api/setup")
    assert st == 200, d
    return d["token"]


async def _post(wr, path, obj, token):
    return await wr.post("/api/setup/" + path, obj, headers={"X-Setup-Token": token}, auth=False)


def _no_secret(text):
    for s in (AP_PASS, HOME_PASS, "s1$"):
        assert s not in text, (s, text)


def test_the_page_and_its_info_name_the_access_point_and_give_a_token_never_a_password():
    async def body(wr):
        st, h, b = await wr.request("GET", "/setup")
        assert st == 200 and h["content-encoding"] == "gzip" and b[:2] == b"\x1f\x8b"
        st, h, b = await wr.request("GET", "/api/setup")
        assert st == 200
        _no_secret(b.decode())
        import json

        d = json.loads(b.decode())
        assert d["ap_name"] == "EVSE-ABCDEF" and d["ap"] == "up" and d["scan_ok"] is True
        assert len(d["token"]) == 32 and d["wifi_ssid"] is None

    run(body, _rig())


def test_writes_need_the_pages_token_json_and_a_client_of_the_access_points_network():
    async def body(wr):
        token = await _token(wr)
        for t in (None, "", "0" * 32):
            h = {"X-Setup-Token": t} if t is not None else {}
            st, a = await wr.post("/api/setup/save", {"ssid": "cafe", "password": ""}, headers=h, auth=False)
            assert st == 403 and a["code"] == errcodes.LOCKED, (t, st, a)
        st, h, b = await wr.request("POST", "/api/setup/save", b"ssid=cafe&password=",
                                    headers={"Content-Type": "application/x-www-form-urlencoded",
                                             "X-Setup-Token": token}, auth=False)
        assert st == 415  # a cross-site form cannot send JSON, nor read the token to send
        assert wr.cmd.settings.values["wifi_ssid"] == ""
        wr.ap.addr = "192.168.4.1"  # now the client (127.0.0.1) is on another network: the home LAN
        st, d = await wr.get("/api/setup")
        assert st == 200 and d["token"] is None
        st, a = await _post(wr, "save", {"ssid": "cafe", "password": ""}, token)
        assert st == 403 and "access point" in a["error"], a
        wr.ap.addr = "127.0.0.1"
        st, h, b = await wr.request("GET", "/api/setup", headers={"Host": "evil.example:80"})
        assert st == 200 and b'"token": null' in b  # a re-pointed domain name (DNS rebinding) gets no token
        st, a = await wr.post("/api/setup/save", {"ssid": "cafe", "password": ""},
                              headers={"X-Setup-Token": token, "Host": "evil.example"}, auth=False)
        assert st == 403 and wr.cmd.settings.values["wifi_ssid"] == "", a
        wr.ap.addr = "192.168.4.1"
        await wr.login()  # ... unless it holds a web login
        st, a = await wr.post("/api/setup/save", {"ssid": "cafe", "password": ""},
                              headers={"X-Setup-Token": token})
        assert st == 200 and wr.cmd.settings.values["wifi_ssid"] == "cafe", a
        wr.ap.stop()  # the access point down: the set-up is closed
        for path in ("/setup", "/api/setup"):
            st, h, b = await wr.request("GET", path)
            assert st == 404, path
        st, a = await _post(wr, "scan", {}, token)
        assert st == 404

    run(body, _rig())


def test_scan_lists_the_networks_and_is_refused_while_a_long_c_call_is_not_allowed():
    async def body(wr):
        token = await _token(wr)
        st, a = await _post(wr, "scan", {}, token)
        assert st == 200 and [n["ssid"] for n in a["networks"]] == ["cafe", "vboard"], a
        assert a["networks"][0]["secure"] is False and a["networks"][1]["secure"] is True
        wr.heavy[0] = False
        st, a = await _post(wr, "scan", {}, token)
        assert st == 409 and a["code"] == errcodes.REFUSED and "charging" in a["error"], a
        assert len(network.AIR.scans) == 1

    run(body, _rig())


def test_test_reports_each_outcome_beside_its_field_and_changes_no_setting():
    async def body(wr):
        token = await _token(wr)
        before = dict(wr.cmd.settings.values)
        st, a = await _post(wr, "test", {"ssid": "vboard", "password": "not-the-one"}, token)
        assert st == 409 and a["field"] == "password" and a["error"] == "wrong password for this network", a
        st, a = await _post(wr, "test", {"ssid": "gone", "password": "whatever1"}, token)
        assert st == 409 and a["field"] == "ssid" and "reach" in a["error"], a
        st, a = await _post(wr, "test", {"ssid": "vboard", "password": HOME_PASS}, token)
        assert st == 200 and a["ok"] and a["result"] == "joined" and a["ip"] == "10.0.0.42", a
        network.AIR.up = False
        t0 = wr.now
        st, a = await _post(wr, "test", {"ssid": "vboard", "password": HOME_PASS}, token)
        assert st == 409 and "15 s" in a["error"], a
        assert apmod.TEST_MS <= wr.now - t0 <= apmod.TEST_MS + 1000  # the bound, in virtual time
        assert wr.cmd.settings.values == before and wr.ap.up()

    run(body, _rig())


def test_bad_input_gets_an_error_beside_the_field_and_changes_nothing():
    async def body(wr):
        token = await _token(wr)
        before = dict(wr.cmd.settings.values)
        dirty = wr.cmd.settings.dirty()  # (the rig's web_password is set, not saved)
        cases = [({"ssid": "", "password": "abcdefgh"}, "ssid"), ({"password": "abcdefgh"}, "ssid"),
                 ({"ssid": "cafe", "password": "p" * 65}, "password"), ({"ssid": "cafe", "password": "short"}, "password"),
                 ({"ssid": "x" * 33, "password": ""}, "ssid"), ({"ssid": 5, "password": ""}, "ssid"),
                 ({"ssid": "cafe", "password": ["a"]}, "password"), ({"ssid": "caf\u00e9", "password": ""}, "ssid")]
        for path in ("test", "save"):
            for obj, field in cases:
                st, a = await _post(wr, path, obj, token)
                assert st == 400 and a["field"] == field and a["ok"] is False and a["error"], (path, obj, a)
            for raw in (b"{", b"[1]", b"null", b"\xff\xfe", b'"ssid"'):
                st, h, b = await wr.request("POST", "/api/setup/" + path, raw, headers={"X-Setup-Token": token},
                                            auth=False)
                assert st == 400, (path, raw, st)
            st, h, b = await wr.request("POST", "/api/setup/" + path, b"x" * 2000, headers={"X-Setup-Token": token},
                                        auth=False)
            assert st == 413
        assert wr.cmd.settings.values == before and wr.cmd.settings.dirty() == dirty
        assert wr.ap.tests == 0  # nothing reached the radio
        st, s = await wr.get("/api/status")
        assert st == 200

    run(body, _rig())


def test_save_goes_through_the_command_layer_and_reboot_waits_for_no_vehicle():
    async def body(wr):
        token = await _token(wr)
        st, h, b = await wr.request("POST", "/api/setup/save", {"ssid": "my home net", "password": HOME_PASS},
                                    headers={"X-Setup-Token": token}, auth=False)
        assert st == 200, b
        _no_secret(b.decode())
        v = wr.cmd.settings.values
        assert v["wifi_ssid"] == "my home net" and v["wifi_password"] == HOME_PASS  # one word, spaces kept
        assert not wr.cmd.settings.dirty()  # saved
        st, h, b = await wr.request("GET", "/api/settings")
        _no_secret(b.decode())
        st, h, b = await wr.request("GET", "/api/setup")
        _no_secret(b.decode())
        st, a = await _post(wr, "save", {"ssid": "cafe"}, token)  # an open network: no password
        v = wr.cmd.settings.values  # (each change makes a new dict)
        assert st == 200 and v["wifi_ssid"] == "cafe" and v["wifi_password"] == "", a
        # a vehicle is connected: the set-up page never ends a session with a reboot
        wr.advance(PLUG_B_MS + 1000 - wr.now)
        assert wr.cmd.charger.installation_locked()
        st, a = await _post(wr, "reboot", {}, token)
        assert st == 409 and a["code"] == errcodes.SESSION, a
        wr.advance(2000)
        assert wr.reboots == []

    run(body, _rig([{"t_ms": PLUG_B_MS, "ev": "B"}, {"t_ms": PLUG_B_MS + 5000, "ev": "A"}]))


def test_reboot_answers_first_then_reboots_through_the_command_layer():
    async def body(wr):
        token = await _token(wr)
        t = wr.now
        st, a = await _post(wr, "reboot", {}, token)
        assert st == 200 and a["rebooting"] is True  # the answer came; the reboot 0.5 s (virtual) after the ask
        for _ in range(100):
            if wr.reboots:
                break
            await wr.sleep_ms(100)
        assert wr.reboots and wr.reboots[0] - t >= 500, (wr.reboots, t)

    run(body, _rig())


def test_only_an_address_names_the_server_for_a_token():
    for h in ("192.168.4.1", "192.168.4.1:80", "127.0.0.1:8080"):
        assert ip_host(h), h
    for h in (None, "", "evse.local", "evil.example:80", "1.2.3", "1.2.3.4.5", "1..3.4", "1234.1.1.1", "a.b.c.d"):
        assert not ip_host(h), h


def test_the_clients_address_is_read_from_a_tuple_or_a_raw_sockaddr():
    assert client_ip(("192.168.4.2", 5000)) == "192.168.4.2"
    assert client_ip(b"\x02\x00\x13\x88\xc0\xa8\x04\x02" + b"\x00" * 8) == "192.168.4.2"
    assert client_ip(None) is None and client_ip(b"\x0a\x00") is None
