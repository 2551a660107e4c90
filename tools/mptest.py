# Runs the plain-assert test modules of a folder under MicroPython (or CPython): every test_* function
# of every test_*.py that does not need a host-only library (pytest, hypothesis, subprocess, pty).
# Prints failures, the modules left to CPython, and "N passed, N failed". Exit 1 on any failure.
# Usage: micropython tools/mptest.py host_tests [test_x test_y]   (only those modules, when named)
#        python3 tools/mptest.py --list host_tests   (the modules, for tools/wasm/mptest.mjs)
import os
import sys

_HOST_ONLY = ("import pytest", "from pytest", "import hypothesis", "from hypothesis", "import subprocess",
              "import pty", "import serial")  # (serial: pyserial, a host library)


def _host_only(path):
    with open(path) as f:
        text = f.read()
    for marker in _HOST_ONLY:
        if marker in text:
            return marker
    return None


def _names(folder, on_mp):
    return sorted(
        n for n in os.listdir(folder)
        if n.startswith("test_") and n.endswith(".py") and (on_mp or not n.startswith("test_mp_"))
    )


def listing(folder):
    """The modules a MicroPython engine runs (for the webassembly runner): one dotted name per line."""
    folder = folder.rstrip("/")
    for fname in _names(folder, True):
        path = folder + "/" + fname
        if _host_only(path):
            continue
        with open(path) as f:
            text = f.read()
        if "# not on webassembly:" in text:
            why = text.split("# not on webassembly:", 1)[1].split("\n", 1)[0].strip()
            sys.stderr.write("webassembly tier leaves out %s: %s\n" % (fname[:-3], why))
            continue
        print(folder.replace("/", ".") + "." + fname[:-3])
    return 0


def main(folder, only=()):
    folder = folder.rstrip("/")
    on_mp = sys.implementation.name == "micropython"
    names = _names(folder, on_mp)
    if only:
        names = [n for n in names if n[:-3] in only]
    pkg = folder.replace("/", ".")
    passed = failed = 0
    ran = []
    skipped = []
    for fname in names:
        why = _host_only(folder + "/" + fname)
        if why:
            skipped.append(fname[:-3])
            continue
        name = pkg + "." + fname[:-3]
        try:
            __import__(name)
            mod = sys.modules[name]
        except Exception as e:
            print("FAIL import %s: %s %s" % (name, type(e).__name__, e))
            failed += 1
            continue
        ran.append(fname[:-3])
        for attr in sorted(dir(mod)):
            fn = getattr(mod, attr)
            if not attr.startswith("test_") or not callable(fn):
                continue
            try:
                fn()
                passed += 1
            except Exception as e:
                failed += 1
                print("FAIL %s.%s: %s %s" % (name, attr, type(e).__name__, e))
    impl = sys.implementation.name
    print("%s: ran %d modules; host-only (CPython tier): %s" % (impl, len(ran), " ".join(skipped) or "none"))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if len(sys.argv) > 2 and sys.argv[1] == "--list":
    sys.exit(listing(sys.argv[2]))
sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "host_tests", sys.argv[2:]))
