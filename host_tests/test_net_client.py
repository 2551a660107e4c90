# Issue 12: the MQTT client (firmware/net/client.py) against a fake broker link, in virtual time: CONNECT
# with the will and credentials, subscriptions sent again at each connect, QoS 1 publishes sent again with
# DUP after a reconnect, keepalive PINGREQ and a dead broker noticed, exponential backoff with jitter,
# bounded output, malformed input dropping the connection (never raising). Plain asserts: both interpreters.
from net import mqtt
from net.client import BACKOFF_MAX_MS, MAX_INFLIGHT, MAX_OUT, Client

from host_tests.net_fakes import Clock, FakeLink, Loop, Opener


def _client(links, **kw):
    clk = Clock(1000)
    op = Opener(links)
    c = Client(op, "evse-t", clk, kw.pop("keepalive_s", 60), "u", "p", ("e/availability", "offline", True, 1), **kw)
    return c, op, clk


def test_connect_subscribe_and_publish_on_a_good_broker():
    lk = FakeLink()
    c, op, clk = _client([lk])
    c.subscribe("e/set/+")
    ups = []
    c.on_connect = lambda: ups.append(clk.t)
    L = Loop([c.run()], clk).until(1500)
    assert c.state == "up" and c.connects == 1 and len(ups) == 1
    assert lk.kinds()[:2] == [mqtt.CONNECT, mqtt.SUBSCRIBE]
    f, body = lk.sent[0]
    assert body[7] == 0x80 | 0x40 | 0x20 | 0x08 | 0x04 | 0x02  # user, password, will (retained, QoS 1), clean
    assert c.publish("e/x", "1") and c.publish("e/y", "2", True, 1)
    L.until(1600)
    assert ("e/y", b"2", 1, True, False) in lk.publishes() and ("e/x", b"1", 0, False, False) in lk.publishes()


def test_a_refused_connect_is_an_error_and_the_backoff_doubles_with_jitter_up_to_the_cap():
    links = [FakeLink(connack=5) for _ in range(40)]
    c, op, clk = _client(links)

    Loop([c.run()], clk).until(1000 + 400000)
    assert c.connects == 0 and c.error == "OSError refused: not authorised", c.error
    made = len(op.made)
    # waits of 0.5..1, 1..2, 2..4 ... then 30..60 s: in 400 s about 12 attempts, surely not 50
    assert 8 <= made <= 16, made
    assert c.backoff_ms == BACKOFF_MAX_MS


def test_a_broker_that_never_answers_is_given_up_after_10_s():
    c, op, clk = _client([FakeLink(connack=None)])
    made = []  # when the attempt began (the opener's call), and when it was given up
    real = op.__call__

    class _Timed:
        def __call__(self, heavy_ok):
            made.append(clk.t)
            return real(heavy_ok)

    c._opener = _Timed()
    L = Loop([c.run()], clk)
    t = 1000
    while c.error is None and t < 1000 + 30000:
        t += 10
        L.until(t)
    assert made and c.error == "OSError no CONNACK" and op.made[0].closed and c.state == "wait", (made, c.error)
    assert 10000 <= t - made[0] <= 10000 + 2 * 20, (made, t)  # CONNECT_MS after the attempt began, a poll or two


def test_keepalive_pings_and_a_dead_broker_is_noticed():
    lk = FakeLink()
    c, op, clk = _client([lk], keepalive_s=10)
    L = Loop([c.run()], clk).until(1000 + 8000)
    assert lk.kinds().count(mqtt.PINGREQ) == 1  # 7.5 s idle: a PINGREQ, no PINGRESP yet ...
    L.until(1000 + 17600)
    # ... and none came within 10 s of it (sent at 8.5 s): the connection is dropped, tried again later
    assert lk.closed and c.error == "OSError no PINGRESP" and c.state == "wait", c.error


def test_pingresp_keeps_the_connection():
    lk = FakeLink()
    c, op, clk = _client([lk], keepalive_s=10)

    n = [0]  # PINGRESPs sent (MicroPython functions take no attributes)

    def answer(t):
        if lk.kinds().count(mqtt.PINGREQ) > n[0]:
            n[0] += 1
            lk.inbox.extend(b"\xd0\x00")

    Loop([c.run()], clk, answer).until(1000 + 60000)
    assert not lk.closed and c.connects == 1 and n[0] >= 6


def test_qos1_publishes_without_puback_go_again_with_dup_after_a_reconnect_and_subscriptions_too():
    a, b = FakeLink(), FakeLink()
    c, op, clk = _client([a, b])
    c.subscribe("e/set/+")
    L = Loop([c.run()], clk).until(1200)
    assert c.publish("e/availability", "online", True, 1)
    L.until(1300)
    a.fail = "broker restarted"
    L.until(4000)
    assert c.connects == 2 and b.kinds()[:2] == [mqtt.CONNECT, mqtt.SUBSCRIBE]
    assert ("e/availability", b"online", 1, True, True) in b.publishes(), b.publishes()
    # a PUBACK ends it
    pid = b.sent[-1][1][2 + len("e/availability"):][:2]
    b.inbox.extend(b"\x40\x02" + pid)
    L.until(4100)
    assert c._inflight == {}


def test_output_is_bounded_and_publishes_are_refused_when_down_or_full():
    lk = FakeLink(write_max=0)  # a broker that takes nothing: the buffer fills
    c, op, clk = _client([lk])
    assert not c.publish("e/x", "1")  # not connected yet
    lk.write_max = 100000
    L = Loop([c.run()], clk).until(1100)
    lk.write_max = 0
    n = 0
    while c.publish("e/status", "x" * 100):
        n += 1
    assert n <= MAX_OUT // 100 and len(c._out) <= MAX_OUT and c.refused >= 2
    ok = 0
    for i in range(10):
        ok += 1 if c.publish("e/q", "", False, 1) else 0
    assert ok <= MAX_INFLIGHT and len(c._out) <= MAX_OUT  # small ones fit, but only so many in flight


def test_malformed_input_drops_the_connection_counts_it_and_the_client_comes_back():
    a, b = FakeLink(), FakeLink()
    c, op, clk = _client([a, b])
    got = []
    c.on_message = lambda t, p, r: got.append((t, p))
    L = Loop([c.run()], clk).until(1200)
    a.inbox.extend(mqtt.publish("e/set/x", "1") + b"\x30\x04\x00\x09ab")
    L.until(5000)
    assert got == [("e/set/x", b"1")] and c.malformed == 1 and a.closed and c.connects == 2


def test_a_handler_that_raises_does_not_drop_the_connection():
    lk = FakeLink()
    c, op, clk = _client([lk])

    def boom(t, p, r):
        raise ValueError("handler bug")

    c.on_message = boom
    L = Loop([c.run()], clk).until(1200)
    lk.inbox.extend(mqtt.publish("e/set/x", "1", 1, False, 5))
    L.until(1400)
    assert not lk.closed and (0x40, b"\x00\x05") in lk.sent  # and the QoS 1 message was acknowledged


def test_the_backoff_starts_again_from_1_s_after_a_connection_that_was_up():
    links = [FakeLink(connack=5) for _ in range(5)] + [FakeLink()]
    c, op, clk = _client(links)
    L = Loop([c.run()], clk).until(1000 + 60000)
    assert c.connects == 1 and c.backoff_ms >= 16000
    op.made[-1].fail = "broker gone"
    L.until(1000 + 60100)
    assert c.backoff_ms == 2000 and c.state == "wait"  # 0.5..1 s now, then doubling again


def test_a_ping_outstanding_when_a_connection_died_does_not_count_against_the_next():
    a, b = FakeLink(), FakeLink()
    c, op, clk = _client([a, b], keepalive_s=10)
    L = Loop([c.run()], clk).until(1000 + 8000)  # a PINGREQ went, no answer yet
    assert c._t_ping is not None
    a.fail = "broker gone"
    L.until(1000 + 10500)
    assert c.connects == 2 and c.state == "up"
    L.until(1000 + 10500 + 7000)  # the new connection is 7 s old: no PINGRESP is missing yet
    assert not b.closed and c.connects == 2, c.error


class _Sock:
    def setblocking(self, b):
        pass

    def connect(self, a):
        raise OSError(115)  # EINPROGRESS, as a non-blocking connect answers

    def close(self):
        pass


class _SocketModule:
    AF_INET = 2
    SOCK_STREAM = 1

    def __init__(self):
        self.lookups = []

    def getaddrinfo(self, host, port, af=0, kind=0):
        self.lookups.append(host)
        return [(2, 1, 6, "", ("10.0.0.9", port))]

    def socket(self, af, kind):
        return _Sock()


class _Poll:
    def register(self, s, ev):
        pass

    def poll(self, t):
        return []


class _SelectModule:
    @staticmethod
    def poll():
        return _Poll()


def test_the_broker_is_looked_up_only_while_the_contactor_is_open_and_the_address_cached():
    from net.task import Opener

    sm = _SocketModule()
    quiet = [False]
    op = Opener(sm, _SelectModule, "broker.lan", 1883, None, lambda: quiet[0])
    assert op(True) is None and sm.lookups == []  # charging, no address yet: wait, no DNS
    quiet[0] = True
    lk = op(True)
    assert lk is not None and sm.lookups == ["broker.lan"]
    lk._tcp = True  # that one connected
    quiet[0] = False
    assert op(True) is not None and sm.lookups == ["broker.lan"]  # charging: the cached address
    quiet[0] = True
    op.last._tcp = True
    op(True)
    assert sm.lookups == ["broker.lan"]  # the cached address works: no new lookup
    op(True)  # (the last link never connected)
    assert sm.lookups == ["broker.lan", "broker.lan"]
    num = Opener(sm, _SelectModule, "192.168.1.5", 1883, None, lambda: False)
    assert num(True) is not None  # a dotted address needs no DNS: allowed while charging
