# Firmware entry point: the safe state before anything else, then the board's hardware, the core, the
# control step on its timer interrupt (hw/ticker.py) and the rest (console, housekeeping) under asyncio.
# The board file is deployed beside it as board.py (make deploy BOARD=...).
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

from evse.charger import Charger  # noqa: E402
from evse.history import History  # noqa: E402
from evse.iodata import IO, Config  # noqa: E402
from evse.settings import Settings  # noqa: E402
from hw.app import App  # noqa: E402
from hw.build import Hw, port_for  # noqa: E402
from hw.ticker import Ticker  # noqa: E402


def start(brd=None, watchdog=True, settings_path="settings.json", values=None, history_path="history.json",
          meter=True):
    """Build the whole firmware for brd (default: the deployed board.py) and return its App.
    values: setting values to use instead of the flash copy (the virtual board's scenarios; the history
    then stays in RAM too). meter: build the meter of the settings from the board file (the scenario runner
    fits its simulated one instead)."""
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
    app = App(hw, charger, wdt, st, hist)
    if meter:
        _fit_meter(app, brd, port, st)
    app.ticker = Ticker(machine, app, port)
    return app


def _fit_meter(app, brd, port, st):
    """The meter of the settings (docs/metering.md), read by a task beside the control loop. A meter the board
    file cannot carry is a warning, and the charger runs as with none."""
    v = st.values
    kind = v["meter"]
    if kind == "none":
        return  # nothing imported: a charger without a meter spends no RAM on one
    from meter.account import Energy
    from meter.build import make

    try:
        m = make(machine, brd, kind, v["meter_address"], v["s0_ppk"], v["phases"],
                 brd.BOARD_MAX_MA * 253 * v["phases"] // 1000, port)
    except (ValueError, OSError) as e:
        st.warnings.append("meter: %s; running without one" % e)
        return
    app.fit_meter(m, Energy(m.reading, brd.BOARD_MAX_MA, v["phases"]), kind)


async def _main(app):
    import asyncio

    from hw.serial_console import SerialConsole

    # The control step runs on its timer interrupt whatever these tasks do. The USB console awaits each
    # received byte; housekeeping shows the main program alive (the watchdog) and does the rare flash
    # writes, only while the contactor is open.
    con = SerialConsole(app, app.history, machine.reset)
    tasks = [asyncio.create_task(con.serve()), asyncio.create_task(con.housekeeping())]  # type: list
    if app.meter is not None:  # the meter's polls and its energy count, never in the control step
        from meter.task import run as meter_task

        tasks.append(asyncio.create_task(meter_task(app.meter, after=app.energy.update)))
    for co in _net(app, con):  # WiFi, MQTT, Home Assistant (docs/network.md): their own tasks, when configured
        tasks.append(asyncio.create_task(co))
    link = _ocpp(app, con)
    if link is not None:  # OCPP 1.6 to the central system (docs/ocpp.md), through the one command layer
        tasks.append(asyncio.create_task(link.run()))
    web = _web(app, con)
    if web is not None:  # the web page and its API (docs/web.md), when the setting web is on
        tasks.append(asyncio.create_task(web))
    _ap(app, con)  # no wifi_ssid on a board with a radio: the set-up access point and its page (docs/web.md)
    await asyncio.gather(*tasks)


def _quiet(*a):
    pass


AP_PASS = "ap_pass.txt"  # the set-up access point's password on flash, made at random on its first bring-up
AP_PORT = 80  # its page's port when the setting web is off: a phone types the address alone


def _ap(app, con):
    """On a board with a WiFi radio: the console's `ap on`, and at boot without a wifi_ssid the set-up access
    point itself (net/ap.py, imported only then). A plain Pico has no network module: nothing at all."""
    try:
        import network  # pyright: ignore[reportMissingImports] -- a Pico W's or an ESP32's, not a plain Pico's
    except ImportError:
        return None
    if network is None or not hasattr(network, "AP_IF"):
        return None
    v = app.settings.values
    cmds = app.commands(app.history.uptime_ms, con._reboot)
    sp = app.settings.path  # beside the settings (the flash's root on a board); None: a simulation, RAM only
    path = None if sp is None else sp[:sp.rfind("/") + 1] + AP_PASS
    port = v["web_port"] if v.get("web") else AP_PORT

    def ap_open(announce=True):  # announce: print its name and password (the `ap` command shows them itself)
        from net.ap import open_ap

        return open_ap(app, cmds, network, machine, path, port, print if announce else _quiet)

    cmds.ap_open = ap_open
    if not v["wifi_ssid"] and v["wifi_setup"]:  # wifi_setup off: a charger meant to stay off the air
        try:
            return ap_open()
        except Exception as e:  # noqa: B902 -- the set-up is a convenience: charging never depends on it
            app.settings.warnings.append("ap: %r" % e)
    return None


def _web(app, con):
    """The web server's coroutine, or None when the setting web is off (nothing imported, no RAM spent)."""
    v = app.settings.values
    if not v.get("web"):
        return None
    from web.server import start as web_start

    h = app.history
    return web_start(app.commands(h.uptime_ms, con._reboot), h.uptime_ms, v["web_port"])


def _net(app, con):
    """The network's coroutines: none, and nothing imported, without a wifi_ssid or an mqtt_host."""
    v = app.settings.values
    if not v["wifi_ssid"] and not v["mqtt_host"]:
        return []
    from net.task import start as net_start

    return net_start(app, app.commands(app.history.uptime_ms, con._reboot), board, machine)


OCPP_CA = "ocpp_ca.pem"  # the CA that signed the central system's certificate, for wss:// (docs/ocpp.md)


def _ocpp(app, con):
    """The OCPP link of the settings, or None when ocpp_url is empty (nothing imported, no RAM spent). A
    wss:// URL without the CA file on flash is a warning: never a connection with an unchecked server."""
    v = app.settings.values
    url = v.get("ocpp_url", "")
    if not url:
        return None
    from ocpp16.cp import ChargePoint
    from ocpp16.task import Link, ssl_context

    ctx = None
    if url.startswith("wss://"):
        ctx = ssl_context(OCPP_CA)
        if ctx is None:
            app.settings.warnings.append("ocpp: %s missing: wss:// not started" % OCPP_CA)
            return None
    h = app.history
    cmds = app.commands(h.uptime_ms, con._reboot)
    cp = ChargePoint(cmds, boot=h.boot, free_vend=v["ocpp_free_vend"], queue_path="ocpp_queue.json",
                     store_path="ocpp.json", phases=v["phases"])
    app.settings.warnings.extend(cp.warnings)
    app.ocpp = cp  # the console's view of it (state(): connection and queue length)
    cmds.ocpp = cp  # the console's `net` line shows it
    return Link(cp, url, v["ocpp_id"], v["ocpp_password"], h.uptime_ms, ctx)


APP = None  # the running App, for a look from the REPL after Ctrl-C (and for the virtual board's trace)


def run():
    """Boot the board and run until reset. Any uncaught exception forces the safe state first."""
    import asyncio

    global APP
    app = None
    try:
        app = APP = start()
        if app.ticker is not None:
            app.ticker.start()
        asyncio.run(_main(app))
    except KeyboardInterrupt:  # a person or mpremote stopped it: safe state, REPL stays usable
        _safe(app)
        if app is not None:
            boot.keep_alive(machine, app.wdt, app.hw.port.TIMER_ID)
        print("evse: stopped, safe state (contactor open, pilot -12 V)")
    except BaseException as e:  # noqa: B902 -- anything at all: safe state before anything else
        _safe(app)
        pe = getattr(sys, "print_exception", None)  # MicroPython's; CPython under the virtual board: repr
        if pe is not None:
            pe(e)
        else:
            print(repr(e))
        print("evse: fault, safe state; the watchdog restarts the board")


def _safe(app):
    if app is not None:
        try:
            if app.ticker is not None:
                app.ticker.stop()  # no step may re-apply the core's commands after this
        except BaseException:  # noqa: B902
            pass
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
