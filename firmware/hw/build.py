# The one place that turns a board file (data) into hardware objects and the drivers that use them.
from .afe import Afe
from .contactor import Contactor
from .lock import SocketLock
from .pilot_pwm import PilotPwm
from .rcm import LEVEL_CARRIER_HZ, Rcm
from .sampler import Sampler


def port_for(board):
    """The port adapter module named by the board file."""
    if board.PORT == "rp2":
        from . import port_rp2 as port
    elif board.PORT == "esp32":
        from . import port_esp32 as port
    else:
        raise ValueError("unknown port " + board.PORT)
    return port


class Hw:
    """The board's drivers and the few plain inputs, built from its file."""

    def __init__(self, machine, board, port, charger):
        Pin = machine.Pin
        Signal = machine.Signal
        PWM = machine.PWM

        def sig_in(no, active_high):
            if no is None:
                return None
            return Signal(Pin(no, Pin.IN), invert=not active_high)

        def sig_out(no, active_high):
            if no is None:
                return None
            return Signal(Pin(no, Pin.OUT, value=0 if active_high else 1), invert=not active_high)

        self.board = board
        self.port = port
        self.afe = Afe(board)
        hl = board.PILOT_HIGH_LEVEL
        self.pilot = PilotPwm(PWM(Pin(board.PILOT_PWM, Pin.OUT, value=1 - hl)), hl, board.PILOT_FREQ_HZ)
        self.sync = Pin(board.PILOT_SYNC, Pin.IN)
        self.cp = port.adc(board.CP_ADC)
        self.pp = port.adc(board.PP_ADC)
        self.temp = port.adc(board.TEMP_ADC) if board.TEMP_ADC is not None else None
        self.sampler = Sampler(self.sync, self.cp, self.pp, hl, self.afe)

        coil_pin = Pin(board.CONTACTOR, Pin.OUT, value=0 if board.CONTACTOR_ACTIVE_HIGH else 1)
        coil = Signal(coil_pin, invert=not board.CONTACTOR_ACTIVE_HIGH)
        hold = None
        if board.CONTACTOR_HOLD_PCT:
            on_u16 = board.CONTACTOR_HOLD_PCT * 65535 // 100
            off_u16 = 0
            if not board.CONTACTOR_ACTIVE_HIGH:
                on_u16 = 65535 - on_u16
                off_u16 = 65535
            box = []

            def make():
                p = PWM(coil_pin, freq=board.CONTACTOR_HOLD_HZ, duty_u16=on_u16)
                box.append(p)
                return p.duty_u16, off_u16

            def release():
                while box:
                    box.pop().deinit()
                coil_pin.init(Pin.OUT)

            hold = (make, release)
        self.contactor = Contactor(coil, sig_in(board.RELAY_SENSE, board.RELAY_SENSE_ACTIVE_HIGH),
                                   board.CONTACTOR_PULL_IN_MS, hold)

        trip_pin = Pin(board.GFCI_TRIP, Pin.IN)
        trip = Signal(trip_pin, invert=not board.GFCI_TRIP_ACTIVE_HIGH)
        test_pwm = PWM(Pin(board.GFCI_TEST, Pin.OUT, value=0), freq=board.GFCI_TEST_HZ or LEVEL_CARRIER_HZ,
                       duty_u16=0)
        self.rcm = Rcm(trip, test_pwm, board.GFCI_TEST_HZ, self.contactor, charger)
        back = getattr(board, "LOCK_DRIVE_B", None)  # an H-bridge's unlock input; absent: a level drive
        self.lock = SocketLock(sig_out(board.LOCK_DRIVE, True),
                               sig_in(board.LOCK_FEEDBACK, board.LOCK_FEEDBACK_ACTIVE_HIGH),
                               sig_out(back, True), getattr(board, "LOCK_PULSE_MS", 0) if back is not None else 0)
        self.ground = sig_in(board.GROUND_SENSE, board.GROUND_SENSE_ACTIVE_HIGH)
        self.led = Pin(board.LED, Pin.OUT, value=0) if board.LED is not None else None

        # Interrupts last, once every driver they call exists.
        a = board.GFCI_TRIP_ACTIVE_HIGH
        self.trip_irq = port.edge_irq(trip_pin, self.rcm.isr, a, not a)
        self.sync_irq = port.edge_irq(self.sync, self.sampler.isr, True, True)
        self.sampler.attach(self.sync_irq, Pin.IRQ_RISING | Pin.IRQ_FALLING)
