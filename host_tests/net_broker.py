# Debian's mosquitto on 127.0.0.1 for the peer tests: a generated config (a plain listener with a password
# file, a TLS listener with a throwaway CA and certificate made here with openssl), started as a child and
# stopped by its process id. And a paho-mqtt client that plays Home Assistant.
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

USER = "evse"
PASSWORD = "peer-pass-1"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def make_ca(d, name="localhost"):
    """A CA and a server certificate for name (and 127.0.0.1) signed by it, in folder d."""
    def run(*a):
        subprocess.run(a, cwd=d, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=evse test CA",
        "-keyout", "ca.key", "-out", "ca.pem")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", "server.key",
        "-out", "server.csr")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:%s,IP:127.0.0.1\n" % name)
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "ext.cnf", "-out", "server.pem")
    return os.path.join(d, "ca.pem")


class Broker:
    """mosquitto with a password file on port, and a TLS listener on tls_port (certificates made here)."""

    def __init__(self):
        if shutil.which("mosquitto") is None:
            raise RuntimeError("mosquitto not installed: make test installs it (apt-get install mosquitto)")
        self.dir = tempfile.mkdtemp(prefix="evse-mosq-")
        self.port = free_port()
        self.tls_port = free_port()
        self.ca = make_ca(self.dir)
        pw = os.path.join(self.dir, "passwd")
        subprocess.run(["mosquitto_passwd", "-b", "-c", pw, USER, PASSWORD], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.chmod(pw, 0o600)
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            # As root mosquitto would drop to its own user, which cannot read this folder: stay who we are.
            f.write(("user root\n" if os.getuid() == 0 else "") +
                    "per_listener_settings false\npersistence false\nallow_anonymous false\n"
                    "password_file %s\nlog_dest file %s\nlog_type all\n"
                    "listener %d 127.0.0.1\n"
                    "listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\n" % (
                        pw, os.path.join(self.dir, "log"), self.port, self.tls_port, self.ca,
                        os.path.join(self.dir, "server.pem"), os.path.join(self.dir, "server.key")))
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        end = time.time() + 10
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start: " + self.log())

    def stop(self):
        if self.proc is not None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
            self.proc = None

    def log(self):
        try:
            with open(os.path.join(self.dir, "log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class HA:
    """paho-mqtt as Home Assistant: subscribes to the discovery root and the charger's topics and keeps
    every message (topic, payload text, retained) in order."""

    def __init__(self, broker, topics=("homeassistant/#", "evse/#")):
        import paho.mqtt.client as mqtt

        self.msgs = []
        self.lock = threading.Lock()
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="ha-test")
        c.username_pw_set(USER, PASSWORD)
        c.on_message = self._msg
        c.connect("127.0.0.1", broker.port, 30)
        for t in topics:
            c.subscribe(t, 1)
        c.loop_start()
        self.c = c

    def _msg(self, client, userdata, m):
        with self.lock:
            self.msgs.append((m.topic, m.payload.decode(), bool(m.retain)))

    def publish(self, topic, payload, retain=False):
        self.c.publish(topic, payload, 1, retain).wait_for_publish(5)

    def mark(self):
        with self.lock:
            return len(self.msgs)

    def wait(self, pred, timeout=10.0, start=0):
        """The first message (topic, payload, retained) from index start with pred true, waiting up to
        timeout s; None."""
        end = time.time() + timeout
        seen = start
        while True:
            with self.lock:
                new = self.msgs[seen:]
                seen = len(self.msgs)
            for m in new:
                if pred(m):
                    return m
            if time.time() >= end:
                return None
            time.sleep(0.02)

    def since(self, n):
        with self.lock:
            return list(self.msgs[n:])

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()
