# network as the firmware sees it on the virtual board: a station interface and an access-point interface in
# a radio neighbourhood a test controls (AIR: the networks in reach). The host's own network carries the
# traffic: sockets are the host's, on 127.0.0.1.
STA_IF = 0
AP_IF = 1
STAT_IDLE = 0
STAT_CONNECTING = 1
STAT_WRONG_PASSWORD = -3
STAT_NO_AP_FOUND = -2
STAT_GOT_IP = 3
AUTH_OPEN = 0
AUTH_WPA2_PSK = 3  # the ESP32 port's name and value for WPA2-PSK (WLAN.SEC_WPA2 below is the same)

# A scan on a board blocks the main program in C while the radio visits every channel: about 120 ms on
# each of 13 channels (I: ESP-IDF's default active-scan dwell; not measured on a board here).
SCAN_US = 1600000
AP_ADDR = "192.168.4.1"  # both ports' default address of their own access point


class Air:
    """The radio's surroundings: the networks in reach (dicts of ssid, password, rssi, channel; the first is
    the home network that ssid and password name), whether the home one carries (up), and how long an
    association takes (join_ms, on the board's clock)."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.networks = [{"ssid": "vboard", "password": "vboard-pass", "rssi": -60, "channel": 6}]
        self.up = True
        self.join_ms = 300
        self.scan_us = SCAN_US
        self.radio = True  # False: the radio chip does not answer (WLAN() raises OSError, as a dead one does)
        self.connects = []  # (ms, ssid) of every connect() call
        self.scans = []  # ms at which each scan() began
        self.ap = None  # the access point's WLAN once one was made

    @property
    def ssid(self):
        return self.networks[0]["ssid"]

    @ssid.setter
    def ssid(self, v):
        self.networks[0]["ssid"] = v

    @property
    def password(self):
        return self.networks[0]["password"]

    @password.setter
    def password(self, v):
        self.networks[0]["password"] = v

    def add(self, ssid, password, rssi=-70, channel=1):
        self.networks.append({"ssid": ssid, "password": password, "rssi": rssi, "channel": channel})

    def find(self, ssid):
        for n in self.networks:
            if n["ssid"] == ssid:
                return n
        return None


AIR = Air()


def _ms():
    import time

    return time.ticks_ms()


class WLAN:
    SEC_OPEN = AUTH_OPEN
    SEC_WPA2 = AUTH_WPA2_PSK

    def __init__(self, interface=STA_IF):
        if not AIR.radio:
            raise OSError(19)  # ENODEV: the driver found no radio chip
        self._if = interface
        self._active = False
        self._ssid = None
        self._password = None
        self._t = None
        self._cfg = {}  # the access point's ssid, key, security
        if interface == AP_IF:
            AIR.ap = self

    def active(self, on=None):
        if on is None:
            return self._active
        if on and self._if == AP_IF:
            key = self._cfg.get("key") or ""
            if key and len(key) < 8:
                raise OSError("WPA2 key needs 8..63 characters")
        self._active = bool(on)
        if not on:
            self._ssid = None

    def connect(self, ssid=None, key=None, **kw):
        if not self._active:
            raise OSError("STA not active")
        if self._if != STA_IF:
            raise OSError("not a station interface")
        AIR.connects.append((_ms(), ssid))
        self._ssid = ssid
        self._password = key
        self._t = _ms()

    def disconnect(self):
        self._ssid = None

    def scan(self):
        """The ports' tuples: (ssid bytes, bssid bytes, channel, RSSI dBm, security, hidden), after
        blocking the main program in C for AIR.scan_us, as a board's scan does."""
        if self._if != STA_IF or not self._active:
            raise OSError("STA not active")
        AIR.scans.append(_ms())
        from tools.vboard import clock

        if clock.K is not None:
            clock.K.c_call_us(AIR.scan_us)
        out = []
        for i, n in enumerate(AIR.networks):
            sec = AUTH_WPA2_PSK if n["password"] else AUTH_OPEN
            out.append((n["ssid"].encode(), bytes([2, 0, 0, 0, 0, i + 1]), n["channel"], n["rssi"], sec, 0))
        return out

    def status(self, param=None):
        if param == "rssi":
            return -60
        if param is not None:
            raise ValueError("unknown status parameter")
        if self._ssid is None:
            return STAT_IDLE
        n = AIR.find(self._ssid)
        if n is None:
            return STAT_NO_AP_FOUND
        if (self._password or "") != n["password"]:
            return STAT_WRONG_PASSWORD
        if n is AIR.networks[0] and not AIR.up:
            return STAT_CONNECTING
        if (_ms() - self._t) & 0x3FFFFFFF < AIR.join_ms:
            return STAT_CONNECTING
        return STAT_GOT_IP

    def isconnected(self):
        if self._if == AP_IF:
            return False
        return self._active and self.status() == STAT_GOT_IP

    def ifconfig(self, *a):
        if self._if == AP_IF:
            return (AP_ADDR, "255.255.255.0", AP_ADDR, AP_ADDR) if self._active else \
                ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")
        return ("10.0.0.42", "255.255.255.0", "10.0.0.1", "10.0.0.1") if self.isconnected() else \
            ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")

    def config(self, *a, **kw):
        if a:
            if a[0] == "mac":
                return b"\x02vbrd1" if self._if == STA_IF else b"\x02vbrd2"
            if a[0] in ("ssid", "essid"):
                return self._cfg.get("ssid")
            if a[0] in ("security", "authmode"):
                return self._cfg.get("security", AUTH_OPEN)
            raise ValueError("unknown config param")
        for k in kw:
            name = {"essid": "ssid", "password": "key", "authmode": "security"}.get(k, k)
            if name not in ("ssid", "key", "security", "channel", "max_clients"):
                raise ValueError("unknown config param")
            self._cfg[name] = kw[k]
        return None
