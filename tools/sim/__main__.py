# python3 -m tools.sim SCENARIO.json [--trace FILE] [--micropython] [--pretty]
# Prints the trace as JSON lines (docs/scenarios.md). Runs on CPython and on MicroPython.
import sys

USAGE = "usage: python3 -m tools.sim SCENARIO.json [--trace FILE] [--micropython] [--pretty]"
HELP = USAGE + """

Runs a scenario (docs/scenarios.md) on the virtual board, or on the bench with "board": "bench", in
virtual time, and prints its trace as JSON lines.

options:
  --trace FILE    write the trace to FILE (with --pretty: the timeline still goes to stdout)
  --micropython   run it on the MicroPython unix port (.venv/bin/micropython): the same trace, byte for byte
  --pretty        print a readable timeline instead of JSON lines
  -h, --help      show this text and exit
"""
_EPIPE = 32  # errno of a write to a closed pipe (python -m tools.sim ... | head)


class UsageError(Exception):
    pass


def _root():
    f = __file__.replace("\\", "/")
    parts = f.split("/")
    return "/".join(parts[:-3]) or "."


def _args(argv):
    """Options as a dict, None for --help; UsageError saying what is wrong."""
    opts = {"trace": None, "micropython": False, "pretty": False, "path": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            return None
        if a == "--trace":
            if i + 1 >= len(argv):
                raise UsageError("--trace needs a file name")
            opts["trace"] = argv[i + 1]
            i += 1
        elif a == "--micropython":
            opts["micropython"] = True
        elif a == "--pretty":
            opts["pretty"] = True
        elif a.startswith("-") and a != "-":
            raise UsageError("unknown option " + a)
        elif opts["path"] is not None:
            raise UsageError("one scenario at a time (got %s and %s)" % (opts["path"], a))
        else:
            opts["path"] = a
        i += 1
    if opts["path"] is None:
        raise UsageError("no scenario file given")
    return opts


def _on_micropython(root, opts):
    # Run this same module under the MicroPython unix port from the project's venv.
    import os
    import subprocess

    exe = os.environ.get("MICROPYTHON") or os.path.join(root, ".venv", "bin", "micropython")
    if not os.path.exists(exe):
        sys.stderr.write("error: no MicroPython binary at %s (run 'make venv')\n" % exe)
        return 2
    env = dict(os.environ)
    env["MICROPYPATH"] = os.pathsep.join((".frozen", root, os.path.join(root, "firmware")))  # .frozen: asyncio
    from tools.sim.scenario import load, ScenarioError

    try:
        load(opts["path"])  # here first: CPython's json says where a file is broken, MicroPython's does not
    except ScenarioError as e:
        sys.stderr.write("error: " + str(e.args[0]) + "\n")
        return 2
    cmd = [exe, "-X", "heapsize=4M", "-m", "tools.sim", opts["path"]]
    if opts["trace"]:
        cmd += ["--trace", opts["trace"]]
    if not opts["pretty"]:
        return subprocess.call(cmd, env=env)
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, universal_newlines=True)
    if p.returncode == 0:
        from tools.sim.pretty import render

        lines = p.stdout.splitlines()
        if opts["trace"]:  # the trace went to the file, not to stdout: the timeline is made from it
            with open(opts["trace"]) as f:
                lines = f.read().splitlines()
        sys.stdout.write(render(lines))
    return p.returncode


def main(argv):
    """The command line; a reader that goes away (a pipe into head) ends it quietly."""
    try:
        return _main(argv)
    except OSError as e:  # BrokenPipeError on CPython; OSError(EPIPE) on MicroPython
        if (e.args[0] if e.args else None) != _EPIPE:
            raise
        _quiet_stdout()
        return 1


def _quiet_stdout():
    # CPython flushes stdout again at exit and would report the broken pipe there: point it at /dev/null.
    try:
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        pass  # MicroPython: nothing is buffered


def _main(argv):
    try:
        opts = _args(argv)
    except UsageError as e:
        sys.stderr.write("error: %s\n%s\n(python3 -m tools.sim --help lists the options)\n" % (e.args[0], USAGE))
        return 2
    if opts is None:
        sys.stdout.write(HELP)
        return 0
    root = _root()
    if sys.implementation.name != "micropython":
        if root + "/firmware" not in sys.path:
            sys.path.insert(0, root + "/firmware")
        if opts["micropython"]:
            return _on_micropython(root, opts)
    from tools.sim.scenario import load, ScenarioError
    from tools.vboard.run import make_run

    try:
        sc = load(opts["path"])
    except ScenarioError as e:
        sys.stderr.write("error: " + str(e.args[0]) + "\n")
        return 2
    if sc.board != "bench":
        from tools.vboard.run import board_names

        if sc.board not in board_names():
            sys.stderr.write("error: unknown board %s (bench, %s)\n" % (sc.board, ", ".join(board_names())))
            return 2
    lines = []
    tf = open(opts["trace"], "w") if opts["trace"] else None

    def out(line):
        if tf is not None:
            tf.write(line + "\n")
        if opts["pretty"]:
            lines.append(line)
        elif tf is None:
            sys.stdout.write(line + "\n")

    try:
        make_run(sc, out).run()
    finally:
        if tf is not None:
            tf.close()
    if opts["pretty"]:
        from tools.sim.pretty import render

        sys.stdout.write(render(lines))
    return 0


sys.exit(main(sys.argv[1:]))
