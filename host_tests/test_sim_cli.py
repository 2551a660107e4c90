# python -m tools.sim as a command: --help on stdout with exit 0, an unknown option named, a reader that
# goes away ends it quietly, broken JSON says where, --micropython --pretty prints the timeline.
# Host tier (subprocess): CPython only.
import subprocess
import sys

from host_tests.vboard_rig import ROOT

SIM = [sys.executable, "-m", "tools.sim"]


def sim(*args):
    return subprocess.run(SIM + list(args), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=120)


def test_help_goes_to_stdout_with_every_option_and_exit_0():
    for flag in ("--help", "-h"):
        p = sim(flag)
        assert p.returncode == 0 and p.stderr == "", (p.returncode, p.stderr)
        assert p.stdout.startswith("usage: python3 -m tools.sim SCENARIO.json"), p.stdout
        for opt in ("--trace FILE", "--micropython", "--pretty", "--help"):
            assert opt in p.stdout, (opt, p.stdout)


def test_an_unknown_option_is_named_and_a_missing_scenario_is_said():
    p = sim("scenarios/plain_session.json", "--prety")
    assert p.returncode == 2 and "error: unknown option --prety" in p.stderr and p.stdout == "", p.stderr
    p = sim()
    assert p.returncode == 2 and "error: no scenario file given" in p.stderr, p.stderr
    p = sim("scenarios/plain_session.json", "--trace")
    assert p.returncode == 2 and "--trace needs a file name" in p.stderr, p.stderr


def test_broken_json_says_line_and_column_on_both_interpreters(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "duration_ms": 1000,\n  "events": [,]\n}\n')
    for extra in ((), ("--micropython",)):
        p = sim(str(bad), *extra)
        assert p.returncode == 2, p.stderr
        assert "is not valid JSON: line 3 column 14" in p.stderr and "Traceback" not in p.stderr, p.stderr


def test_a_reader_that_goes_away_ends_it_quietly():
    """`python -m tools.sim ... | head -1`: no BrokenPipeError traceback, on either interpreter."""
    for extra in ((), ("--micropython",)):
        p = subprocess.Popen(SIM + ["scenarios/gfci_reclose.json"] + list(extra), cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True)
        first = p.stdout.readline()
        p.stdout.close()  # the reader is gone with most of the trace unread
        err = p.stderr.read()
        p.wait(120)
        assert first.startswith('{"t_ms": 0'), first
        assert err == "", err
        assert p.returncode == 1  # not everything was delivered: not a success, but no noise either


def test_micropython_pretty_prints_the_same_timeline_with_and_without_a_trace_file(tmp_path):
    ref = sim("scenarios/plain_session.json", "--pretty")
    assert ref.returncode == 0 and "CLOSED" in ref.stdout and ref.stdout.count("\n") > 5, ref.stdout
    p = sim("scenarios/plain_session.json", "--micropython", "--pretty")
    assert p.returncode == 0 and p.stdout == ref.stdout, p.stdout
    tr = tmp_path / "t.jsonl"
    p = sim("scenarios/plain_session.json", "--micropython", "--pretty", "--trace", str(tr))
    assert p.returncode == 0 and p.stdout == ref.stdout, p.stdout
    assert tr.read_text().startswith('{"t_ms": 0, "event": "relay"')
