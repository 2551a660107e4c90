# Issue 11, the firmware's own metering path end to end: main.start() builds the meter of the settings from the
# board file (meter.build: machine.UART, the DE pin), main._main runs its task (meter.task) under asyncio beside
# the control step, the energy accountant counts after each poll, App.step feeds the core and the history keeps
# the session. The board's meter UART is wired to a simulated SDM630 in virtual time (tools/vboard/vmain.py,
# machine.UART_SIMS): Modbus frames byte by byte. Plain asserts: CPython, the unix port and the webassembly port.
from tools.sim.scenario import parse
from tools.vboard.vmain import VMain


def _boot(settings, events, duration_ms, board="pico"):
    sc = parse({"duration_ms": duration_ms, "board": board, "settings": settings, "events": events})
    v = VMain(sc)
    v.run()
    return v


def _closed_to_the_end(v):
    """One closing of the contactor, from the start of charging to the end of the run."""
    iv = v.closed_intervals()
    return len(iv) == 1 and (iv[0][1] is None or iv[0][1] >= v.sc.duration_ms * 1000)


def test_the_firmware_builds_its_meter_polls_it_and_counts_the_session():
    for board in ("pico", "esp32"):
        v = _boot({"meter": "sdm630", "phases": 3, "meter_address": 7},
                  [{"t_ms": 1000, "ev": "C"}, {"t_ms": 121000, "ev": "B"}, {"t_ms": 125000, "ev": "A"}], 130000, board)
        app = v.app
        m = app.meter
        assert m is not None and m.slave == 7 and app.meter_kind == "sdm630", board
        assert 120 <= m.reading.good <= 131 and not m.reading.lost, (board, m.reading.good)
        h = app.history
        assert h.ends == 1, board
        e = h.last_end
        # 2 minutes at 31.98 A x 230 V on three phases, less the 2 s ramp: 735 Wh minus about 6
        assert e[7] == 0 and 720 <= e[6] <= 736, (board, e)  # END_UNPLUG
        assert app.charger.faults == 0, board


def test_a_meter_that_goes_silent_is_lost_and_charging_goes_on():
    v = _boot({"meter": "sdm120"}, [{"t_ms": 1000, "ev": "C"}, {"t_ms": 20000, "meter_fail": True}], 30000)
    ch = v.app.charger
    from evse import faults

    assert ch.faults == 1 << faults.METER_LOST and v.app.meter.reading.lost, ch.faults
    assert _closed_to_the_end(v), v.closed_intervals()  # (the end of the run opens it: main.run's safe state)


def test_a_board_without_a_meter_uart_runs_without_a_meter_and_says_so():
    from tools.vboard.run import load_board

    brd = load_board("pico")
    brd.METER_UART = None
    sc = parse({"duration_ms": 5000, "board": "pico", "settings": {"meter": "sdm630"},
                "events": [{"t_ms": 1000, "ev": "C"}]})
    v = VMain(sc, board=brd)
    v.run()
    assert v.app.meter is None and _closed_to_the_end(v)
    assert [w for w in v.app.settings.warnings if w.startswith("meter: ")], v.app.settings.warnings
