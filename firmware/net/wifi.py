# The WiFi station: join the network of the settings, watch the link, join again with backoff when it is
# lost, and say how it is (`net`). Over MicroPython's network.WLAN(network.STA_IF), whose connect() starts
# the association and returns: nothing here waits for the radio.
from evse.compat import const

from .aio import sleep_ms

TYPE_CHECKING = False  # pyright takes the block below as true; at run time nothing is imported
if TYPE_CHECKING:
    from typing import Any

JOIN_MS = const(20000)  # an association not up by then is started again
BACKOFF_MIN_MS = const(2000)
BACKOFF_MAX_MS = const(60000)
POLL_MS = const(500)
_WRAP = const(0x3FFFFFFF)


class Station:
    """Station(network_module, ssid, password, clock_ms). run() never returns; connected() for the MQTT
    client; pairs() for `net`."""

    def __init__(self, network, ssid, password, clock_ms):
        self._net = network
        self._ssid = ssid
        self._password = password  # never shown, logged or put into an error text
        self._clock = clock_ms
        self.wlan = None  # type: Any
        self.state = "down"  # down, joining, up
        self.joins = 0  # associations started
        self.losses = 0  # times an up link went down
        self.backoff_ms = BACKOFF_MIN_MS
        self.error = None

    def connected(self):
        return self.state == "up"

    def pairs(self):
        ip = rssi = None
        if self.state == "up":
            try:
                ip = self.wlan.ifconfig()[0]
            except Exception:  # noqa: B902
                pass
            try:
                rssi = self.wlan.status("rssi")
            except Exception:  # noqa: B902 -- not every port reports it
                pass
        return [("wifi", self.state), ("ssid", self._ssid), ("ip", ip), ("rssi_dbm", rssi),
                ("wifi_joins", self.joins), ("wifi_error", self.error)]

    def _up(self):
        try:
            return bool(self.wlan.isconnected())
        except Exception:  # noqa: B902
            return False

    async def run(self):
        net = self._net
        try:
            self.wlan = net.WLAN(net.STA_IF)
            self.wlan.active(True)
        except Exception as e:  # noqa: B902 -- no radio after all: the charger runs without a network
            self.state = "none"
            self.error = "%s" % type(e).__name__
            return
        while True:
            if self._up():
                if self.state != "up":
                    self.state = "up"
                    self.error = None
                    self.backoff_ms = BACKOFF_MIN_MS
                await sleep_ms(POLL_MS)
                continue
            if self.state == "up":
                self.losses += 1
                self.error = "link lost"
            self.state = "joining"
            self.joins += 1
            try:
                self.wlan.connect(self._ssid, self._password)
            except Exception as e:  # noqa: B902 -- OSError on a busy radio: tried again after the backoff
                self.error = "connect: %s" % type(e).__name__
            t0 = self._clock()
            while not self._up() and (self._clock() - t0) & _WRAP < JOIN_MS:
                await sleep_ms(POLL_MS)
            if self._up():
                continue
            self.error = "no association (status %s)" % self._status()
            self.state = "down"
            try:
                self.wlan.disconnect()
            except Exception:  # noqa: B902
                pass
            t0 = self._clock()
            while (self._clock() - t0) & _WRAP < self.backoff_ms:
                await sleep_ms(POLL_MS)
            self.backoff_ms = min(self.backoff_ms * 2, BACKOFF_MAX_MS)

    def _status(self):
        try:
            return self.wlan.status()
        except Exception:  # noqa: B902
            return "?"
