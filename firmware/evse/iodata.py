# The block the board (or the host bench) and the charging core share: inputs in, commands out.
# One instance is made at start-up and reused; nothing here allocates after that.
from .compat import const

# Session states (IEC 61851-1 Annex A). x1 = steady +12 V (not offering), x2 = PWM on.
ST_A = const(0)
ST_B1 = const(1)
ST_B2 = const(2)
ST_C1 = const(3)
ST_C2 = const(4)
ST_D1 = const(5)
ST_D2 = const(6)
ST_E = const(7)
ST_F = const(8)
STATE_NAMES = ("A", "B1", "B2", "C1", "C2", "D1", "D2", "E", "F")

# What the EVSE drives on the pilot.
PILOT_P12 = const(0)  # steady +12 V (state A / x1)
PILOT_PWM = const(1)  # 1 kHz +-12 V, duty in IO.duty (tenths of a percent)
PILOT_N12 = const(2)  # steady -12 V (state F: EVSE not available)
PILOT_NAMES = ("+12V", "pwm", "-12V")

NO_SAMPLE = const(-100000)  # cp_low_mv when the pilot is not pulsing (no low plateau)
PP_OPEN = const(-1)  # pp_ohm when the proximity circuit is open
TEMP_NONE = const(-10000)  # temp_dc when no sensor is fitted
RELAY_V_NONE = const(-1)  # relay_v when the board has no load-side sense

SOCKET_TETHERED = const(0)
SOCKET_TYPE2 = const(1)


class IO:
    """Inputs written by the board before each tick; outputs written by the core."""

    def __init__(self):
        # inputs
        self.cp_high_mv = 12000  # pilot high plateau, mV
        self.cp_low_mv = NO_SAMPLE  # pilot low plateau, mV (NO_SAMPLE without PWM)
        self.pp_ohm = PP_OPEN  # proximity PP-PE resistance, ohm
        self.ground = True  # protective earth present
        self.relay_v = RELAY_V_NONE  # load-side voltage: 1 present, 0 absent, -1 no sense
        self.rcd = False  # residual-current monitor signalling (level, or latched by the ISR)
        self.temp_dc = TEMP_NONE  # temperature, tenths of a degree C
        self.lock_ok = False  # socket lock feedback: locked
        self.ev_ma = -1  # the highest phase current the meter measured (mA); -1: not measured (no meter,
        #                  an S0 meter, or no good reading since the last failed poll)
        self.meter_lost = False  # the fitted meter stopped answering (meter.reading.Reading.lost)
        # outputs (safe values until the first tick)
        self.pilot = PILOT_N12
        self.duty = 0  # tenths of a percent, meaningful with PILOT_PWM
        self.relay = False  # contactor command: True = closed
        self.lock = False  # socket lock command: True = lock
        self.rcd_test = False  # drive the residual-current test winding


class Config:
    """Installation settings the core obeys. Currents in mA, temperatures in tenths of a degree."""

    def __init__(self):
        self.max_current_ma = 32000  # installation limit (breaker rating), setting max_current_a
        self.board_max_ma = 80000  # what the board's power stage is rated for
        self.runtime_ma = 1000000  # the lowest runtime limit (console `limit`, later MQTT, OCPP); none
        self.ventilation = False  # allow charging in state D
        self.socket = SOCKET_TETHERED
        self.pp_sense = False  # tethered J1772 cable whose latch (S3) the EVSE senses
        self.cable_ma = 80000  # rating of a tethered cable
        self.relay_sense = True  # the board reads load-side voltage
        self.temp_derate_dc = 650  # halve the offered current above this (I: OpenEVSE-like default)
        self.temp_restore_dc = 600  # full current again below this
        self.temp_stop_dc = 750  # over_temperature fault above this
        self.cp_gain = 10000  # pilot sense calibration (evse/calibration.py): gain in 1/10000 ...
        self.cp_offset_mv = 0  # ... and offset, applied to both plateaus
        self.meter_stop = False  # meter_lost stops charging (setting meter_lost_stop); else it is reported only
        self.limit_wh = 0  # session energy limit (setting limit_kwh), 0 = none: read by evse.history
        self.limit_ms = 0  # session time limit (setting limit_min), 0 = none
