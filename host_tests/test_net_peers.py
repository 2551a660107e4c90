# Issue 12 against real peers on 127.0.0.1: Debian's mosquitto (a password file, a TLS listener with a CA made
# by the test), the firmware's MQTT client and bridge (host_tests/net_peer_app.py) on CPython and on the
# MicroPython unix port, and paho-mqtt playing Home Assistant. pytest only (subprocesses, threads).
import json
import os
import signal
import subprocess
import sys
import tempfile

import pytest

from host_tests.net_broker import HA, PASSWORD, USER, Broker

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICROPYTHON = os.path.join(ROOT, ".venv", "bin", "micropython")
PREFIX = "evse/peer"
NODE = "evse_peer"


def _interp(name):
    if name == "micropython":
        if not os.path.exists(MICROPYTHON):
            pytest.skip("no MicroPython unix port in .venv")
        return [MICROPYTHON, "-X", "heapsize=512K"], dict(os.environ, MICROPYPATH=".frozen:.:firmware")
    return [sys.executable], dict(os.environ)


@pytest.fixture(scope="module")
def broker():
    b = Broker().start()
    yield b
    b.close()


class App:
    """The firmware side in a subprocess; lines() gives its JSON counter lines so far."""

    def __init__(self, interp, settings, script=(), **extra):
        cmd, env = _interp(interp)
        cfg = {"settings": settings, "script": list(script), "board_id": "peer"}
        cfg.update(extra)
        fd, self.cfg = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(cfg, f)
        self.out = tempfile.TemporaryFile()
        self.p = subprocess.Popen(cmd + ["host_tests/net_peer_app.py", self.cfg], cwd=ROOT, env=env,
                                  stdout=self.out, stderr=subprocess.STDOUT)

    def kill(self):
        """SIGKILL: the socket closes without a DISCONNECT, as at a power cut (the broker sends the will)."""
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGKILL)
            self.p.wait(10)
        if os.path.exists(self.cfg):
            os.remove(self.cfg)
        self.out.seek(0)
        return self.out.read().decode(errors="replace")

    def wait(self, pred, timeout):
        """The first counter line with pred true, waiting up to timeout s (None)."""
        import time

        end = time.time() + timeout
        while time.time() < end:
            self.out.seek(0)
            for x in self.out.read().decode(errors="replace").splitlines():
                if x.startswith("{") and pred(json.loads(x)):
                    return json.loads(x)
            time.sleep(0.1)
        return None

    def last(self, text):
        rows = [json.loads(x) for x in text.splitlines() if x.startswith("{")]
        assert rows, text[-2000:]
        return rows[-1]


def _settings(broker, **kw):
    s = {"mqtt_host": "127.0.0.1", "mqtt_port": broker.port, "mqtt_user": USER, "mqtt_password": PASSWORD,
         "mqtt_prefix": PREFIX}
    s.update(kw)
    return s


def _status(m):
    return m[0] == PREFIX + "/status" and json.loads(m[1])


@pytest.mark.parametrize("interp", ["cpython", "micropython"])
def test_ha_sees_discovery_telemetry_commands_errors_and_the_will_and_it_all_survives_a_broker_restart(
        broker, interp):
    ha = HA(broker)
    script = [[0, "A", 0], [1500, "B2", 0], [2500, "C2", 1], [3500, "B2", 0], [4500, "A", 0]]
    app = App(interp, _settings(broker), script)
    try:
        assert ha.wait(lambda m: m[0] == PREFIX + "/availability" and m[1] == "online" and m[2] is False, 15)
        # discovery: retained configs, one device block, the availability topic (validated by HA's schemas
        # in test_net_discovery_ha.py); at one phase the currents of L2 and L3 are removed (empty)
        cfgs = {}
        end = ha.wait(lambda m: m[0].endswith("/sleep/config"), 10)
        assert end, ha.since(0)
        for t, p, _ in ha.since(0):
            if t.startswith("homeassistant/"):
                cfgs[t] = p
        assert cfgs["homeassistant/sensor/%s/current_l2/config" % NODE] == ""
        c = json.loads(cfgs["homeassistant/number/%s/max_current/config" % NODE])
        assert c["command_topic"] == PREFIX + "/set/max_current" and c["min"] == 6 and c["max"] == 32
        assert c["availability_topic"] == PREFIX + "/availability" and c["device"]["identifiers"] == [NODE]
        # telemetry follows the session A -> B -> C -> B -> A, and the state letter with it
        seen = []
        for letter in "BCBA":
            m = ha.wait(lambda m, x=letter: m[0] == PREFIX + "/state" and m[1] == x, 10,
                        start=seen[-1] if seen else 0)
            assert m, (letter, ha.since(0)[-10:])
            seen.append(ha.mark())
        s = ha.wait(lambda m: _status(m) and _status(m)["contactor"] == "closed", 1, 0)
        assert s and json.loads(s[1])["state"] == "C2"
        # commands: a runtime limit, a bad payload answered on <prefix>/error, disable
        n = ha.mark()
        ha.publish(PREFIX + "/set/max_current", "10")
        assert ha.wait(lambda m: _status(m) and _status(m)["runtime_limit_a"] == 10, 5, n), ha.since(n)
        n = ha.mark()
        ha.publish(PREFIX + "/set/max_current", "lots")
        e = ha.wait(lambda m: m[0] == PREFIX + "/error", 5, n)
        assert e and json.loads(e[1])["topic"] == "max_current" and json.loads(e[1])["code"] == 4, e
        ha.publish(PREFIX + "/set/enabled", "OFF")
        assert ha.wait(lambda m: _status(m) and _status(m)["enabled"] is False, 5, n)
        # the broker restarts: the client comes back (backoff), restores its subscription and availability
        broker.stop()
        ha.close()
        broker.start()
        ha = HA(broker, topics=(PREFIX + "/#",))
        assert ha.wait(lambda m: m[0] == PREFIX + "/availability" and m[1] == "online", 20)
        n = ha.mark()
        ha.publish(PREFIX + "/set/enabled", "ON")
        assert ha.wait(lambda m: _status(m) and _status(m)["enabled"] is True, 10, n), ha.since(n)
        n = ha.mark()
    finally:
        text = app.kill()
    # the will: offline, retained, once the firmware's connection dies without a DISCONNECT
    assert ha.wait(lambda m: m[0] == PREFIX + "/availability" and m[1] == "offline", 10, n), text[-2000:]
    ha.close()
    last = app.last(text)
    assert last["calls"] == ["disable", "enable"] and last["mqtt_connects"] == 2, last
    assert last["mqtt_malformed"] == 0


@pytest.mark.parametrize("interp", ["cpython", "micropython"])
def test_wrong_password_is_refused_and_tls_checks_the_broker_certificate(broker, interp, tmp_path):
    app = App(interp, _settings(broker, mqtt_password="wrong-pass"))
    import time

    time.sleep(2.5)
    last = app.last(app.kill())
    assert last["mqtt"] != "up" and last["mqtt_connects"] == 0
    assert last["mqtt_error"] == "refused: bad user name or password" or "refused" in str(last["mqtt_error"]), last
    # TLS with the right CA, to the name on the certificate
    ha = HA(broker, topics=(PREFIX + "/availability",))
    app = App(interp, _settings(broker, mqtt_host="localhost", mqtt_port=broker.tls_port, mqtt_tls="on"),
              ca_file=broker.ca)
    n = ha.mark()
    try:
        assert app.wait(lambda x: x["mqtt_connects"] == 1, 20), (app.kill()[-2000:], broker.log()[-1500:])
        assert ha.wait(lambda m: m[1] == "online", 5, n)
    finally:
        app.kill()
    ha.close()
    # a CA that did not sign the broker's certificate: no connection
    from host_tests.net_broker import make_ca

    other = make_ca(str(tmp_path))
    app = App(interp, _settings(broker, mqtt_host="localhost", mqtt_port=broker.tls_port, mqtt_tls="on"),
              ca_file=other)
    time.sleep(3)
    last = app.last(app.kill())
    assert last["mqtt_connects"] == 0 and last["mqtt_error"], last
