# Console: commands, replies (text and JSON), PIN guard and lockout, byte-level line editing.
# Plain asserts: also runs under MicroPython (tools/mptest.py).
import json

from evse import errcodes, faults, iodata, settings
from evse.console import PROMPT, Console
from evse.history import History
from evse.settings import Settings
from host_tests.fakes import FakeCharger, exists, remove, tmp_path


class Rig:
    """A console on a fake charger, settings and history in temp files, and a virtual clock."""

    def __init__(self, tag="con", charger=None):
        self.sp = tmp_path(tag + "-s")
        self.hp = tmp_path(tag + "-h")
        remove(self.sp, self.hp)
        self.t = 1000
        self.out = []
        self.reboots = 0
        self.settings = Settings(self.sp)
        self.settings.load()
        self.history = History(self.hp)
        self.history.load()
        self.ch = charger if charger is not None else FakeCharger(iodata.Config(), iodata.IO())
        self.settings.to_config(self.ch.config)
        self.con = Console(self.ch, self.settings, self.history, self.clock, self.out.append, self.reboot)

    def clock(self):
        return self.t

    def reboot(self):
        self.reboots += 1

    def do(self, line):
        return self.con.handle_line(line)

    def type(self, data, prompts=False):
        """Feed bytes; return what was written (without the prompts, unless prompts)."""
        self.out[:] = []
        for b in data:
            self.con.feed(b)
        out = "".join(self.out)
        return out if prompts else out.replace(PROMPT, "")

    def close(self):
        remove(self.sp, self.hp)


def _code(reply):
    assert reply.startswith("ERR "), reply
    return int(reply.split()[1])


def test_help_lists_every_command():
    r = Rig()
    rep = r.do("help")
    assert rep.startswith("OK ")
    for c in ("status", "get", "set", "settings", "save", "revert", "factory-reset", "enable", "disable",
              "sleep", "selftest", "faults", "log", "version", "reboot", "unlock", "lock", "reset", "json", "text"):
        assert "\n  " + c in rep, c


def test_unknown_command_is_err_1_and_empty_line_is_silent():
    r = Rig()
    assert _code(r.do("frobnicate")) == errcodes.UNKNOWN_COMMAND
    assert r.do("") == ""
    assert r.do("   \t ") == ""


def test_commands_are_case_insensitive_and_tabs_separate():
    r = Rig()
    assert r.do("GET\tmax_current_a") == "OK max_current_a=32"
    assert r.do("Get MAX_CURRENT_A") == "OK max_current_a=32"


def test_status_reports_state_pilot_contactor_faults_temperature_limits_uptime():
    r = Rig()
    ch = r.ch
    ch.state = iodata.ST_C2
    ch.io.pilot = iodata.PILOT_PWM
    ch.io.duty = 533
    ch.offered_ma = 32000
    ch.cable_ma = 32000
    ch.io.relay = True
    ch.io.temp_dc = 245
    ch.faults = (1 << faults.DIODE) | (1 << faults.RELAY_WELDED)
    ch.latched = 1 << faults.RELAY_WELDED
    r.history.observe(3723000, ch)
    rep = r.do("status long")
    for part in ("state=C2", "pilot=pwm", "duty=53.3%", "offer=32.0A", "contactor=closed",
                 "faults=diode,relay_welded", "latched=relay_welded", "temp=24.5C", "cable=32.0A",
                 "limit=32.0A", "enabled=yes", "sleeping=no", "uptime=1:02:03"):
        assert part in rep.split(), (part, rep)
    r.do("json")
    j = json.loads(r.do("status"))
    assert j["state"] == "C2" and j["duty_permille"] == 533 and j["offered_ma"] == 32000
    assert j["faults"] == ["diode", "relay_welded"] and j["latched"] == ["relay_welded"]
    assert j["temp_dc"] == 245 and j["uptime_s"] == 3723 and j["contactor"] == "closed"


def test_status_without_pwm_sensor_or_cable():
    r = Rig()
    r.ch.io.pilot = iodata.PILOT_P12
    r.ch.io.temp_dc = iodata.TEMP_NONE
    rep = r.do("status long")
    assert "duty=-" in rep and "temp=none" in rep and "cable=none" in rep and "faults=none" in rep
    r.ch.io.temp_dc = -55
    assert "temp=-5.5C" in r.do("status long")


def test_get_and_set_every_setting():
    r = Rig()
    for name, value, shown in (("max_current_a", "40", "40"), ("ventilation", "on", "true"),
                               ("socket", "type2", "type2"), ("pp_sense", "yes", "true"),
                               ("cable_current_a", "20", "20"), ("temp_stop_c", "85", "85"),
                               ("temp_derate_c", "70", "70"), ("console_echo", "off", "false"),
                               ("pin", "2468", "****")):
        rep = r.do("set %s %s" % (name, value))
        assert rep.startswith("OK %s=%s" % (name, shown)), rep
        assert r.do("get " + name) == "OK %s=%s" % (name, shown)
    r.close()


def test_set_applies_to_the_charger_at_once_but_persists_only_on_save():
    r = Rig()
    try:
        n = r.ch.applied
        assert r.do("set max_current_a 16") == "OK max_current_a=16 unsaved"
        assert r.ch.config.max_current_ma == 16000 and r.ch.applied == n + 1
        assert not exists(r.sp)
        assert r.do("save") == "OK saved"
        s2 = Settings(r.sp)
        s2.load()
        assert s2.values["max_current_a"] == 16
        assert r.do("set max_current_a 16") == "OK max_current_a=16"  # equal to the saved value
    finally:
        r.close()


def test_set_reports_the_board_cap():
    r = Rig()
    r.ch.config.board_max_ma = 20000
    rep = r.do("set max_current_a 40")
    assert rep == "OK max_current_a=40 unsaved (board limit 20.0A applies)", rep
    assert r.ch.config.max_current_ma == 20000
    r.do("json")
    j = json.loads(r.do("set max_current_a 10"))
    assert j == {"ok": True, "name": "max_current_a", "value": 10, "saved": False, "effective_ma": 10000}


def test_set_errors_have_their_codes_and_change_nothing():
    r = Rig()
    before = dict(r.settings.values)
    n = r.ch.applied
    for line, code in (("set", errcodes.USAGE), ("set max_current_a", errcodes.USAGE),
                       ("set max_current_a 1 2", errcodes.USAGE), ("set bogus 1", errcodes.UNKNOWN_SETTING),
                       ("set max_current_a x", errcodes.BAD_VALUE), ("set max_current_a 90", errcodes.OUT_OF_RANGE),
                       ("set temp_derate_c 80", errcodes.CONFLICT), ("get", errcodes.USAGE),
                       ("get bogus", errcodes.UNKNOWN_SETTING), ("status now", errcodes.USAGE)):
        assert _code(r.do(line)) == code, line
    assert r.settings.values == before and r.ch.applied == n


def test_settings_lists_each_with_type_range_unit_default_and_value_sorted():
    r = Rig()
    r.do("set max_current_a 20")
    lines = r.do("settings").split("\n")
    assert lines[0] == "OK %d settings (unsaved changes)" % len(settings.SCHEMA)
    names = [ln.split()[0] for ln in lines[1:]]
    assert names == sorted(names) and len(names) == len(settings.SCHEMA)
    row = [ln for ln in lines if ln.split()[0] == "max_current_a"][0].split()
    assert row[1:4] == ["int", "6..80", "A"] and "default=32" in row and "value=20" in row
    r.do("json")
    j = json.loads(r.do("settings"))
    assert [s["name"] for s in j["settings"]] == names
    pin = [s for s in j["settings"] if s["name"] == "pin"][0]
    assert pin["value"] == "" and pin["type"] == "pin"
    sock = [s for s in j["settings"] if s["name"] == "socket"][0]
    assert sock["choices"] == ["tethered", "type2"] and sock["default"] == "tethered"


def test_revert_and_factory_reset():
    r = Rig()
    try:
        r.do("set max_current_a 20")
        r.do("save")
        r.do("set max_current_a 40")
        assert r.do("revert").startswith("OK")
        assert r.settings.values["max_current_a"] == 20 and r.ch.config.max_current_ma == 20000
        assert r.do("factory-reset").startswith("OK")
        assert r.settings.values["max_current_a"] == 32 and r.ch.config.max_current_ma == 32000
        s2 = Settings(r.sp)
        s2.load()
        assert s2.values["max_current_a"] == 32
    finally:
        r.close()


def test_save_failure_is_err_13():
    r = Rig()
    r.settings.path = "/nonexistent-dir-evse/settings.json"
    assert _code(r.do("save")) == errcodes.STORAGE
    r.do("set max_current_a 20")
    assert _code(r.do("factory-reset")) == errcodes.STORAGE
    assert r.settings.values["max_current_a"] == 20


def test_enable_disable_sleep_selftest_reset_drive_the_charger():
    r = Rig()
    ch = r.ch
    assert r.do("disable") == "OK disabled" and ch.enabled is False
    assert r.do("enable") == "OK enabled" and ch.enabled is True
    assert r.do("sleep") == "OK sleeping" and ch.sleeping is True
    assert r.do("selftest") == "OK selftest started"
    ch.selftest_ok = False
    assert _code(r.do("selftest")) == errcodes.REFUSED
    ch.faults = (1 << faults.RELAY_WELDED) | (1 << faults.NO_GROUND)
    ch.latched = 1 << faults.RELAY_WELDED
    assert r.do("reset") == "OK faults reset, active=no_ground"
    assert ch.calls == ["disable", "enable", "sleep", "selftest", "selftest", "reset"]


def test_faults_shows_active_and_history_with_counters_and_times():
    r = Rig()
    ch = r.ch
    ch.faults = 1 << faults.GFCI_TRIP
    r.history.observe(5000, ch)
    ch.faults = 0
    r.history.observe(6000, ch)
    ch.faults = 1 << faults.GFCI_TRIP
    ch.latched = 1 << faults.GFCI_TRIP
    r.history.observe(3605000, ch)
    rep = r.do("faults")
    assert rep.split("\n")[0] == "OK active=gfci_trip latched=gfci_trip"
    assert "gfci_trip" in rep and "count=2 first=b1+0:00:05 last=b1+1:00:05" in rep
    r.do("json")
    j = json.loads(r.do("faults"))
    assert j["history"] == [{"name": "gfci_trip", "count": 2, "first_boot": 1, "first_ms": 5000,
                             "last_boot": 1, "last_ms": 3605000}]
    r2 = Rig()
    assert r2.do("faults") == "OK active=none latched=none\n  no faults recorded"


def test_log_shows_sessions_newest_first():
    r = Rig()
    ch = r.ch
    h = r.history
    ch.state = iodata.ST_C2
    ch.io.relay = True
    ch.offered_ma = 16000
    h.observe(60000, ch)
    ch.state = iodata.ST_A
    ch.io.relay = False
    h.observe(60000 + 3600000, ch)
    ch.state = iodata.ST_C2
    ch.io.relay = True
    ch.offered_ma = 0
    h.observe(4000000, ch)
    lines = r.do("log").split("\n")
    assert lines[0] == "OK 2 sessions, this is boot 1"
    assert lines[1].split()[2] == "now"
    assert lines[2].split() == ["b1+0:01:00", "..", "b1+1:01:00", "dur=1:00:00", "max=16.0A", "energy=-",
                                "end=unplug"]
    r.do("json")
    j = json.loads(r.do("log"))
    assert j["sessions"][1] == {"boot": 1, "start_ms": 60000, "end_ms": 3660000, "duration_s": 3600,
                                "max_ma": 16000, "status": "done", "energy_wh": None, "end": "unplug"}
    assert j["sessions"][0]["status"] == "active" and j["sessions"][0]["end"] is None


def test_version():
    r = Rig()
    rep = r.do("version")
    assert rep.startswith("OK evse ")
    r.do("json")
    j = json.loads(r.do("version"))
    assert set(j) == set(["ok", "firmware", "python", "python_version"])


def test_reboot_runs_after_the_reply_is_written():
    r = Rig()
    seen = []

    def reboot():
        seen.append("".join(r.out))

    r.con = Console(r.ch, r.settings, r.history, r.clock, r.out.append, reboot)
    r.type(b"reboot\r")
    assert seen and seen[0].endswith("OK rebooting\r\n" + PROMPT)  # the reply, then the reboot
    assert r.do("reboot") == "OK rebooting" and len(seen) == 2


def test_json_mode_one_line_per_reply_with_stable_key_order():
    r = Rig()
    assert r.do("json") == '{"ok": true, "mode": "json"}'
    assert r.do("get socket") == '{"ok": true, "name": "socket", "value": "tethered"}'
    assert r.do("bogus") == '{"ok": false, "code": 1, "error": "unknown command, try help"}'
    for line in ("help", "status", "settings", "faults", "log", "version", "set max_current_a 20", "get pin",
                 "set max_current_a 200", "unlock 1234", "lock", "sleep", "x" * 130):
        rep = r.do(line)
        assert "\n" not in rep, line
        j = json.loads(rep)
        assert rep.startswith('{"ok": ')
        assert (j["ok"] is True) or (rep.startswith('{"ok": false, "code": ') and "error" in j)
        assert r.do(line) == rep or line.startswith("set")  # same reply twice: stable order
    assert r.do("text") == "OK text"
    assert r.do("get socket") == "OK socket=tethered"


def test_pin_guards_every_write_and_reads_stay_open():
    r = Rig()
    assert r.do("set pin 1234").startswith("OK")
    r.do("lock")
    for line in ("set max_current_a 20", "save", "revert", "factory-reset", "enable", "disable", "sleep",
                 "selftest", "reset", "reboot"):
        assert _code(r.do(line)) == errcodes.LOCKED, line
    assert r.ch.calls == [] and r.reboots == 0
    for line in ("status", "get max_current_a", "settings", "faults", "log", "version", "help"):
        assert r.do(line).startswith("OK"), line
    assert r.do("get pin") == "OK pin=****"
    assert r.do("unlock 1234") == "OK unlocked for 300 s"
    assert r.do("set max_current_a 20").startswith("OK")
    r.t += 299999
    assert r.do("enable") == "OK enabled"
    r.t += 1
    assert _code(r.do("enable")) == errcodes.LOCKED  # 5 minutes after unlock
    r.do("unlock 1234")
    assert r.do("lock") == "OK locked"
    assert _code(r.do("enable")) == errcodes.LOCKED


def test_without_a_pin_unlock_and_lock_are_harmless():
    r = Rig()
    assert r.do("unlock 1111") == "OK no PIN set"
    assert r.do("lock") == "OK no PIN set"
    assert r.do("enable") == "OK enabled"


def test_wrong_pins_lock_out_for_30_s_doubling():
    r = Rig()
    r.do("set pin 1234")
    r.do("lock")
    assert _code(r.do("unlock 1")) == errcodes.WRONG_PIN
    assert _code(r.do("unlock 2")) == errcodes.WRONG_PIN
    rep = r.do("unlock 3")
    assert _code(rep) == errcodes.WRONG_PIN and "30 s" in rep
    rep = r.do("unlock 1234")  # even the right one is refused now
    assert _code(rep) == errcodes.LOCKED_OUT and "wait 30 s" in rep
    r.t += 29999
    assert _code(r.do("unlock 1234")) == errcodes.LOCKED_OUT
    r.t += 1
    for pin in ("5", "6"):
        assert _code(r.do("unlock " + pin)) == errcodes.WRONG_PIN
    assert "60 s" in r.do("unlock 7")
    r.t += 59999
    assert _code(r.do("unlock 1234")) == errcodes.LOCKED_OUT
    r.t += 1
    assert r.do("unlock 1234").startswith("OK")
    r.do("lock")
    for pin in ("5", "6", "7"):
        rep = r.do("unlock " + pin)
    assert "30 s" in rep  # a success starts the doubling afresh


def test_lockout_is_capped():
    r = Rig()
    r.do("set pin 1234")
    r.do("lock")
    rep = ""
    for _ in range(12):
        for pin in ("5", "6", "7"):
            rep = r.do("unlock " + pin)
        r.t += 10 ** 8
    assert "3840 s" in rep


def test_set_pin_unlocks_whoever_set_it_and_none_clears_it():
    r = Rig()
    assert r.do("set pin 4321") == "OK pin=**** unsaved"
    assert r.do("save") == "OK saved"
    assert r.do("set pin none") == "OK pin=none unsaved"
    r.do("lock")
    assert r.do("enable") == "OK enabled"  # no PIN any more
    r.close()


def test_an_unexpected_exception_is_err_99_and_changes_nothing():
    class Broken(FakeCharger):
        def apply_config(self):
            raise ValueError("boom")

        def sleep(self):
            raise RuntimeError("boom")

    r = Rig(charger=Broken(iodata.Config(), iodata.IO()))
    before = dict(r.settings.values)
    assert r.do("set max_current_a 20") == "ERR 99 internal"
    assert r.settings.values == before and r.ch.config.max_current_ma == 32000
    assert r.do("sleep") == "ERR 99 internal"
    assert r.type(b"sleep\n") == "sleep\r\nERR 99 internal\r\n"
    r.ch.state = 42  # nonsense from a broken core
    assert r.do("status") == "ERR 99 internal"
    r.do("json")
    assert r.do("status") == '{"ok": false, "code": 99, "error": "internal"}'


def test_handle_line_takes_text_only():
    r = Rig()
    assert _code(r.con.handle_line(None)) == errcodes.USAGE
    assert _code(r.con.handle_line(b"status")) == errcodes.USAGE


def test_handle_line_checks_length_and_control_characters_too():
    r = Rig()
    assert _code(r.do("get " + "a" * 117)) == errcodes.LINE_TOO_LONG
    assert _code(r.do("get \x1b[A")) == errcodes.CONTROL_BYTE
    assert _code(r.do("get \x7f")) == errcodes.CONTROL_BYTE
    assert r.do("status\r\n").startswith("OK")


# ---- bytes typed one at a time


def test_typed_line_is_echoed_and_answered():
    r = Rig()
    assert r.type(b"get socket\r") == "get socket\r\nOK socket=tethered\r\n"


def test_crlf_ends_one_line_and_lf_alone_too():
    r = Rig()
    out = r.type(b"version\r\nversion\nversion\r")
    assert out.count("OK evse") == 3
    assert r.type(b"\r\n\r\n") == "\r\n\r\n"  # empty lines: no reply


def test_json_mode_does_not_echo():
    r = Rig()
    r.do("json")
    assert r.type(b"get socket\r") == '{"ok": true, "name": "socket", "value": "tethered"}\r\n'


def test_echo_can_be_switched_off():
    r = Rig()
    assert r.type(b"set console_echo off\r") == "set console_echo off\r\nOK console_echo=false unsaved\r\n"
    assert r.type(b"get socket\r") == "OK socket=tethered\r\n"


def test_backspace_and_del_edit_the_line():
    r = Rig()
    out = r.type(b"get sockx\x08et\x7f\x7fet\r")
    assert out.endswith("OK socket=tethered\r\n"), out
    assert "\b \b" in out
    assert r.type(b"\x08\x08status\r").startswith("status\r\nOK state=")  # BS on an empty line


def test_backspace_removes_a_whole_utf8_character():
    r = Rig()
    out = r.type("get socket\u00e9\u20ac\U0001f600".encode() + b"\x08\x08\x08\r")
    assert out.endswith("OK socket=tethered\r\n"), out


def test_line_longer_than_120_bytes_is_discarded_with_err_5():
    r = Rig()
    out = r.type(b"x" * 121 + b"\r")
    assert out.endswith("ERR 5 line too long\r\n")
    assert r.type(b"get socket\r").endswith("OK socket=tethered\r\n")  # the next line is fine
    out = r.type(b"get socket " + b" " * 109 + b"\r")  # exactly 120 bytes is allowed
    assert out.endswith("OK socket=tethered\r\n"), out


def test_control_bytes_give_an_err_when_the_line_ends():
    r = Rig()
    out = r.type(b"get \x1b[Asocket\r")
    assert out.endswith("ERR 8 control character 0x1b in line\r\n"), out  # the first one, named
    out = r.type(b"\x03\r")
    assert out.endswith("ERR 8 control character 0x03 (Ctrl-C) in line\r\n"), out
    assert r.type(b"get\tsocket\r").endswith("OK socket=tethered\r\n")  # TAB is allowed


def test_invalid_utf8_gives_err_9():
    r = Rig()
    for bad in (b"\xff", b"\xc3", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe0\x80\x80", b"\x80"):
        out = r.type(b"get " + bad + b"\r")
        assert out.endswith("ERR 9 invalid UTF-8\r\n"), bad
    out = r.type("get \u00e9t\u00e9\r".encode())
    assert out.endswith("ERR 3 unknown setting, see settings\r\n"), out


def test_feed_takes_any_int():
    r = Rig()
    for b in (-1, 256, 10 ** 20):
        r.con.feed(b)
    assert r.type(b"\r").endswith("ERR 8 control character in line (not a byte)\r\n")
    r.con.feed(None)
    assert r.type(b"\r").endswith("ERR 8 control character in line (not a byte)\r\n")


def test_a_broken_transport_does_not_break_the_console():
    r = Rig()

    def bad_write(s):
        raise OSError(5)

    con = Console(r.ch, r.settings, r.history, r.clock, bad_write)
    for b in b"set max_current_a 20\r":
        con.feed(b)
    assert r.settings.values["max_current_a"] == 20


def test_boot_banner_shows_load_warnings():
    p = tmp_path("warn")
    try:
        with open(p, "w") as f:
            f.write("{corrupt")
        s = Settings(p)
        s.load()
        out = []
        con = Console(FakeCharger(iodata.Config(), iodata.IO()), s, None, lambda: 0, out.append)
        con.start()
        text = "".join(out)
        assert text.startswith("EVSE ") and "\r\nWARN settings: " in text
        assert "warnings=1" in con.handle_line("status long")
        assert con.handle_line("log") == "OK 0 sessions, this is boot 0"  # no history: still answers
    finally:
        remove(p)


def test_with_the_real_charger():
    # The console drives evse.charger.Charger through exactly the interface above.
    from evse.charger import Charger, TICK_MS

    ch = Charger(iodata.Config(), iodata.IO())
    r = Rig(tag="real", charger=ch)
    t = 0
    for _ in range(20):
        ch.tick(t)
        t += TICK_MS
    assert "state=A" in r.do("status long").split()
    assert r.do("set max_current_a 16").startswith("OK")
    assert ch.config.max_current_ma == 16000
    assert r.do("disable") == "OK disabled"
    ch.tick(t)
    assert "state=F" in r.do("status long").split()
    assert r.do("enable") == "OK enabled"
    assert r.do("selftest").startswith("OK")
    assert r.do("reset").startswith("OK")


def test_prompt_after_the_banner_every_reply_and_an_empty_line():
    """Issue 10: a person sees the board is alive: a prompt after the banner, after each reply, and an
    empty line answers with a fresh prompt. Programs (json mode, or echo off) never get one."""
    r = Rig()
    r.out[:] = []
    r.con.start()
    assert "".join(r.out).endswith("type help\r\n" + PROMPT)
    assert r.type(b"\r", prompts=True) == "\r\n" + PROMPT
    assert r.type(b"get socket\r", prompts=True) == "get socket\r\nOK socket=tethered\r\n" + PROMPT
    r.do("json")
    assert PROMPT not in r.type(b"get socket\r\r", prompts=True)
    r.do("text")
    r.do("set console_echo off")
    assert r.type(b"get socket\r\r", prompts=True) == "OK socket=tethered\r\n"


def test_ctrl_u_clears_the_line_and_a_pending_error():
    r = Rig()
    out = r.type(b"get sock\x15get socket\r")
    assert out == "get sock" + "\b \b" * 8 + "get socket\r\nOK socket=tethered\r\n", repr(out)
    out = r.type("x\x1b\u00e9\x15get socket\r".encode())
    assert out.endswith("OK socket=tethered\r\n"), repr(out)  # the escape byte went with the line


def test_status_fits_80_columns_and_the_long_form_has_everything():
    """Issue 10: `status` fits an 80-column terminal, whatever the faults; `status long` keeps all."""
    r = Rig()
    ch = r.ch
    ch.state = iodata.ST_C2
    ch.io.pilot = iodata.PILOT_PWM
    ch.io.duty = 533
    ch.offered_ma = 32000
    ch.io.relay = True
    ch.io.temp_dc = 245
    r.history.observe(3723000, ch)
    rep = r.do("status")
    assert rep == "OK state=C2 offer=32.0A contactor=closed temp=24.5C up=1:02:03 faults=none", rep
    ch.faults = (1 << faults.COUNT) - 1  # every fault at once
    rep = r.do("status")
    assert len(rep) <= 80 and "faults=diode," in rep and ",+" in rep, rep
    shown = rep.split("faults=")[1].split(",")
    assert len(shown) - 1 + int(shown[-1][1:]) == faults.COUNT, rep  # names shown + the count of the rest
    assert "latched=" in r.do("status long") and "limit=" in r.do("status long")
    assert _code(r.do("status now")) == errcodes.USAGE
