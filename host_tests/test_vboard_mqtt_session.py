# Issue 12, the whole firmware against real peers: `make vboard VBOARD_DEPLOY=1 VBOARD_SCENARIO=...` (the
# repo's firmware on the MicroPython unix port in real time, the scenario's settings applied, its events
# played) talks to Debian's mosquitto on 127.0.0.1; paho-mqtt plays Home Assistant. It sees the discovery
# configs and the telemetry follow a session A->B->C->B->A, sets the max current and sees the offer follow,
# disables and sees state F. No timing is asserted here (real time): the reaction figures are the
# virtual-time tests'. pytest only (subprocesses, threads).
import json
import os
import select
import subprocess
import sys

import pytest

from host_tests.net_broker import HA, PASSWORD, USER, Broker

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREFIX = "evse/vbs"


def _status(m):
    return json.loads(m[1]) if m[0] == PREFIX + "/status" else None


@pytest.fixture
def broker():
    b = Broker().start()
    yield b
    b.close()


def test_home_assistant_follows_a_whole_session_sets_the_current_and_disables_the_charger(broker, tmp_path):
    if not os.path.exists(os.path.join(ROOT, ".venv", "bin", "micropython")):
        pytest.skip("no MicroPython unix port in .venv")
    sc = {"duration_ms": 120000, "settings": {
        "wifi_ssid": "vboard", "wifi_password": "vboard-pass", "mqtt_host": "127.0.0.1", "mqtt_port": broker.port,
        "mqtt_user": USER, "mqtt_password": PASSWORD, "mqtt_prefix": PREFIX},
        "events": [{"t_ms": 4000, "ev": "B"}, {"t_ms": 6000, "ev": "C"}, {"t_ms": 14000, "ev": "B"},
                   {"t_ms": 16000, "ev": "A"}]}
    path = tmp_path / "mqtt_session.json"
    path.write_text(json.dumps(sc))
    ha = HA(broker)
    p = subprocess.Popen([sys.executable, "-m", "tools.vboard.pty_host", "--board", "pico", "--flash",
                          str(tmp_path / "flash"), "--deploy", "--scenario", str(path)], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True)
    try:
        r, _, _ = select.select([p.stdout], [], [], 60)
        assert r and p.stdout.readline().startswith("vboard: /dev/")
        assert ha.wait(lambda m: m[0] == PREFIX + "/availability" and m[1] == "online", 30), ha.since(0)[-5:]
        assert ha.wait(lambda m: m[0].startswith("homeassistant/switch/") and m[0].endswith("/enabled/config")
                       and json.loads(m[1])["command_topic"] == PREFIX + "/set/enabled", 10)
        seen = {}
        for name in ("B2", "C2"):
            m = ha.wait(lambda m, n=name: _status(m) is not None and _status(m)["state"] == n, 20)
            assert m, (name, ha.since(0)[-5:])
            seen[name] = _status(m)
        assert seen["C2"]["offer_a"] == 32 and seen["B2"]["contactor"] == "open"
        c = ha.wait(lambda m: _status(m) is not None and _status(m)["contactor"] == "closed", 5)
        assert c, ha.since(0)[-5:]
        n = ha.mark()
        ha.publish(PREFIX + "/set/max_current", "10")  # the offer falls at once (a rise would wait 5 s)
        m = ha.wait(lambda m: _status(m) is not None and _status(m)["offer_a"] == 10, 10, n)
        assert m and _status(m)["state"] == "C2" and _status(m)["runtime_limit_a"] == 10, ha.since(n)[-5:]
        for name in ("B2", "A"):
            m = ha.wait(lambda m, x=name: _status(m) is not None and _status(m)["state"] == x, 20, n)
            assert m, (name, ha.since(n)[-5:])
        letters = [m[1] for m in ha.since(0) if m[0] == PREFIX + "/state"]
        assert letters[-4:] == ["B", "C", "B", "A"], letters
        n = ha.mark()
        ha.publish(PREFIX + "/set/enabled", "OFF")
        m = ha.wait(lambda m: _status(m) is not None and _status(m)["state"] == "F", 10, n)
        assert m and _status(m)["enabled"] is False and _status(m)["pilot"] == "-12V", ha.since(n)[-5:]
    finally:
        p.terminate()
        p.wait(20)
        ha.close()
