# Power-on of the virtual board on the MicroPython unix port (make vboard): the current folder is its flash.
# Sets up the fake hardware in real time, then runs main.py from flash the way a board does; after Ctrl-C
# (or with no main.py yet) the interpreter's REPL stays up for mpremote. MICROPYPATH (set by pty_host.py)
# puts the flash first, then the fake modules, the repo, and the repo's firmware only as a fallback.
# Environment: VBOARD_BOARD (board file when none is deployed), VBOARD_SCENARIO, VBOARD_TRACE (optional),
# VBOARD_APPLY_SETTINGS=1 (the first power-up of a make vboard: the settings the scenario names are written
# into the flash's settings.json, over what was saved: main.py then boots on them, as a board would after
# `set`/`save`; later boots run on what the flash holds then), VBOARD_SOFT_RESET=1 (a soft reset from the raw
# REPL: main.py is not run, as on a board; pty_host.py).
import os

from tools.vboard.realtime import Session
from tools.vboard.run import load_board


def _exists(name):
    try:
        os.stat(name)
        return True
    except OSError:
        return False


def _board():
    if _exists("board.mpy") or _exists("board.py"):
        import board  # the deployed board file

        return board
    return load_board(os.getenv("VBOARD_BOARD") or "pico")


def _apply_settings(path, sc):
    """The settings the scenario file names onto the flash's settings.json (the others as saved)."""
    import json

    with open(path) as f:
        named = json.loads(f.read()).get("settings") or {}
    if not named:
        return
    from evse.settings import Settings

    st = Settings()
    st.load()
    for k in named:
        st.values[k] = sc.settings[k]  # checked by the scenario's parser (which refuses "pin")
    if st.dirty():
        st.save()


def _session(brd):
    sc = None
    path = os.getenv("VBOARD_SCENARIO")
    if path:
        from tools.sim.scenario import load

        sc = load(path)
        if os.getenv("VBOARD_APPLY_SETTINGS"):  # first power-up of this make vboard (pty_host.py)
            _apply_settings(path, sc)
    tpath = os.getenv("VBOARD_TRACE")
    trace = open(tpath, "a") if tpath else None
    return Session(brd, sc, trace, paths=False)


VBOARD = _session(_board())
if os.getenv("VBOARD_SOFT_RESET"):
    pass  # the raw REPL follows (pty_host.py); a board skips main.py after a soft reset from it
elif _exists("main.py") or _exists("main.mpy"):
    print("vboard: running main.py")
    import main

    main.run()
elif os.getenv("VBOARD_SCENARIO"):
    # With a scenario and nothing deployed: the repo's firmware itself (MICROPYPATH's fallback), no deploy step.
    print("vboard: running main.py (the repo's firmware/, not deployed)")
    import sys

    sys.modules["board"] = VBOARD.board  # what a deploy copies as board.py
    import main

    main.run()
else:
    print("vboard: no main.py on flash; deploy with make deploy PORT=...")
