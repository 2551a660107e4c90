# Issue 12: the bridge between MQTT and the command layer (firmware/net/bridge.py): telemetry on change and
# at least every 30 s, the state letter on change, availability; commands only through Commands.run with the
# mqtt caller, bad payloads answered on <prefix>/error and changing nothing, a setting that turns commands
# off, a rate limit; discovery configs retained, and removed (empty) when discovery is off.
# Plain asserts: CPython and MicroPython.
import json

from evse import errcodes, iodata
from net import discovery
from net.bridge import BURST, Bridge

from host_tests.net_fakes import RecClient
from host_tests.test_commands import Rig

P = "evse/t"


def _bridge(commands_on=True, discovery_on=True, phases=1, pin=None):
    r = Rig()
    if pin:
        assert r.do("set pin %s" % pin).ok
    c = RecClient()
    clk = [0]
    b = Bridge(c, r.cmd, P, "evse_t", "pico", lambda: clk[0], phases, commands_on, discovery_on)
    c.on_connect()
    return r, c, b, clk


def _msg(c, what, payload):
    c.on_message(P + "/set/" + what, payload)


def test_availability_discovery_status_and_state_after_a_connect():
    r, c, b, clk = _bridge()
    for i in range(4):
        b.round(clk[0])
    assert c.pubs[0] == (P + "/availability", "online", True, 1)
    cfgs = [p for p in c.pubs if p[0].startswith("homeassistant/")]
    assert len(cfgs) == len(discovery.ENTITIES) and all(p[2] and p[3] == 1 for p in cfgs)
    empty = [p[0] for p in cfgs if p[1] == ""]
    assert sorted(empty) == ["homeassistant/sensor/evse_t/current_l2/config",
                             "homeassistant/sensor/evse_t/current_l3/config"]
    st = c.topics(P + "/status")
    assert len(st) == 1  # nothing changed in four rounds: one status
    s = json.loads(st[0][1])
    assert s["state"] == "A" and s["contactor"] == "open" and s["faults"] == [] and s["limit_a"] == 32
    assert s["offer_a"] == 0 and s["max_a"] == 32 and s["runtime_limit_a"] is None and s["power_w"] is None
    assert c.topics(P + "/state") == [(P + "/state", "A", True, 0)]
    assert c.subs == {P + "/set/+": 0}


def test_status_on_change_and_at_least_every_30_s_state_letter_on_change_only():
    r, c, b, clk = _bridge()
    b.round(0)
    r.ch.state = iodata.ST_B2
    r.ch.io.pilot = iodata.PILOT_PWM
    r.ch.offered_ma = 16500
    b.round(250)
    s = json.loads(c.topics(P + "/status")[-1][1])
    assert s["state"] == "B2" and s["offer_a"] == 16.5 and s["pilot"] == "pwm"
    assert [p[1] for p in c.topics(P + "/state")] == ["A", "B"]
    r.ch.state = iodata.ST_B1  # another B: the letter stays
    b.round(500)
    assert [p[1] for p in c.topics(P + "/state")] == ["A", "B"]
    n = len(c.topics(P + "/status"))
    for t in range(750, 30000, 250):
        b.round(t)
    assert len(c.topics(P + "/status")) == n
    b.round(30500)
    assert len(c.topics(P + "/status")) == n + 1


def test_a_changing_measurement_is_published_once_a_second_a_state_change_at_once():
    r, c, b, clk = _bridge()
    b.round(0)
    r.ch.io.temp_dc = 250
    for t in range(250, 5001, 250):
        r.ch.io.temp_dc += 1  # the temperature changes every round
        b.round(t)
    temps = c.topics(P + "/status")
    assert 5 <= len(temps) - 1 <= 6, len(temps)
    r.ch.state = iodata.ST_B2
    b.round(5250)  # 250 ms after the last: a state change goes at once
    assert json.loads(c.topics(P + "/status")[-1][1])["state"] == "B2"


def test_commands_go_through_the_command_layer_with_the_mqtt_caller_and_no_pin():
    r, c, b, clk = _bridge(pin="1234")  # the console's PIN does not guard MQTT writes
    _msg(c, "max_current", b"10")
    assert r.cmd._limits == {"mqtt": 10000} and r.ch.config.runtime_ma == 10000
    _msg(c, "max_current", b"12.0")  # HA's number may send a decimal
    assert r.cmd._limits == {"mqtt": 12000}
    _msg(c, "max_current", b"none")
    assert r.cmd._limits == {}
    _msg(c, "enabled", b"OFF")
    _msg(c, "enabled", b"on")
    _msg(c, "sleep", b"PRESS")
    assert r.ch.calls == ["disable", "enable", "sleep"]
    assert b.errors == 0 and b.commands == 6


def test_bad_payloads_change_nothing_and_are_answered_on_the_error_topic():
    r, c, b, clk = _bridge()
    cases = [("max_current", b"lots", errcodes.BAD_VALUE), ("max_current", b"81", errcodes.OUT_OF_RANGE),
             ("max_current", b"-3", errcodes.OUT_OF_RANGE), ("max_current", b"9" * 40, errcodes.LINE_TOO_LONG),
             ("enabled", b"maybe", errcodes.BAD_VALUE), ("enabled", b"\xff\x00", errcodes.BAD_VALUE),
             ("sleep", b"now", errcodes.BAD_VALUE), ("reboot", b"1", errcodes.UNKNOWN_COMMAND)]
    for what, payload, code in cases:
        before = dict(r.settings.values)
        _msg(c, what, payload)
        b.round(clk[0])
        e = json.loads(c.topics(P + "/error")[-1][1])
        assert e["topic"] == what and e["code"] == code, (what, payload, e)
        assert r.settings.values == before and r.cmd._limits == {} and r.ch.calls == [], (what, payload)
        clk[0] += 1000  # (not a flood)
    c.on_message("other/topic", b"1")  # not ours: ignored
    assert r.ch.calls == []


def test_a_retained_command_is_ignored_and_answered():
    r, c, b, clk = _bridge()
    c.on_message(P + "/set/enabled", b"OFF", True)  # left retained by someone: delivered at every connect
    b.round(0)
    e = json.loads(c.topics(P + "/error")[-1][1])
    assert e["code"] == errcodes.REFUSED and "retained" in e["error"] and r.ch.calls == []


def test_a_setting_turns_mqtt_commands_off():
    r, c, b, clk = _bridge(commands_on=False)
    assert c.subs == {}
    _msg(c, "enabled", b"OFF")
    b.round(0)
    e = json.loads(c.topics(P + "/error")[-1][1])
    assert e["code"] == errcodes.REFUSED and r.ch.calls == []
    cmd_cfgs = [p for p in c.pubs if "/number/" in p[0] or "/switch/" in p[0] or "/button/" in p[0]]
    assert len(cmd_cfgs) == 3 and all(p[1] == "" for p in cmd_cfgs)  # their entities are removed


def test_a_flood_is_rate_limited_to_a_burst_then_5_a_second_and_answered_once_a_round():
    r, c, b, clk = _bridge()
    for i in range(1000):  # 1000 commands within one millisecond
        _msg(c, "max_current", str(6 + i % 10).encode())
    assert b.commands == BURST and b.dropped == 1000 - BURST
    b.round(0)
    errs = c.topics(P + "/error")
    assert len(errs) == 1 and json.loads(errs[0][1])["code"] == errcodes.RATE_LIMITED
    ran = b.commands
    for t in range(1, 10001):  # then 1000 a second for 10 s
        clk[0] = t
        _msg(c, "max_current", b"16")
        if t % 250 == 0:
            b.round(t)
    assert b.commands - ran <= 10000 // 200 + 1, b.commands
    assert len(c.topics(P + "/error")) <= 1 + 10000 // 250


def test_discovery_off_removes_every_config():
    r, c, b, clk = _bridge(discovery_on=False)
    b.round(0)
    cfgs = [p for p in c.pubs if p[0].startswith("homeassistant/")]
    assert len(cfgs) == len(discovery.ENTITIES) and all(p[1] == "" and p[2] for p in cfgs)


def test_a_full_buffer_paces_discovery_and_nothing_is_lost():
    r, c, b, clk = _bridge(phases=3)
    c.full = True
    b.round(0)
    assert c.pubs == []
    c.full = False
    b.round(250)
    cfgs = [p for p in c.pubs if p[0].startswith("homeassistant/")]
    assert len(cfgs) == len(discovery.ENTITIES) and not [p for p in cfgs if p[1] == ""]
    c.state = "down"
    b.round(500)  # no publishing while the client is down, and no exception
    assert len(c.pubs) == len(cfgs) + 3
