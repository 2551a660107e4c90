# The timeline (tools/sim/pretty.py): the contactor column shows the load-side sense beside the command
# where they disagree, so a weld reads "open (LIVE)" and a contactor that never closes "CLOSED (dead)".
# Plain asserts: also runs under MicroPython.
from host_tests.core_rig import FileRun, repo_path
from tools.sim.pretty import render


def _timeline(name):
    r = FileRun(repo_path("scenarios/" + name + ".json")).finish()
    return r.lines, render(r.lines)


def _rows_with(text, word):
    return [row for row in text.splitlines() if word in row]


def test_a_welded_contactor_reads_open_live_until_the_end():
    lines, text = _timeline("faults/relay_welded")
    assert any('"event": "load"' in ln for ln in lines)
    welded = _rows_with(text, "FAULT relay_welded")
    assert welded and "open (LIVE)" in welded[0], text
    assert "open (LIVE)" in text.splitlines()[-1], text  # the contacts never open


def test_a_contactor_that_does_not_close_reads_closed_dead_then_the_fault_opens_it():
    _lines, text = _timeline("faults/relay_fail_close")
    rows = text.splitlines()
    closed = [i for i, row in enumerate(rows) if "CLOSED (dead)" in row]
    fault = [i for i, row in enumerate(rows) if "FAULT relay_fail_close" in row]
    assert closed and fault and closed[0] < fault[0], text
    assert "CLOSED " not in rows[fault[0]] and " open " in rows[fault[0]], text
    assert "(LIVE)" not in text


def test_a_plain_session_shows_only_the_command_once_the_contacts_follow_it():
    _lines, text = _timeline("plain_session")
    rows = text.splitlines()[2:]
    assert rows[-1].split()[3] == "open" and "(" not in rows[-1], text
    charging = [row for row in rows if "CLOSED" in row]
    assert charging and charging[-1].split()[4] != "(dead)", text  # pull-in is over: no remark


def test_a_board_without_load_side_sense_shows_the_command_alone():
    lines = ['{"t_ms": 0, "event": "relay", "closed": true}', '{"t_ms": 0, "event": "state", "state": "C2"}']
    row = render(lines).splitlines()[2]
    assert row.split()[1:] == ["C2", "?", "CLOSED"], row  # no load event: nothing to put beside it
