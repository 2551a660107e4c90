# Fuzzing the console: random lines (handle_line) and random bytes (feed) never raise, replies keep
# their shape (OK / ERR <code> / one JSON line), and no setting changes unless the reply was OK.
import json
import os
import re
import shutil
import tempfile

from hypothesis import HealthCheck, event, given, settings as hsettings, strategies as st

from evse import iodata, settings as S
from evse.console import PROMPT, Console
from evse.history import History
from evse.settings import Settings
from host_tests.fakes import FakeCharger

EXAMPLES = 2500  # per property (the brief asks for at least 2000)
RUNS = {"lines": 0, "json_lines": 0, "bytes": 0}
_DIR = tempfile.mkdtemp(prefix="evse-fuzz-")

_ERR = re.compile(r"ERR [0-9]+ [^\n]+$")
_CMDS = ["help", "status", "get", "set", "settings", "save", "revert", "factory-reset", "enable", "disable",
         "sleep", "selftest", "faults", "log", "version", "reboot", "unlock", "lock", "reset", "json", "text"]
_NAMES = [s.name for s in S.SCHEMA]
_VALUES = ["0", "1", "6", "16", "32", "80", "81", "-1", "on", "off", "true", "type2", "tethered", "none",
           "1234", "12345678", "123", "99", "65", "75", "3.5", "", "TYPE2", "\u00e9", "1e3"]

_word = st.one_of(st.sampled_from(_CMDS), st.sampled_from(_NAMES), st.sampled_from(_VALUES),
                  st.text(max_size=12))
_sep = st.sampled_from([" ", "  ", "\t", " \t"])


@st.composite
def _grammar_line(draw):
    words = draw(st.lists(_word, min_size=1, max_size=4))
    sep = draw(_sep)
    return sep.join(words)


@st.composite
def _write_line(draw):
    """Lines that can change something: set with plausible values, save/revert/reset, unlock, lock."""
    kind = draw(st.sampled_from(["set", "set", "set", "other"]))
    if kind == "other":
        return draw(st.sampled_from(["save", "revert", "factory-reset", "unlock 1234", "unlock 0000", "lock",
                                     "set pin 1234", "set pin none", "json", "text"]))
    sep = draw(_sep)
    return sep.join(["set", draw(st.sampled_from(_NAMES)), draw(st.sampled_from(_VALUES))])


_line = st.one_of(_write_line(), _write_line(), _grammar_line(), st.text(max_size=140), st.sampled_from(_CMDS))


class Rig:
    def __init__(self):
        d = tempfile.mkdtemp(dir=_DIR)
        self.settings = Settings(os.path.join(d, "settings.json"))
        self.settings.load()
        self.history = History(os.path.join(d, "history.json"))
        self.ch = FakeCharger(iodata.Config(), iodata.IO())
        self.settings.to_config(self.ch.config)
        self.t = 0
        self.writes = []
        self.reboots = 0
        self.con = Console(self.ch, self.settings, self.history, lambda: self.t, self.writes.append,
                           self._reboot)

    def _reboot(self):
        self.reboots += 1

    def snapshot(self):
        c = self.ch.config
        return (dict(self.settings.values), c.max_current_ma, c.ventilation, c.socket, c.pp_sense,
                c.cable_ma, c.temp_derate_dc, c.temp_restore_dc, c.temp_stop_dc)


def _ok(reply):
    return reply.startswith("OK") or reply.startswith('{"ok": true')


def _check_shape(reply, json_mode):
    assert isinstance(reply, str)
    if reply == "":
        return
    if json_mode:
        assert "\n" not in reply, reply
        obj = json.loads(reply)
        assert isinstance(obj, dict) and obj["ok"] in (True, False)
        if obj["ok"]:
            assert reply.startswith('{"ok": true')
        else:
            assert reply.startswith('{"ok": false, "code": ') and isinstance(obj["code"], int)
            assert list(obj) == ["ok", "code", "error"]
    else:
        first = reply.split("\n")[0]
        assert first == "OK" or first.startswith("OK ") or _ERR.match(first), reply


def _run_lines(lines, steps, json_first):
    r = Rig()
    if json_first:
        r.con.handle_line("json")
    for line, dt in zip(lines, steps):
        r.t += dt
        before = r.snapshot()
        reply = r.con.handle_line(line)
        _check_shape(reply, r.con.json)  # `json` / `text` already answer in the new mode
        if r.snapshot() != before:
            event("a line changed a setting")
            assert _ok(reply), (line, reply)


@hsettings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_line, min_size=1, max_size=8), steps=st.lists(st.integers(0, 400000), min_size=8,
                                                                     max_size=8))
def test_random_lines_never_raise_and_change_nothing_unless_ok(lines, steps):
    RUNS["lines"] += 1
    _run_lines(lines, steps, False)


@hsettings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_line, min_size=1, max_size=8), steps=st.lists(st.integers(0, 400000), min_size=8,
                                                                     max_size=8))
def test_random_lines_in_json_mode_give_one_json_line_each(lines, steps):
    RUNS["json_lines"] += 1
    _run_lines(lines, steps, True)


_noise = st.one_of(
    st.binary(max_size=300),
    # typed commands with random edits, control bytes, bad UTF-8 and line ends mixed in
    st.lists(st.one_of(_grammar_line().map(lambda s: s.encode()), _write_line().map(lambda s: s.encode() + b"\r"),
                       st.sampled_from([b"\r", b"\n", b"\r\n", b"\x08", b"\x7f", b"\x03", b"\x1b[A", b"\xff",
                                        b"\xc3", b"\xed\xa0\x80", b"\t", b"x" * 125])),
             max_size=12).map(b"".join),
)


@hsettings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_noise, json_first=st.booleans())
def test_random_bytes_never_raise_and_change_nothing_unless_ok(data, json_first):
    RUNS["bytes"] += 1
    r = Rig()
    if json_first:
        r.con.handle_line("json")
    for b in data + b"\r":
        before = r.snapshot()
        del r.writes[:]
        r.con.feed(b)
        for w in r.writes:
            assert isinstance(w, str)
        if r.snapshot() != before:
            event("a typed line changed a setting")
            replies = [w for w in r.writes if w != PROMPT]  # the prompt follows every reply
            assert replies and _ok(replies[-1]), (data, r.writes)
    # the console still answers afterwards
    del r.writes[:]
    for b in b"\rversion\r":
        r.con.feed(b)
    out = "".join(r.writes)
    assert "OK evse" in out or '"firmware"' in out, out


def test_report_examples_run():
    # Runs last in this file: how many examples each property above went through.
    print("console fuzz examples: lines=%d json_lines=%d bytes=%d"
          % (RUNS["lines"], RUNS["json_lines"], RUNS["bytes"]))
    shutil.rmtree(_DIR, ignore_errors=True)
    for k in RUNS:
        assert RUNS[k] == 0 or RUNS[k] >= 2000, RUNS
