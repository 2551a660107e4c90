# python3 -m tools.sim SCENARIO.json [--trace FILE] [--micropython] [--pretty]
# Prints the trace as JSON lines (docs/scenarios.md). Runs on CPython and on MicroPython.
import sys

USAGE = "usage: python3 -m tools.sim SCENARIO.json [--trace FILE] [--micropython] [--pretty]"


def _root():
    f = __file__.replace("\\", "/")
    parts = f.split("/")
    return "/".join(parts[:-3]) or "."


def _args(argv):
    opts = {"trace": None, "micropython": False, "pretty": False, "path": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--trace" and i + 1 < len(argv):
            opts["trace"] = argv[i + 1]
            i += 1
        elif a == "--micropython":
            opts["micropython"] = True
        elif a == "--pretty":
            opts["pretty"] = True
        elif a.startswith("-") or opts["path"] is not None:
            return None
        else:
            opts["path"] = a
        i += 1
    return opts if opts["path"] else None


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
    cmd = [exe, "-X", "heapsize=4M", "-m", "tools.sim", opts["path"]]
    if opts["trace"]:
        cmd += ["--trace", opts["trace"]]
    if not opts["pretty"]:
        return subprocess.call(cmd, env=env)
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, universal_newlines=True)
    if p.returncode == 0:
        from tools.sim.pretty import render

        sys.stdout.write(render(p.stdout.splitlines()))
    return p.returncode


def main(argv):
    opts = _args(argv)
    if opts is None:
        sys.stderr.write(USAGE + "\n")
        return 2
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
