# Issue 10: the Ctrl-C guard of the serial console (hw/serial_console.py): Ctrl-C may stop the firmware
# only without a PIN, after `service`, or with the board's service button held after boot. boot.ctrl_c is
# replaced for the test by one that records what the board's kbd_intr would be told. Plain asserts.
from tools.vboard.run import setup_paths

setup_paths()  # the board-side modules import time.ticks_ms: the virtual board's clock provides it

from evse import iodata  # noqa: E402
from evse.commands import Caller  # noqa: E402
from evse.settings import Settings  # noqa: E402
from hw import boot  # noqa: E402
from hw.serial_console import SerialConsole  # noqa: E402
from host_tests.fakes import FakeCharger  # noqa: E402


class _Port:
    held = False

    def service_button(self, machine):
        return self.held


class _Hw:
    def __init__(self):
        self.port = _Port()


class _App:
    def __init__(self):
        self.settings = Settings(path=None)
        self.charger = FakeCharger(iodata.Config(), iodata.IO())
        self.history = None
        self.hw = _Hw()
        self._commands = None

    def commands(self, clock, reboot=None):
        from evse.commands import Commands

        if self._commands is None:
            self._commands = Commands(self.charger, self.settings, None, clock, reboot)
        return self._commands


def test_ctrl_c_follows_the_pin_service_mode_and_the_service_button():
    told = []
    real = boot.ctrl_c
    boot.ctrl_c = lambda machine, on: told.append(on)
    try:
        _check_guard(told)
    finally:
        boot.ctrl_c = real


def _check_guard(told):
    app = _App()
    sc = SerialConsole(app, None, lambda: None, write_fn=lambda s: None)
    sc.guard()
    assert told == [True]  # no PIN: Ctrl-C stops the firmware, as MicroPython does by default
    cmd = app.commands(lambda: 0)
    con = Caller("console")
    assert cmd.run(con, ["set", "pin", "1234"]).ok
    sc.guard()
    sc.guard()
    assert told == [True, False]  # a PIN: Ctrl-C is a byte for the console; told once, not per byte
    assert cmd.run(con, ["lock"]).ok and not cmd.run(con, ["service"]).ok  # service needs the PIN
    assert cmd.run(con, ["unlock", "1234"]).ok and cmd.run(con, ["service"]).ok
    sc.guard()
    assert told == [True, False, True]
    cmd.service = False  # (a reboot)
    sc.guard()
    assert told[-1] is False
    app.hw.port.held = True
    assert sc._button()
    sc.service_button = True
    sc.guard()
    assert told[-1] is True  # the physical recovery: PIN forgotten, button held after boot


def test_the_esp32_service_button_pin_is_free_on_every_esp32_board_file():
    """port_esp32 reads GPIO0 (the DevKitC BOOT button) for the first 5 s: no esp32 board may wire it."""
    from hw import port_esp32
    from tools.vboard.run import board_names, load_board

    for name in board_names():
        b = load_board(name)
        if getattr(b, "PORT", getattr(b, "CHIP", "")) != "esp32" and "esp32" not in name:
            continue
        used = [k for k in dir(b) if k.isupper() and not k.endswith(("_HZ", "_MS", "_PCT", "_MA", "_MV", "_OHM"))
                and getattr(b, k) is not True and getattr(b, k) is not False and getattr(b, k) == port_esp32.SERVICE_BUTTON_PIN]
        assert not used, (name, used)
