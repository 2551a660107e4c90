# Raspberry Pi Pico / Pico W (RP2040) on the reference EVSE board of docs/hardware.md. Data only:
# firmware/hw/build.py turns it into Pin/ADC/PWM/Signal objects. Deployed to the board as board.py.
NAME = "pico"
PORT = "rp2"  # firmware/hw/port_rp2.py: hard pin IRQs, ADC on GP26..GP28
BOARD_MAX_MA = 80000  # power stage rating: the J1772 maximum. The installation setting cannot exceed it.

# Control pilot: GP16 drives the +-12 V pilot buffer (PWM slice 0 A); GP17 is wired to GP16 (a jumper on
# the board) so the firmware gets an edge IRQ from its own PWM. PILOT_HIGH_LEVEL: logic level that gives
# +12 V (the reference buffer is non-inverting).
PILOT_PWM = 16
PILOT_SYNC = 17
PILOT_HIGH_LEVEL = 1
PILOT_FREQ_HZ = 1000

# Analog front end (docs/hardware.md): read_u16() counts -> ADC millivolts -> node millivolts.
ADC_FULL_MV = 3300  # read_u16() 65535 at this many mV (ADC_VREF = 3.3 V)
CP_ADC = 26
CP_ZERO_MV = 1650  # ADC mV for 0 V on the pilot: (0 + 15 V) * 3.3 / 30
CP_NUM = 30000  # pilot mV = (adc mV - CP_ZERO_MV) * CP_NUM / CP_DEN  (divider 30 V -> 3.3 V)
CP_DEN = 3300
PP_ADC = 27
PP_PULLUP_OHM = 1000  # PP pulled up to PP_PULLUP_MV through this; Rc to PE below
PP_PULLUP_MV = 3300
PP_NUM = 1  # PP node mV = adc mV * PP_NUM / PP_DEN (no divider: the node is within 0..3.3 V)
PP_DEN = 1
TEMP_ADC = 28  # MCP9700/TMP36-style sensor on the contactor: 500 mV at 0 C, 10 mV per C; None if absent
TEMP_ZERO_MV = 500
TEMP_MV_PER_10C = 100  # mV per 10 C (so tenths of a degree = (mV - zero) * 100 / this)

# Contactor: coil driver on GP18 (active high), optional hold PWM after pull-in, load-side sense opto.
CONTACTOR = 18
CONTACTOR_ACTIVE_HIGH = True
CONTACTOR_PULL_IN_MS = 100  # full drive this long after closing, then hold
CONTACTOR_HOLD_PCT = 0  # 0 = no hold PWM; e.g. 40 = 40 % duty at CONTACTOR_HOLD_HZ after pull-in
CONTACTOR_HOLD_HZ = 20000
RELAY_SENSE = 19  # load-side mains present (opto pulls low); None if not fitted
RELAY_SENSE_ACTIVE_HIGH = False

# Residual-current monitor (docs/hardware.md: an RDC-DD module such as the RCM14-03 for IEC sites, a
# CCID20 for North America): trip output and test input. The module's open-drain output conducts while
# all is well and lets go on a fault; the board's 10 kOhm pull-up to 3.3 V then raises the line. So the
# line is HIGH on a trip (fail-safe: a cut wire or an unpowered module also reads as a trip).
GFCI_TRIP = 20
GFCI_TRIP_ACTIVE_HIGH = True  # high = trip, as wired in docs/hardware.md (test_vboard_board checks it)
GFCI_TEST = 21  # test winding driver: 60 Hz square while the self-test runs
GFCI_TEST_HZ = 60  # 0: hold the test input high instead, for a module with a test input (RCM14-03)

# Socket lock (Type 2 socket outlet): H-bridge (DRV8871-style IN1/IN2) to the actuator's 12 V motor, and
# its "locked" micro-switch. None if tethered only. LOCK_DRIVE_B None: LOCK_DRIVE is a level drive instead
# (on = locked, for a solenoid that holds while powered).
LOCK_DRIVE = 22  # bridge IN1: high drives towards locked
LOCK_DRIVE_B = 13  # bridge IN2: high drives back to unlocked
LOCK_PULSE_MS = 600  # each move drives this long, then both inputs low (I: the actuator's datasheet says)
LOCK_FEEDBACK = 15
LOCK_FEEDBACK_ACTIVE_HIGH = False  # switch to ground when locked

GROUND_SENSE = 14  # PE present (opto from L to PE); None if not fitted
GROUND_SENSE_ACTIVE_HIGH = False

# Energy meter (docs/metering.md; the setting `meter` says which is fitted): UART1 on GP4/GP5 to an RS-485
# transceiver whose DE and /RE are tied to GP6 (high = transmit), 9600 baud 8N1 (the Eastron and ABB default);
# or an S0 pulse output on GP7 (opto to ground, pulled up).
METER_UART = 1
METER_TX = 4
METER_RX = 5
METER_DE = 6
METER_BAUD = 9600
METER_PARITY = None
S0_PIN = 7

LED = "LED"  # status LED: the Pico's on-board LED (Pico W: through the wireless chip)

WDT_TIMEOUT_MS = 2000  # rp2 allows up to 8388 ms
