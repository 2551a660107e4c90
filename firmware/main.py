# Firmware entry point: the safe state before anything else, then the board's hardware, the core and the
# control loop under asyncio. The board file is deployed beside it as board.py (make deploy BOARD=...).
import machine

try:
    import board  # pyright: ignore[reportMissingImports] -- copied from boards/ at deploy time
except ImportError:  # no board file: nothing can be driven, but nothing is powered either
    board = None

from hw import boot

if board is not None:
    boot.safe_pins(machine, board)  # contactor open, pilot -12 V: first, whatever happens next
boot.emergency_buf()

import sys  # noqa: E402
import time  # noqa: E402

from evse.charger import TICK_MS, Charger  # noqa: E402
from evse.history import History  # noqa: E402
from evse.iodata import IO, Config  # noqa: E402
from evse.settings import Settings  # noqa: E402
from hw.app import App  # noqa: E402
from hw.build import Hw, port_for  # noqa: E402


def start(brd=None, watchdog=True, settings_path="settings.json", values=None, history_path="history.json"):
    """Build the whole firmware for brd (default: the deployed board.py) and return its App.
    values: setting values to use instead of the flash copy (the virtual board's scenarios; the history
    then stays in RAM too)."""
    brd = brd or board
    if brd is None:
        raise ImportError("no board.py: deploy with 'make deploy BOARD=...'")
    port = port_for(brd)
    cfg = Config()
    cfg.board_max_ma = brd.BOARD_MAX_MA  # the power stage: no setting can exceed it
    if values is None:
        st = Settings(path=settings_path)
        st.load()  # never raises: a missing or corrupt file boots on defaults with a warning
        hist = History(path=history_path)
        hist.load()
    else:  # a simulation: settings and history in RAM, never a file in the caller's directory
        st = Settings(path=None)
        st.preset(values)
        hist = History(path=None)
    st.to_config(cfg)
    charger = Charger(cfg, IO())
    hw = Hw(machine, brd, port, charger)
    wdt = boot.Watchdog(machine, brd.WDT_TIMEOUT_MS) if watchdog else None
    return App(hw, charger, wdt, st, hist)


async def control(app, ticks=None):
    """The control task: app.step() every TICK_MS on the board's clock (ticks steps, or for ever)."""
    import asyncio

    due = time.ticks_ms()
    while ticks is None or ticks > 0:
        app.step(due)
        due = time.ticks_add(due, TICK_MS)
        wait = time.ticks_diff(due, time.ticks_ms())
        if wait < 0:  # overran: the next step starts now, on a fresh grid
            due = time.ticks_ms()
            wait = 0
        await asyncio.sleep_ms(wait)
        if ticks is not None:
            ticks -= 1


async def _main(app):
    import asyncio

    from hw.serial_console import SerialConsole

    # The USB console beside the control loop: it awaits each received byte, so it never blocks the
    # control task's TICK_MS period; housekeeping does the history's rare flash writes.
    con = SerialConsole(app, app.history, machine.reset)
    tasks = [asyncio.create_task(control(app)), asyncio.create_task(con.serve()),
             asyncio.create_task(con.housekeeping())]
    await asyncio.gather(*tasks)


APP = None  # the running App, for a look from the REPL after Ctrl-C (and for the virtual board's trace)


def run():
    """Boot the board and run until reset. Any uncaught exception forces the safe state first."""
    import asyncio

    global APP
    app = None
    try:
        app = APP = start()
        asyncio.run(_main(app))
    except KeyboardInterrupt:  # a person or mpremote stopped it: safe state, REPL stays usable
        _safe(app)
        if app is not None:
            boot.keep_alive(machine, app.wdt, app.hw.port.TIMER_ID)
        print("evse: stopped, safe state (contactor open, pilot -12 V)")
    except BaseException as e:  # noqa: B902 -- anything at all: safe state before anything else
        _safe(app)
        sys.print_exception(e)
        print("evse: fault, safe state; the watchdog restarts the board")


def _safe(app):
    if app is not None:
        try:
            app.safe()
        except BaseException:  # noqa: B902 -- the drivers failed: plain pins below still work
            pass
        try:
            app.hw.pilot.deinit()
        except BaseException:  # noqa: B902
            pass
    if board is not None:
        boot.safe_pins(machine, board)


if __name__ == "__main__":
    run()
