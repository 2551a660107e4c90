# Issue 11, meters: meter/build.py makes the meter the settings name from the board file's constants
# (UART id, pins, DE, baud rate, S0 pin) and nothing else. A small machine stand-in records what was
# made, as a board's would be. Plain asserts: CPython, the unix port and webassembly.
from meter import build, reasons
from meter.modbus import Master
from meter.none import NoMeter
from meter.rtu import ModbusMeter
from meter.s0 import S0Meter


class _Pin:
    IN = 0
    OUT = 1
    PULL_UP = 1
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, no, mode=-1, pull=-1, value=None):
        self.no = no
        self.mode = mode
        self.pull = pull
        self.level = value
        self.handler = None
        self.trigger = 0

    def value(self, v=None):
        if v is None:
            return self.level
        self.level = v
        return None

    def irq(self, handler=None, trigger=3, hard=False):
        self.handler = handler
        self.trigger = trigger
        return self


class _Uart:
    def __init__(self, uid, **kw):
        self.uid = uid
        self.kw = kw


class _Machine:
    Pin = _Pin
    UART = _Uart


class _Board:
    METER_UART = 1
    METER_TX = 4
    METER_RX = 5
    METER_DE = 6
    METER_BAUD = 19200
    S0_PIN = 3


class _Bare:
    pass


def test_none_needs_nothing_from_the_board():
    m = build.make(_Machine, _Bare, "none")
    assert isinstance(m, NoMeter) and not m.reading.fitted


def test_a_modbus_meter_gets_its_uart_pins_and_de_from_the_board_file():
    for kind in ("sdm120", "sdm630", "abb_b23"):
        m = build.make(_Machine, _Board, kind, slave=7)
        assert isinstance(m, ModbusMeter) and m.slave == 7 and m.name == kind
        master = m.master
        assert isinstance(master, Master)
        u = master.uart
        assert u.uid == 1 and u.kw["baudrate"] == 19200 and u.kw["timeout"] == 0
        assert u.kw["tx"].no == 4 and u.kw["rx"].no == 5
        assert master.de.no == 6 and master.de.mode == _Pin.OUT and master.de.level == 0  # receiving
        assert master.t35_ms == 2  # 3.5 characters at 19200 baud, rounded up
    assert build.make(_Machine, _Board, "sdm630").reading.phases == 3
    assert build.make(_Machine, _Board, "sdm120").reading.phases == 1


def test_an_s0_meter_counts_falling_edges_of_the_board_pin():
    t = [0]
    m = build.make(_Machine, _Board, "s0", ppk=500, clock=lambda: t[0])
    assert isinstance(m, S0Meter) and m.pin.no == 3 and m.pin.pull == _Pin.PULL_UP
    assert m.pin.trigger == _Pin.IRQ_FALLING and m.pin.handler == m.isr
    m.pin.handler(m.pin)
    assert m.count == 1


def test_a_missing_constant_or_an_unknown_kind_is_an_error_at_start_not_later():
    for kind in ("sdm630", "s0", "ddsu666"):
        try:
            build.make(_Machine, _Bare, kind)
        except ValueError:
            continue
        raise AssertionError(kind)
    assert "abb_b23" in build.KINDS and "none" in build.KINDS
    from meter import maps
    from evse import settings

    assert build.KINDS == ("none", "s0") + maps.MODBUS_METERS == settings.find("meter").choices
    assert reasons.name(reasons.NONE) == "none"
