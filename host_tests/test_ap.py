# Issue 14, first boot without a cable: the set-up access point (firmware/net/ap.py) on the virtual board's
# radio (tools/vboard/ports/network.py), and the console's `ap` command. Its name comes from the board id,
# its password is random per board and kept; a scan waits for a moment when a long C call is allowed; a
# test join reports joined / wrong password / not found / timeout within its bound, in virtual time.
# Plain asserts: CPython and the MicroPython unix port.
from evse import errcodes, iodata
from evse.commands import Caller, Commands
from evse.settings import Settings
from net import ap as apmod
from tools.vboard import clock
from tools.vboard.ports import network

from host_tests.fakes import FakeCharger

UID = b"\xe6\x61\x41\x03\x3f\xa1\xc2\x9b"  # an 8-byte id as rp2's machine.unique_id() gives


class Clock:
    """The access point's clock, moved by its own sleep_ms: a test join runs in virtual time."""

    def __init__(self):
        self.t = 0

    def ms(self):
        return self.t

    async def sleep_ms(self, ms):
        self.t += ms


def _fresh():
    """The radio neighbourhood as a board finds it, and no virtual board's kernel left over (a scan would
    run its C call there)."""
    clock.patch_time()  # CPython's time gets MicroPython's ticks_ms, on the real clock while no board runs
    old = clock.K
    clock.K = None
    network.AIR.reset()
    return old


def _ap(heavy=True, uid=UID, password="k7mq2x9pdw4h"):
    c = Clock()
    a = apmod.AccessPoint(network, uid, password, c.ms, lambda: heavy)
    return a, c


def _run(coro):
    """Run a coroutine whose awaits never suspend (Clock.sleep_ms): no event loop needed (the webassembly
    port has no asyncio.run)."""
    try:
        while True:
            coro.send(None)
    except StopIteration as e:
        return e.value


def _urandom():
    """os.urandom, or on a port without it (webassembly) bytes of a xorshift generator."""
    import os

    f = getattr(os, "urandom", None)
    if f is not None:
        return f
    state = [0x2545F491]

    def gen(n):
        out = bytearray(n)
        for i in range(n):
            x = state[0]
            x ^= (x << 13) & 0xFFFFFFFF
            x ^= x >> 17
            x ^= (x << 5) & 0xFFFFFFFF
            state[0] = x
            out[i] = x & 0xFF
        return bytes(out)

    return gen


def test_the_name_is_evse_and_the_last_6_hex_digits_of_the_board_id():
    assert apmod.name(UID) == "EVSE-A1C29B"
    assert apmod.name(b"\x24\x0a\xc4\x12\x34\x56") == "EVSE-123456"  # an ESP32's 6-byte id (its MAC)
    assert apmod.name(b"\x00" * 8) != apmod.name(b"\x00" * 7 + b"\x01")


def test_the_password_is_12_unambiguous_symbols_evenly_drawn_and_new_each_time():
    urandom = _urandom()
    seen = set()
    for _ in range(20):
        p = apmod.new_password(urandom)
        assert len(p) == 12 and all(c in apmod.ALPHABET for c in p), p
        for bad in "01ilo":
            assert bad not in p
        seen.add(p)
    assert len(seen) == 20  # 59 bits each: a repeat would mean the randomness is not used
    # bytes 248..255 would favour the first 8 symbols (256 = 8 * 31 + 8): they are dropped, not folded
    feed = [bytes([248, 249, 255] + [0] * 10), bytes([30, 31] * 8)]
    p = apmod.new_password(lambda n: feed.pop(0) if feed else bytes([1] * n))
    assert p == "2" * 10 + "z2", p


def test_the_password_is_kept_on_flash_and_read_back_and_a_damaged_file_is_replaced():
    import os

    urandom = _urandom()
    path = "build/test_ap_pass.txt"
    try:
        os.mkdir("build")
    except OSError:
        pass
    try:
        os.remove(path)
    except OSError:
        pass
    p1, stored = apmod.load_password(path, urandom, lambda: True)
    assert stored
    p2, stored2 = apmod.load_password(path, urandom, lambda: True)
    assert p2 == p1 and stored2  # the same password every boot: the label stays right
    with open(path, "w") as f:
        f.write("0000\n")
    p3, _ = apmod.load_password(path, urandom, lambda: True)
    assert p3 != p1 and len(p3) == 12
    os.remove(path)
    p4, stored4 = apmod.load_password(path, urandom, lambda: False)  # contactor closed: no flash write
    assert not stored4 and len(p4) == 12
    try:
        open(path).close()
        assert False, "written while a flash write was not allowed"
    except OSError:
        pass
    p5, stored5 = apmod.load_password(None, urandom, lambda: True)  # a simulation: RAM only
    assert not stored5 and len(p5) == 12


def test_bring_up_makes_a_wpa2_network_named_after_the_board_and_never_shows_the_password_in_its_pairs():
    old = _fresh()
    try:
        a, _ = _ap()
        assert a.start() and a.up()
        cfg = network.AIR.ap._cfg
        assert cfg["ssid"] == "EVSE-A1C29B" and cfg["key"] == "k7mq2x9pdw4h"
        assert cfg["security"] == network.AUTH_WPA2_PSK
        assert network.AIR.ap.active() and a.addr == "192.168.4.1"
        assert "k7mq2x9pdw4h" not in repr(a.pairs())
        line = a.console_line()
        assert "EVSE-A1C29B" in line and "k7mq2x9pdw4h" in line and "http://192.168.4.1/setup" in line
        a.port = 8080
        assert "http://192.168.4.1:8080/setup" in a.console_line()
        a.stop()
        assert not network.AIR.ap.active() and not a.up()
    finally:
        clock.K = old


def test_a_radio_that_does_not_answer_is_a_failed_state_not_an_exception():
    old = _fresh()
    try:
        network.AIR.radio = False
        a, _ = _ap()
        assert not a.start()
        assert a.state == "failed" and a.error.startswith("OSError"), a.error
        assert "failed" in a.console_line()
    finally:
        network.AIR.reset()
        clock.K = old


def test_a_scan_lists_each_network_once_strongest_first_without_hidden_ones():
    old = _fresh()
    try:
        air = network.AIR
        air.add("cafe", "", rssi=-40, channel=11)
        air.add("neighbour", "n-pass-123", rssi=-85)
        air.add("cafe", "", rssi=-75, channel=1)  # a second access point of the same network: listed once
        a, _ = _ap()
        ok, why, nets = a.scan()
        assert ok and why is None
        assert [n["ssid"] for n in nets] == ["cafe", "vboard", "neighbour"], nets
        assert nets[0] == {"ssid": "cafe", "rssi": -40, "channel": 11, "secure": False}
        assert nets[1]["secure"] and len(air.scans) == 1
        rows = [(b"", b"x", 1, -30, 3, 0), (b"hid", b"y", 1, -30, 3, 1), (b"\xff\xfe", b"z", 1, -50, 0, 0)]
        rows += [(("n%02d" % i).encode(), b"w", 1, -90 + i, 3, 0) for i in range(30)]
        got = apmod.networks(rows)
        assert len(got) == apmod.SCAN_MAX and got[0]["ssid"] == "\\xff\\xfe", got[0]
        assert "hid" not in [n["ssid"] for n in got]
    finally:
        clock.K = old


def test_no_scan_while_a_long_c_call_is_not_allowed():
    old = _fresh()
    try:
        a, _ = _ap(heavy=False)
        ok, why, nets = a.scan()
        assert not ok and "charging" in why and nets == []
        assert network.AIR.scans == []  # the radio was never asked
    finally:
        clock.K = old


def test_a_test_join_reports_joined_wrong_password_not_found_and_timeout_within_its_bound():
    old = _fresh()
    try:
        network.AIR.join_ms = 0
        a, c = _ap()
        a.start()
        assert _run(a.test("vboard", "vboard-pass", c.sleep_ms)) == ("joined", "10.0.0.42")
        assert c.t <= apmod.POLL_MS
        assert _run(a.test("vboard", "wrong-pass", c.sleep_ms)) == ("wrong_password", None)
        assert _run(a.test("elsewhere", "whatever1", c.sleep_ms)) == ("not_found", None)
        network.AIR.up = False  # the network is there but never lets the station in
        t0 = c.t
        assert _run(a.test("vboard", "vboard-pass", c.sleep_ms)) == ("timeout", None)
        assert apmod.TEST_MS <= c.t - t0 <= apmod.TEST_MS + apmod.POLL_MS
        assert a.up() and network.AIR.ap.active()  # the access point stayed up throughout
        assert a.sta._ssid is None  # and the station left the tested network again
        assert a.tests == 4 and not a.busy
    finally:
        clock.K = old


def _cmd_rig():
    st = Settings(path=None)
    ch = FakeCharger(iodata.Config(), iodata.IO())
    st.to_config(ch.config)
    return Commands(ch, st, None, lambda: 1000), ch


def test_the_ap_command_shows_it_and_brings_it_up_from_the_serial_console_only():
    old = _fresh()
    try:
        cmd, ch = _cmd_rig()
        con = Caller("console")
        r = cmd.run(con, ["ap"])
        assert r.ok and "off" in r.text
        r = cmd.run(con, ["ap", "on"])
        assert not r.ok and r.code == errcodes.REFUSED and "radio" in r.text  # a plain Pico
        opened = []

        def ap_open(announce=True):
            assert announce is False  # the answer shows the line: not printed twice
            a, _ = _ap()
            a.start()
            cmd.ap = a
            opened.append(a)
            return a

        cmd.ap_open = ap_open
        for who in (Caller("web", pin=False), Caller("mqtt", pin=False)):
            r = cmd.run(who, ["ap", "on"])
            assert not r.ok and r.code == errcodes.REFUSED and "console" in r.text, r.text
            assert not opened
        ch.io.relay = True  # a session in progress: the radio's start is a long C call
        r = cmd.run(con, ["ap", "on"])
        assert not r.ok and r.code == errcodes.SESSION and not opened
        ch.io.relay = False
        r = cmd.run(con, ["ap", "on"])
        assert r.ok and len(opened) == 1 and "k7mq2x9pdw4h" in r.text and "EVSE-A1C29B" in r.text, r.text
        assert dict(r.pairs)["ap"] == "up" and "k7mq2x9pdw4h" not in repr(r.pairs)
        r = cmd.run(con, ["ap", "off", "now"])
        assert not r.ok and r.code == errcodes.USAGE
        cmd.settings.values["pin"] = "s1$x$y"  # a PIN set: the console must unlock first
        r = cmd.run(con, ["ap"])
        assert not r.ok and r.code == errcodes.LOCKED
    finally:
        clock.K = old
