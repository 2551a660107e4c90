# ESP32-WROOM-32 DevKitC on the reference EVSE board of docs/hardware.md. Data only:
# firmware/hw/build.py turns it into Pin/ADC/PWM/Signal objects. Deployed to the board as board.py.
NAME = "esp32"
PORT = "esp32"  # firmware/hw/port_esp32.py: ADC1 with 11 dB attenuation, pin IRQs run by the scheduler
BOARD_MAX_MA = 80000  # power stage rating: the J1772 maximum. The installation setting cannot exceed it.

# Control pilot: GPIO25 (LEDC PWM) drives the +-12 V buffer; GPIO26 is wired to GPIO25 for the edge IRQ.
PILOT_PWM = 25
PILOT_SYNC = 26
PILOT_HIGH_LEVEL = 1
PILOT_FREQ_HZ = 1000

# Analog front end: ADC1 only (ADC2 is unusable with Wi-Fi). With 11 dB attenuation the ESP32 ADC is
# linear from about 150 to 2450 mV, so the front end maps -15..+15 V onto 300..2300 mV.
ADC_FULL_MV = 3300  # read_u16() 65535 at this many mV after the port's calibration (read_uv() scale)
CP_ADC = 34
CP_ZERO_MV = 1300  # ADC mV for 0 V on the pilot
CP_NUM = 15000  # pilot mV = (adc mV - CP_ZERO_MV) * CP_NUM / CP_DEN  (+-15 V -> +-1 V)
CP_DEN = 1000
PP_ADC = 35
PP_PULLUP_OHM = 1000
PP_PULLUP_MV = 3300
PP_NUM = 3  # PP node mV = adc mV * PP_NUM / PP_DEN: a 100k/200k divider (2/3) keeps 0..3.3 V under 2.2 V
PP_DEN = 2
TEMP_ADC = 32
TEMP_ZERO_MV = 500
TEMP_MV_PER_10C = 100

CONTACTOR = 27
CONTACTOR_ACTIVE_HIGH = True
CONTACTOR_PULL_IN_MS = 100
CONTACTOR_HOLD_PCT = 0
CONTACTOR_HOLD_HZ = 20000
RELAY_SENSE = 36  # input-only pin, external pull-up
RELAY_SENSE_ACTIVE_HIGH = False

GFCI_TRIP = 39  # input-only pin; 10 kOhm pull-up to 3.3 V on the board (docs/hardware.md)
GFCI_TRIP_ACTIVE_HIGH = True  # the module's open-drain output lets go on a fault: high = trip (fail-safe)
GFCI_TEST = 33
GFCI_TEST_HZ = 60  # 0: a steady level, for a module with a test input (RCM14-03)

LOCK_DRIVE = 23  # H-bridge IN1: towards locked (docs/hardware.md)
LOCK_DRIVE_B = 19  # H-bridge IN2: back to unlocked; None for a level drive on LOCK_DRIVE
LOCK_PULSE_MS = 600  # per move, then both low (I: the actuator's datasheet says)
LOCK_FEEDBACK = 22
LOCK_FEEDBACK_ACTIVE_HIGH = False

GROUND_SENSE = 21
GROUND_SENSE_ACTIVE_HIGH = False

# Energy meter (docs/metering.md; the setting `meter` says which is fitted): UART2 on GPIO17 (TX) / GPIO16 (RX)
# to an RS-485 transceiver whose DE and /RE are tied to GPIO4 (high = transmit), 9600 baud 8N1; or an S0 pulse
# output on GPIO18 (opto to ground, pulled up).
METER_UART = 2
METER_TX = 17
METER_RX = 16
METER_DE = 4
METER_BAUD = 9600
METER_PARITY = None
S0_PIN = 18

LED = 2  # DevKitC boards with an LED on GPIO2; any free pin otherwise

WDT_TIMEOUT_MS = 2000
