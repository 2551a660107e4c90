# network as the firmware sees it on the virtual board: one station interface whose access point a test
# controls (AIR). The host's own network carries the traffic: sockets are the host's, on 127.0.0.1.
STA_IF = 0
AP_IF = 1
STAT_IDLE = 0
STAT_CONNECTING = 1
STAT_WRONG_PASSWORD = -3
STAT_NO_AP_FOUND = -2
STAT_GOT_IP = 3


class Air:
    """The radio's surroundings: the network in reach (ssid, password), whether it carries (up), and how
    long an association takes (join_ms, on the board's clock)."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.ssid = "vboard"
        self.password = "vboard-pass"
        self.up = True
        self.join_ms = 300
        self.connects = []  # (ms, ssid) of every connect() call


AIR = Air()


def _ms():
    import time

    return time.ticks_ms()


class WLAN:
    def __init__(self, interface=STA_IF):
        self._if = interface
        self._active = False
        self._ssid = None
        self._password = None
        self._t = None

    def active(self, on=None):
        if on is None:
            return self._active
        self._active = bool(on)
        if not on:
            self._ssid = None

    def connect(self, ssid=None, key=None, **kw):
        if not self._active:
            raise OSError("STA not active")
        AIR.connects.append((_ms(), ssid))
        self._ssid = ssid
        self._password = key
        self._t = _ms()

    def disconnect(self):
        self._ssid = None

    def status(self, param=None):
        if param == "rssi":
            return -60
        if param is not None:
            raise ValueError("unknown status parameter")
        if self._ssid is None:
            return STAT_IDLE
        if self._ssid != AIR.ssid:
            return STAT_NO_AP_FOUND
        if self._password != AIR.password:
            return STAT_WRONG_PASSWORD
        if not AIR.up:
            return STAT_CONNECTING
        if (_ms() - self._t) & 0x3FFFFFFF < AIR.join_ms:
            return STAT_CONNECTING
        return STAT_GOT_IP

    def isconnected(self):
        return self._active and self.status() == STAT_GOT_IP

    def ifconfig(self, *a):
        return ("10.0.0.42", "255.255.255.0", "10.0.0.1", "10.0.0.1") if self.isconnected() else \
            ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")

    def config(self, *a, **kw):
        if a and a[0] == "mac":
            return b"\x02vbrd1"
        return None
