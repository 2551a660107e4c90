# Issue 12: the MQTT 3.1.1 packets (firmware/net/mqtt.py): what the client builds is what the standard
# lays out, and every packet from the broker is length-checked: a malformed one raises ProtocolError (the
# client drops the connection), an oversize PUBLISH is skipped without being held. Plain asserts: CPython and
# MicroPython.
from net import mqtt
from net.mqtt import Parser, ProtocolError


def _raises(data):
    p = Parser()
    try:
        p.feed(data)
        while p.next() is not None:
            pass
    except ProtocolError:
        return True
    return False


def test_connect_has_the_3_1_1_header_flags_keepalive_will_and_credentials():
    p = mqtt.connect("evse-1", 60, "user", "pw", ("evse/1/availability", "offline", True, 1))
    assert p[0] == 0x10 and p[1] == len(p) - 2
    assert p[2:9] == b"\x00\x04MQTT\x04"  # 3.1.2.1-2: protocol name, level 4
    assert p[9] == 0x80 | 0x40 | 0x20 | 0x08 | 0x04 | 0x02  # user, password, will retain, will QoS 1, will, clean
    assert p[10:12] == b"\x00\x3c"
    assert p[12:20] == b"\x00\x06evse-1"
    q = mqtt.connect("x", 0)
    assert q[9] == 0x02 and q.endswith(b"\x00\x01x")


def test_publish_subscribe_puback_round_trip_through_the_parser():
    p = mqtt.publish("a/b", "hello", qos=1, retain=True, pid=7)
    assert p[0] == 0x33
    k = mqtt.check(p[0] >> 4, p[0] & 15, p[2:])
    assert (k.topic, k.pid, k.qos, k.retain, k.payload) == ("a/b", 7, 1, True, b"hello")
    big = mqtt.publish("t", b"x" * 200)
    assert big[1] & 0x80 and big[2] == 1  # 203 bytes: two length bytes, lowest 7 bits first
    s = mqtt.subscribe(3, [("evse/1/set/+", 0)])
    assert s[0] == 0x82 and s[2:4] == b"\x00\x03" and s.endswith(b"evse/1/set/+\x00")
    assert mqtt.puback(258) == b"\x40\x02\x01\x02"


def test_the_parser_takes_packets_split_and_joined_in_any_way():
    stream = b"\x20\x02\x00\x00" + mqtt.publish("a/b", "1", 1, False, 9)[:] + b"\xd0\x00" + b"\x90\x03\x00\x01\x00"
    for cut in range(1, len(stream)):
        p = Parser()
        got = []
        for part in (stream[:cut], stream[cut:]):
            p.feed(part)
            while True:
                k = p.next()
                if k is None:
                    break
                got.append(k.kind)
        assert got == [mqtt.CONNACK, mqtt.PUBLISH, mqtt.PINGRESP, mqtt.SUBACK], (cut, got)


def test_malformed_packets_raise_protocol_error():
    bad = [
        b"\x20\x03\x00\x00\x00",  # CONNACK of 3 bytes
        b"\x20\x02\x02\x00",  # CONNACK reserved flag bits
        b"\x21\x02\x00\x00",  # flags on a CONNACK
        b"\x30\xff\xff\xff\xff\x01",  # remaining length of 5 bytes
        b"\x40\x03\x00\x01\x00",  # PUBACK of 3
        b"\x90\x02\x00\x01",  # SUBACK without a return code
        b"\x90\x03\x00\x01\x05",  # SUBACK return code 5
        b"\xd0\x01\x00",  # PINGRESP with a body
        b"\x10\x00",  # CONNECT from the broker
        b"\xf0\x00",  # reserved type 15
        b"\x00\x00",  # reserved type 0
        b"\x30\x01\x00",  # PUBLISH without a whole topic length
        b"\x30\x04\x00\x09ab",  # topic longer than the packet
        b"\x30\x02\x00\x00",  # empty topic
        b"\x36\x05\x00\x01a\x00\x01",  # QoS 3
        b"\x34\x05\x00\x01a\x00\x01",  # QoS 2: never subscribed to
        b"\x32\x05\x00\x01a\x00\x00",  # QoS 1 packet id 0
        b"\x32\x03\x00\x01a",  # QoS 1 without a packet id
        b"\x30\x04\x00\x02\xff\xfe",  # topic not UTF-8
        b"\x30\x04\x00\x02a#",  # wildcard in a received topic
        b"\x90\x82\x10",  # a SUBACK of 2050 bytes: over the limit, not a PUBLISH
    ]
    for b in bad:
        assert _raises(b), b
    assert not _raises(b"\x20\x02\x01\x00")  # session present is allowed


def test_an_oversize_publish_is_skipped_without_being_held_and_the_next_packet_still_comes():
    huge = mqtt.publish("evse/1/set/max_current", b"9" * 5000)
    p = Parser()
    got = []
    data = huge + b"\xd0\x00"
    for i in range(0, len(data), 300):
        p.feed(data[i:i + 300])
        assert len(p.buf) <= mqtt.MAX_IN + 5
        while True:
            k = p.next()
            if k is None:
                break
            got.append(k.kind)
    assert got == [mqtt.PINGRESP] and p.skipped == 1


def test_random_bytes_never_raise_anything_but_protocol_error():
    seed = 1
    for n in range(300):
        data = bytearray()
        for i in range(1 + n % 40):
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            data.append(seed >> 16 & 0xFF)
        p = Parser()
        try:
            p.feed(bytes(data))
            while p.next() is not None:
                pass
        except ProtocolError:
            pass
