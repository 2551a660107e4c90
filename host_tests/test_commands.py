# The command layer (evse/commands.py) on its own, as every front end will use it: callers, one
# authorisation check, the session rules, runtime limits, the staged save, the status snapshot, results.
# Plain asserts: also runs under MicroPython (tools/mptest.py).
from evse import errcodes, iodata
from evse.commands import COMMANDS, SESSION_LOCKED, Caller, Commands
from evse.settings import Settings, defaults
from host_tests.fakes import FakeCharger


class Rig:
    def __init__(self):
        self.t = 1000
        self.settings = Settings(path=None)
        self.ch = FakeCharger(iodata.Config(), iodata.IO())
        self.settings.to_config(self.ch.config)
        self.reboots = 0
        self.cmd = Commands(self.ch, self.settings, None, lambda: self.t, self._reboot)
        self.con = Caller("console")

    def _reboot(self):
        self.reboots += 1

    def do(self, line, caller=None):
        return self.cmd.run(caller or self.con, line.split())


def test_every_command_answers_a_result_and_unknown_input_never_raises():
    r = Rig()
    for name, write, usage, hlp in COMMANDS:
        res = r.do(name)
        assert res.ok in (True, False) and isinstance(res.text, str) and isinstance(res.pairs, list), name
        assert res.ok or res.code in (errcodes.USAGE, errcodes.REFUSED, errcodes.STORAGE), (name, res.code)
    for words in ([], ["bogus"], ["set"], ["set", "nope", "1"], ["get", "pin", "x"]):
        res = r.cmd.run(r.con, words)
        assert not res.ok and res.code in (errcodes.USAGE, errcodes.UNKNOWN_COMMAND, errcodes.UNKNOWN_SETTING)


def test_installation_settings_refused_during_a_session_accepted_without():
    r = Rig()
    for name in SESSION_LOCKED:
        val = {"socket": "type2", "pp_sense": "on", "ventilation": "on", "cable_current_a": "16",
               "temp_derate_c": "60", "temp_stop_c": "80", "cal_cp_gain": "10100", "cal_cp_offset_mv": "-50"}[name]
        r.ch.state = iodata.ST_B1
        before = dict(r.settings.values)
        res = r.do("set %s %s" % (name, val))
        assert not res.ok and res.code == errcodes.SESSION and name in res.text, (name, res.text)
        assert r.settings.values == before
        r.ch.state = iodata.ST_A
        r.ch.io.relay = True  # A, but the contactor still closed: still a session
        assert r.do("set %s %s" % (name, val)).code == errcodes.SESSION, name
        r.ch.io.relay = False
        r.ch.io.relay_v = 1  # open, but the load side live (a weld being timed)
        assert r.do("set %s %s" % (name, val)).code == errcodes.SESSION, name
        r.ch.io.relay_v = 0
        assert r.do("set %s %s" % (name, val)).ok, name
    r.ch.state = iodata.ST_C2
    r.ch.io.relay = True
    assert r.do("set max_current_a 10").ok and r.ch.config.max_current_ma == 10000
    assert r.do("set console_echo off").ok


def test_pin_is_one_check_for_every_caller_and_the_lockout_is_shared():
    r = Rig()
    assert r.do("set pin 1234").ok  # the caller who set it is unlocked
    web = Caller("web")
    assert r.do("set max_current_a 10", web).code == errcodes.LOCKED  # another front end is not
    net = Caller("mqtt", pin=False)  # authenticated by its own transport
    assert r.do("set max_current_a 10", net).ok
    for i in range(2):
        assert r.do("unlock 0000", web).code == errcodes.WRONG_PIN
    assert r.do("unlock 0000", Caller("other")).code == errcodes.WRONG_PIN  # the third, from anywhere
    assert r.do("unlock 1234", web).code == errcodes.LOCKED_OUT  # locked out for every caller
    r.t += 30000
    assert r.do("unlock 1234", web).ok and r.do("set max_current_a 12", web).ok
    r.t += 300000
    assert r.do("set max_current_a 14", web).code == errcodes.LOCKED  # 5 minutes later


def test_runtime_limits_take_the_lowest_and_never_raise_above_the_setting():
    r = Rig()
    r.cmd.set_limit("ocpp", 10000)
    r.cmd.set_limit("mqtt", 16000)
    assert r.ch.config.runtime_ma == 10000
    r.cmd.set_limit("ocpp", None)
    assert r.ch.config.runtime_ma == 16000
    assert r.do("limit 6").ok and r.ch.config.runtime_ma == 6000  # the console's own source
    assert r.do("limit 81").code == errcodes.OUT_OF_RANGE and r.do("limit x").code == errcodes.BAD_VALUE
    assert r.do("limit none").ok and r.ch.config.runtime_ma == 16000
    r.cmd.set_limit("mqtt", None)
    assert r.ch.config.runtime_ma >= 80000
    assert r.ch.config.max_current_ma == 32000  # the setting is untouched by runtime limits


def test_save_is_staged_while_the_contactor_is_closed_with_the_values_of_that_moment():
    r = Rig()
    r.ch.state = iodata.ST_C2
    r.ch.io.relay = True
    assert r.do("set max_current_a 20").ok
    res = r.do("save")
    assert res.ok and ("pending", True) in res.pairs and r.settings.save_pending
    assert r.do("set max_current_a 25").ok
    assert not r.settings.flush(True) and r.settings.save_pending  # still closed: nothing written
    assert r.settings.flush(False) and not r.settings.save_pending
    assert r.settings.read()[0]["max_current_a"] == 20  # what was asked for, not what came after
    assert r.settings.values["max_current_a"] == 25 and r.settings.dirty()


def test_factory_reset_refused_in_a_session_if_it_changes_the_installation_else_staged():
    r = Rig()
    assert r.do("set socket type2").ok and r.do("save").ok
    r.ch.state = iodata.ST_C2
    r.ch.io.relay = True
    res = r.do("factory-reset")
    assert res.code == errcodes.SESSION and r.settings.values["socket"] == "type2"
    r.ch.state = iodata.ST_A
    r.ch.io.relay = False
    assert r.do("factory-reset").ok and r.settings.values == defaults() and not r.settings.save_pending
    assert r.do("set max_current_a 10").ok
    r.ch.state = iodata.ST_C2
    r.ch.io.relay = True
    res = r.do("factory-reset")  # only a current limit changes: allowed, its save staged
    assert res.ok and r.settings.save_pending and r.settings.values == defaults()


def test_reset_refused_with_the_contactor_closed_or_the_load_side_live():
    r = Rig()
    r.ch.latched = r.ch.faults = 1 << 7
    r.ch.io.relay_v = 1
    assert r.do("reset").code == errcodes.REFUSED and r.ch.latched
    r.ch.io.relay_v = 0
    assert r.do("reset").ok and not r.ch.latched


def test_an_unexpected_exception_restores_the_settings_and_answers_99():
    r = Rig()

    def broken():
        raise RuntimeError("boom")

    r.ch.apply_config = broken
    before = dict(r.settings.values)
    res = r.do("set max_current_a 10")
    assert not res.ok and res.code == errcodes.INTERNAL and r.settings.values == before


def test_snapshot_has_every_field_in_a_fixed_order():
    r = Rig()
    keys = [k for k, v in r.cmd.snapshot()]
    assert keys == ["state", "pilot", "duty_permille", "offered_ma", "contactor", "load_side", "faults", "latched",
                    "temp_dc", "limit_ma", "runtime_limit_ma", "cable_ma", "enabled", "sleeping", "session",
                    "save_pending", "uptime_s", "warnings", "meter", "meter_state", "power_w", "current_ma",
                    "session_wh", "total_wh"], keys
    r.ch.io.relay_v = 1
    assert dict(r.cmd.snapshot())["load_side"] == "live"


def test_reboot_runs_only_after_the_answer():
    r = Rig()
    res = r.do("reboot")
    assert res.ok and r.reboots == 0 and res.after is not None
    res.after()
    assert r.reboots == 1


def test_diag_shows_the_live_readings_and_the_boards_raw_ones_without_changing_anything():
    r = Rig()
    io = r.ch.io
    io.cp_high_mv = 5980
    io.cp_low_mv = -11950
    io.pp_ohm = 221
    io.relay_v = 1
    io.temp_dc = 312
    r.cmd = Commands(r.ch, r.settings, None, lambda: r.t, None,
                     lambda: [("cp_counts_high", 40000), ("sampler_isr_high", 7)])
    before = dict(r.settings.values)
    res = r.do("diag")
    d = dict(res.pairs)
    assert res.ok and d["cp_high_mv"] == 5980 and d["cp_low_mv"] == -11950 and d["pp_ohm"] == 221
    assert d["load_side"] == "live" and d["temp_dc"] == 312 and d["cp_counts_high"] == 40000
    assert "cp_high_mv=5980" in res.text and "sampler_isr_high=7" in res.text
    assert r.settings.values == before and not r.ch.calls
    io.cp_low_mv = iodata.NO_SAMPLE
    io.pp_ohm = iodata.PP_OPEN
    d = dict(r.do("diag").pairs)
    assert d["cp_low_mv"] is None and d["pp_ohm"] is None
