# Power-on of the virtual board on the MicroPython unix port (make vboard): the current folder is its flash.
# Sets up the fake hardware in real time, then runs main.py from flash the way a board does; after Ctrl-C
# (or with no main.py yet) the interpreter's REPL stays up for mpremote. MICROPYPATH (set by pty_host.py)
# puts the flash first, then the fake modules, the repo, and the repo's firmware only as a fallback.
# Environment: VBOARD_BOARD (board file when none is deployed), VBOARD_SCENARIO, VBOARD_TRACE (optional),
# VBOARD_SOFT_RESET=1 (a soft reset from the raw REPL: main.py is not run, as on a board; pty_host.py).
# A scenario's settings are written into the flash's settings.json at each power-up, over what was saved
# (only the settings the scenario names): main.py then boots on them, as a board would after `set`/`save`.
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
    import json

    with open(path) as f:
        named = json.loads(f.read()).get("settings") or {}
    if not named or not _exists("main.py"):
        return
    from evse.settings import Settings

    st = Settings()
    st.load()
    for k in named:
        st.values[k] = sc.settings[k]  # checked by the scenario's parser
    if st.dirty():
        st.save()


def _session(brd):
    sc = None
    path = os.getenv("VBOARD_SCENARIO")
    if path:
        from tools.sim.scenario import load

        sc = load(path)
        _apply_settings(path, sc)
    tpath = os.getenv("VBOARD_TRACE")
    trace = open(tpath, "a") if tpath else None
    return Session(brd, sc, trace, paths=False)


VBOARD = _session(_board())
if os.getenv("VBOARD_SOFT_RESET"):
    pass  # the raw REPL follows (pty_host.py); a board skips main.py after a soft reset from it
elif _exists("main.py"):
    print("vboard: running main.py")
    import main

    main.run()
else:
    print("vboard: no main.py on flash; deploy with make deploy PORT=...")
