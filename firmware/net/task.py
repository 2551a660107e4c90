# The network of the settings, built once at boot: the WiFi station, the MQTT client with its address
# cache and its TLS context, the bridge to the command layer, and the `net` status. docs/network.md.
from . import discovery, link
from .bridge import Bridge
from .client import Client
from .wifi import Station

CA_FILE = "mqtt_ca.pem"  # the CA that signed the broker's certificate, on the board's flash (mqtt_tls)
KEEPALIVE_S = 60


class Opener:
    """Makes the client's connections. The broker's address is looked up only while quiet() (the contactor
    open and not commanded closed): a DNS lookup blocks in C, on every port, for as long as the DNS server
    takes, longer than the main program may stall (hw/app.py MAIN_STALL_MS). The address is cached: a
    reconnect during a session uses the last one. A dotted IPv4 host needs no lookup."""

    def __init__(self, socket, select, host, port, tls, quiet):
        self._socket = socket
        self._select = select
        self.host = host
        self.port = port
        self._tls = tls
        self._quiet = quiet
        self.addr = None
        self.lookups = 0
        self.last = None  # the last Link made (tests look at its TLS wraps)

    def __call__(self, heavy_ok):
        num = link.numeric(self.host)
        # Looked up again only when the cached address did not even take a TCP connection (the broker
        # moved): each lookup may hold the main program for as long as the DNS server takes.
        stale = self.addr is not None and not num and self.last is not None and not self.last.tcp_up()
        if self.addr is None or stale:
            if num or self._quiet():
                self.lookups += 1
                self.addr = link.resolve(self._socket, self.host, self.port)
            elif self.addr is None:
                return None
        lk = link.Link(self._socket, self._select, self.addr, self._tls)
        lk.start()
        self.last = lk
        return lk


def build(values, cmd, board_id, model, clock_ms, quiet, hard_timer, network=None, socket=None, select=None,
          ca_file=None, keepalive_s=KEEPALIVE_S):
    """(station or None, client or None, bridge or None) for the setting values. network: the network module
    (None: the host's own network carries the traffic, as on the virtual board without one); quiet(): True
    while long C calls may run (contactor open); hard_timer: the control step runs through long C calls
    (rp2), so a TLS handshake may run during a session there. Raises OSError if the CA file is missing."""
    st = None
    if values["wifi_ssid"]:
        st = Station(network, values["wifi_ssid"], values["wifi_password"], clock_ms)
    if not values["mqtt_host"]:
        return st, None, None
    if socket is None:
        import socket
    if select is None:
        import select
    tls = None
    if values["mqtt_tls"]:
        tls = (link.tls_context(ca_file or CA_FILE), values["mqtt_host"])
    prefix = values["mqtt_prefix"] or "evse/" + board_id
    opener = Opener(socket, select, values["mqtt_host"], values["mqtt_port"], tls, quiet)
    will = (prefix + "/availability", "offline", True, 1)
    c = Client(opener, "evse-" + board_id, clock_ms, keepalive_s, values["mqtt_user"] or None,
               values["mqtt_password"] or None, will)
    c.opener = opener
    if st is not None:
        c.link_ok = st.connected
    if not hard_timer:
        c.heavy_ok = quiet  # esp32: a TLS handshake step is a long C call the scheduled step waits for
    b = Bridge(c, cmd, prefix, discovery.node_id(board_id), model, clock_ms, values["phases"],
               values["mqtt_commands"], values["ha_discovery"])
    return st, c, b


def start(app, cmd, brd, machine):
    """The network tasks' coroutines for main._main ([] when no wifi_ssid and no mqtt_host is set, or when
    it cannot run: a warning says why). Sets cmd.net for the console's `net`."""
    import time
    from binascii import hexlify

    v = app.settings.values
    if not v["wifi_ssid"] and not v["mqtt_host"]:
        return []
    try:
        import network  # pyright: ignore[reportMissingImports] -- a Pico W's or an ESP32's, not a plain Pico's
    except ImportError:
        network = None
    if network is None and v["wifi_ssid"]:
        app.settings.warnings.append("net: this board has no WiFi (network module); running without")
        return []
    board_id = hexlify(machine.unique_id()).decode()
    hw = app.hw
    io = app.io

    def quiet():
        return not hw.contactor.closed and not io.relay

    try:
        st, c, b = build(v, cmd, board_id, getattr(brd, "NAME", "board"), time.ticks_ms, quiet,
                         getattr(hw.port, "HARD_TIMER", False), network)
    except (OSError, ValueError) as e:
        app.settings.warnings.append("net: %s; running without MQTT" % e)
        return []

    def pairs():
        out = st.pairs() if st is not None else [("wifi", "host")]
        if c is not None and b is not None:
            out = out + c.pairs() + [("broker", "%s:%d%s" % (c.opener.host, c.opener.port,
                                                                " tls" if v["mqtt_tls"] else ""))] + b.pairs()
        return out

    cmd.net = pairs
    app.net = (st, c, b)
    tasks = []
    if st is not None:
        tasks.append(st.run())
    if c is not None and b is not None:
        tasks.append(c.run())
        tasks.append(b.run())
    return tasks
