# Issue 12: the text and secret setting types (WiFi and MQTT): length limits, a safe character set, "none"
# to clear, validated like the others; a secret is never shown by `get`, `settings`, JSON or a load warning.
# Plain asserts: CPython and MicroPython.
from evse import errcodes, settings
from evse.settings import Settings

from host_tests.test_commands import Rig


def _cmd():
    r = Rig()
    return r.cmd, r.con


def test_text_settings_take_their_characters_and_lengths_only():
    s = Settings(path=None)
    assert s.set("mqtt_host", "broker.lan") == (True, 0, "broker.lan")
    assert s.set("mqtt_host", "192.168.1.20")[0]
    ok, code, msg = s.set("mqtt_host", "bro ker")
    assert not ok and code == errcodes.BAD_VALUE and s.get("mqtt_host") == "192.168.1.20", msg
    ok, code, _ = s.set("mqtt_host", "x" * 65)
    assert not ok and code == errcodes.OUT_OF_RANGE
    assert s.set("mqtt_host", "none") == (True, 0, "none") and s.get("mqtt_host") == ""
    for bad in ("evse/+", "evse/#", "/evse", "evse/", "a//b", "é"):
        ok, code, _ = s.set("mqtt_prefix", bad)
        assert not ok and code == errcodes.BAD_VALUE and s.get("mqtt_prefix") == "", bad
    assert s.set("mqtt_prefix", "garage/evse-1")[0]
    assert s.set("wifi_ssid", "My Home 5G")[0] and s.get("wifi_ssid") == "My Home 5G"
    ok, code, _ = s.set("wifi_ssid", "x" * 33)
    assert not ok and code == errcodes.OUT_OF_RANGE
    ok, code, _ = s.set("wifi_ssid", "caf\u00e9")
    assert not ok and code == errcodes.BAD_VALUE
    ok, code, _ = s.set("wifi_ssid", "a\x01b")
    assert not ok and code == errcodes.BAD_VALUE


def test_a_wifi_password_is_8_to_63_printable_characters_and_never_shown():
    s = Settings(path=None)
    ok, code, _ = s.set("wifi_password", "short")
    assert not ok and code == errcodes.OUT_OF_RANGE
    ok, code, _ = s.set("wifi_password", "x" * 64)
    assert not ok and code == errcodes.OUT_OF_RANGE
    assert s.set("wifi_password", "correct horse") == (True, 0, "****")
    assert s.get("wifi_password") == "correct horse"  # the firmware itself needs it to join
    assert settings.show(settings.find("wifi_password"), "correct horse") == "****"
    assert s.set("wifi_password", "none") == (True, 0, "none") and s.get("wifi_password") == ""


def test_secrets_are_masked_by_get_set_settings_and_json_and_kept_out_of_warnings():
    c, who = _cmd()
    r = c.run(who, ["set", "mqtt_password", "s3cret-pass"])
    assert r.ok and "s3cret" not in r.text and ("value", "****") in r.pairs, (r.text, r.pairs)
    r = c.run(who, ["set", "wifi_password", "open", "sesame", "42"])  # words joined by one space
    assert r.ok and c.settings.get("wifi_password") == "open sesame 42"
    r = c.run(who, ["get", "mqtt_password"])
    assert r.ok and r.text == "mqtt_password=****" and ("value", "****") in r.pairs
    r = c.run(who, ["settings"])
    assert r.ok and "s3cret" not in r.text and "sesame" not in r.text
    from evse import jsonfmt

    assert "s3cret" not in jsonfmt.dumps(r.pairs[0][1]) and "sesame" not in jsonfmt.dumps(r.pairs[0][1])
    # a bad stored value is a warning that names the setting, never its value
    st = Settings(path=None)
    st.path = "/tmp/evse-settings-text.json"
    with open(st.path, "w") as f:
        f.write('{"schema": 1, "settings": {"wifi_password": "ab\\u0001cdefghij"}}')
    st.load()
    assert st.get("wifi_password") == "" and st.warnings == ["settings: bad wifi_password, default used"]


def test_set_takes_several_words_only_for_text_settings():
    c, who = _cmd()
    r = c.run(who, ["set", "max_current_a", "16", "17"])
    assert not r.ok and r.code == errcodes.USAGE
    r = c.run(who, ["set", "mqtt_host", "a", "b"])  # joined "a b": a space is not a host character
    assert not r.ok and r.code == errcodes.BAD_VALUE and c.settings.get("mqtt_host") == ""


def test_text_settings_round_trip_through_the_file():
    path = "/tmp/evse-settings-text2.json"
    st = Settings(path=path)
    st.set("wifi_ssid", "Home")
    st.set("wifi_password", "pa ss word")
    st.set("mqtt_port", "8883")
    assert st.save()
    st2 = Settings(path=path)
    st2.load()
    assert st2.warnings == [] and st2.get("wifi_ssid") == "Home" and st2.get("wifi_password") == "pa ss word"
    assert st2.get("mqtt_port") == 8883 and st2.get("mqtt_tls") is False and st2.get("ha_discovery") is True
