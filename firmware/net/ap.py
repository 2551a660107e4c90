# The set-up access point for a first boot without a cable: a WPA2 network named after the board, whose
# page (web/setup.py) scans, tests and saves the WiFi the charger should join. docs/web.md "First boot".
from evse.compat import const

TYPE_CHECKING = False  # pyright takes the block below as true; at run time nothing is imported
if TYPE_CHECKING:
    from typing import Any

PREFIX = "EVSE-"  # + the last 6 hex digits of machine.unique_id(): "EVSE-3FA1C2"
# 31 letters and digits a person cannot misread on a label: no 0/o, 1/l/i.
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
PASS_LEN = const(12)  # 12 of 31 symbols: 59 bits, out of reach of a WPA2 handshake cracked offline
PASS_FILE = "ap_pass.txt"  # the password, made at random the first time the access point comes up
AP_ADDR = "192.168.4.1"  # the address both ports give their own access point, and the page's
TEST_MS = const(15000)  # a join not up within this is "timeout" (an association takes 1..5 s)
POLL_MS = const(250)  # the test looks at the station's status this often
SCAN_MAX = const(20)  # networks listed at most, strongest first: an answer that fits the page and the RAM
_WRAP = const(0x3FFFFFFF)
# The ports' station status codes (the same numbers on esp32 and rp2's cyw43, as network.STAT_*).
_STAT_WRONG_PASSWORD = const(-3)
_STAT_NO_AP_FOUND = const(-2)
_STAT_CONNECT_FAIL = const(-1)


def name(uid):
    """The access point's name for a board's unique id (bytes): PREFIX + its last 6 hex digits."""
    from binascii import hexlify

    return PREFIX + hexlify(uid).decode()[-6:].upper()


def new_password(urandom):
    """PASS_LEN symbols of ALPHABET from urandom(n) bytes; bytes >= 248 are dropped (31 * 8 = 248), so every
    symbol is equally likely."""
    out = ""
    while len(out) < PASS_LEN:
        for b in urandom(16):
            if b < 248 and len(out) < PASS_LEN:
                out += ALPHABET[b % 31]
    return out


def load_password(path, urandom, write_ok):
    """The board's access-point password: the one in path, else a new one, written there when write_ok()
    (a flash write holds the interrupts: only while the contactor is open). path None: RAM only (the virtual
    board's scenarios). (password, stored)."""
    if path is not None:
        try:
            with open(path) as f:
                t = f.read().strip()
            if len(t) == PASS_LEN and all(c in ALPHABET for c in t):
                return t, True
        except OSError:
            pass
    pw = new_password(urandom)
    if path is None or not write_ok():
        return pw, False
    try:
        with open(path, "w") as f:
            f.write(pw + "\n")
        return pw, True
    except OSError:
        return pw, False


def _ssid_text(b):
    try:
        return b.decode()
    except Exception:  # noqa: B902 -- not UTF-8: shown with its bytes escaped, never raised
        return repr(b)[2:-1]


def networks(rows):
    """A scan's tuples (ssid, bssid, channel, rssi, security, hidden) as dicts for the page: hidden and
    nameless ones dropped, each name once with its strongest signal, strongest first, at most SCAN_MAX."""
    best = {}
    for r in rows:
        if not r[0] or r[5]:
            continue
        s = _ssid_text(r[0])
        if s not in best or r[3] > best[s]["rssi"]:
            best[s] = {"ssid": s, "rssi": r[3], "channel": r[2], "secure": r[4] != 0}
    out = sorted(best.values(), key=lambda d: (-d["rssi"], d["ssid"]))
    return out[:SCAN_MAX]


class AccessPoint:
    """AccessPoint(network, uid, password, clock_ms, heavy_ok): the set-up network. heavy_ok() is True
    while a long C call may run (the contactor open, or a port whose control step runs through one): a scan
    and the radio's bring-up wait for it."""

    def __init__(self, network, uid, password, clock_ms, heavy_ok):
        self._net = network
        self.name = name(uid)
        self._password = password  # shown on the serial console only, never in an HTTP answer
        self._clock = clock_ms
        self.heavy_ok = heavy_ok
        self.wlan = None  # type: Any
        self.sta = None  # type: Any
        self.state = "down"  # down, up, failed
        self.error = None
        self.addr = AP_ADDR
        self.port = 80  # the set-up page's TCP port (web_port when the setting web is on)
        self.scans = 0
        self.tests = 0
        self.busy = False  # a scan or a test runs: one at a time
        self.warnings = []  # the set-up page's own server's (it cannot listen yet...): shown by `ap`

    def start(self):
        """Bring the access point up (a few C calls, no waiting). True if it is up."""
        net = self._net
        try:
            w = self.wlan if self.wlan is not None else net.WLAN(net.AP_IF)
            self.wlan = w
            sec = getattr(net.WLAN, "SEC_WPA2", None)
            if sec is None:
                sec = getattr(net, "AUTH_WPA2_PSK", None)
            try:
                if sec is None:
                    w.config(ssid=self.name, key=self._password)
                else:
                    w.config(ssid=self.name, key=self._password, security=sec)
            except (TypeError, ValueError):  # an older port's names for the same
                w.config(essid=self.name, password=self._password, authmode=sec)
            w.active(True)
            try:
                self.addr = w.ifconfig()[0]
            except Exception:  # noqa: B902
                pass
            self.state = "up"
            self.error = None
            return True
        except Exception as e:  # noqa: B902 -- no radio, or it refused: the charger runs on without
            self.state = "failed"
            self.error = "%s %s" % (type(e).__name__, e)
            return False

    def stop(self):
        if self.wlan is not None:
            try:
                self.wlan.active(False)
            except Exception:  # noqa: B902
                pass
        self.state = "down"

    def up(self):
        return self.state == "up"

    def pairs(self):
        """The access point's state for the status and the page: never its password."""
        w = self.warnings[-1] if self.warnings else None
        return [("ap", self.state), ("ap_name", self.name), ("ap_addr", self.addr), ("ap_error", self.error),
                ("ap_server", w)]

    def console_line(self):
        """What the serial console prints when the access point comes up: the one place its password shows."""
        if self.state != "up":
            return "access point %s: %s (%s)" % (self.name, self.state, self.error)
        return "access point %s up, WPA2 password %s: open http://%s%s/setup to choose the WiFi" % (
            self.name, self._password, self.addr, "" if self.port == 80 else ":%d" % self.port)

    def _station(self):
        net = self._net
        if self.sta is None:
            self.sta = net.WLAN(net.STA_IF)
        if not self.sta.active():
            self.sta.active(True)
        return self.sta

    def scan(self):
        """(ok, error text, networks). The scan blocks the main program in C for 1..2 s: refused unless
        heavy_ok() (on esp32 the control step waits for it; on rp2 its timer interrupt runs through)."""
        if self.busy:
            return False, "a scan or a test is running, try again", []
        if not self.heavy_ok():
            return False, "not while charging on this board: the scan holds the processor for 2 s", []
        self.busy = True
        try:
            self.scans += 1
            rows = self._station().scan()
            return True, None, networks(rows)
        except Exception as e:  # noqa: B902 -- the radio refused: an error for the page, nothing else
            return False, "scan failed: %s" % type(e).__name__, []
        finally:
            self.busy = False

    async def test(self, ssid, password, sleep_ms):
        """Join ssid as a station while the access point stays up: "joined", "wrong_password", "not_found",
        "failed" or "timeout" within TEST_MS, and the address got; the station is left again after."""
        if self.busy:
            return "busy", None
        self.busy = True
        self.tests += 1
        sta = None
        try:
            sta = self._station()
            try:
                sta.disconnect()
            except Exception:  # noqa: B902
                pass
            sta.connect(ssid, password or None)
            t0 = self._clock()
            while (self._clock() - t0) & _WRAP < TEST_MS:
                await sleep_ms(POLL_MS)
                if sta.isconnected():
                    return "joined", sta.ifconfig()[0]
                st = sta.status()
                if st == _STAT_WRONG_PASSWORD:
                    return "wrong_password", None
                if st == _STAT_NO_AP_FOUND:
                    return "not_found", None
                if st == _STAT_CONNECT_FAIL:
                    return "failed", None
            return "timeout", None
        except Exception:  # noqa: B902 -- the radio refused: reported, never raised into the server
            return "failed", None
        finally:
            if sta is not None:
                try:
                    sta.disconnect()
                except Exception:  # noqa: B902
                    pass
            self.busy = False


def open_ap(app, cmds, network, machine, password_path, port, printer=print):
    """Bring the set-up access point up for main (at boot without a wifi_ssid, or the console's `ap on`),
    print its name and password on the console, and make sure a web server serves the set-up page: the
    one of the setting web when it runs, else one on the access point's address only. The AccessPoint."""
    import os

    hw = app.hw
    io = app.io
    hard = getattr(hw.port, "HARD_TIMER", False)

    def quiet():
        return not hw.contactor.closed and not io.relay

    def heavy_ok():
        return hard or quiet()

    ap = getattr(app, "ap", None)
    if ap is None:
        pw, stored = load_password(password_path, os.urandom, quiet)
        ap = AccessPoint(network, machine.unique_id(), pw, app.history.uptime_ms, heavy_ok)
        if not stored and password_path is not None:
            app.settings.warnings.append("ap: password not stored; a new one at the next boot")
        ap.port = port
        app.ap = ap
        cmds.ap = ap
    if not ap.up():
        ap.start()
    printer(ap.console_line())
    if not ap.up():
        app.settings.warnings.append("ap: %s" % ap.error)
        return ap
    try:
        _serve_page(app, cmds, ap, port)
    except Exception as e:  # noqa: B902 -- no web code in the image, no RAM: the charger runs on without
        ap.warnings.append("no set-up page: %r" % e)  # `ap` shows it
        printer("access point %s: no set-up page: %r" % (ap.name, e))
    return ap


def _serve_page(app, cmds, ap, port):
    web = getattr(cmds, "web", None)
    from web.setup import mount

    if web is None:
        import asyncio

        from web.server import start as web_start

        # Its own warnings: a server that cannot listen on the access point's address is the set-up's
        # business (`ap` shows it), not a warning of the charger's.
        co = web_start(cmds, app.history.uptime_ms, port, host=ap.addr, warnings=ap.warnings)
        web = getattr(cmds, "web", None)
        if co is not None:
            asyncio.create_task(co)
    if web is not None:
        mount(web, ap)
