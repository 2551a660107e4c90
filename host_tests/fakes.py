# Host-test helpers for the settings, history and console tests: a stand-in for evse.charger.Charger
# with exactly the interface they use, and temp-file helpers. Plain Python: runs under MicroPython too.
import os

from evse import iodata


class FakeCharger:
    def __init__(self, config, io):
        self.config = config
        self.inst = config  # the installation settings in force (the real core copies them outside sessions)
        self.io = io
        self.state = iodata.ST_A
        self.faults = 0
        self.latched = 0
        self.offered_ma = 0
        self.cable_ma = 0
        self.enabled = True
        self.sleeping = False
        self.limited = False
        self.selftest_ok = True  # what request_selftest() answers
        self.calls = []  # command methods called, in order
        self.applied = 0  # apply_config() calls

    def enable(self):
        self.calls.append("enable")
        self.enabled = True
        self.sleeping = False

    def disable(self):
        self.calls.append("disable")
        self.enabled = False

    def sleep(self):
        self.calls.append("sleep")
        self.sleeping = True

    def stop_limit(self):
        self.calls.append("stop_limit")
        self.limited = True

    def request_selftest(self):
        self.calls.append("selftest")
        return self.selftest_ok

    def reset_faults(self):
        self.calls.append("reset")
        self.faults &= ~self.latched
        self.latched = 0

    def apply_config(self):
        self.applied += 1

    def installation_locked(self):
        """As the real core: a vehicle there (any state but A), the contactor closed or its load side live."""
        io = self.io
        return self.state != iodata.ST_A or io.relay or (self.inst.relay_sense and io.relay_v == 1)


_made = [0]


def tmp_path(tag):
    """A fresh file name in the temp folder (no tempfile module on MicroPython; the webassembly port
    has neither os.getenv nor os.urandom, and a fresh in-memory /tmp)."""
    getenv = getattr(os, "getenv", None)
    base = (getenv and getenv("TMPDIR")) or "/tmp"
    urandom = getattr(os, "urandom", None)
    _made[0] += 1
    uniq = "".join(["%02x" % b for b in urandom(6)]) if urandom else "w%d" % _made[0]
    return "%s/evse-%s-%s.json" % (base, tag, uniq)


def remove(*paths):
    """Remove files (and their .tmp), ignoring missing ones."""
    for p in paths:
        for q in (p, p + ".tmp"):
            try:
                os.remove(q)
            except OSError:
                pass


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False
