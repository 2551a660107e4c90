# Register maps of the supported Modbus meters, as data: which registers to read (blocks) and how each
# value turns into an integer (mV-free units: V*10, mA, W, Wh). Addresses are as sent on the wire (0-based).
from evse.compat import const

from .modbus import READ_HOLDING, READ_INPUT

# How a value is stored
F32 = const(0)  # IEEE-754 single precision, high word first (Eastron)
U32 = const(1)  # unsigned 32 bits, high word first
S32 = const(2)  # signed 32 bits, high word first
U64 = const(3)  # unsigned 64 bits, high word first (ABB energy counters)

# What a value is, and the unit it is stored in once decoded
VOLT = const(0)  # voltage_dv[phase]: tenths of a volt
AMP = const(1)  # current_ma[phase]: milliamps
WATT = const(2)  # power_w: total active power, W (signed: negative is export)
WATT_PHASE = const(3)  # phase_w[phase]: active power of one phase, W (signed)
ENERGY = const(4)  # energy_wh: lifetime import active energy, Wh


class RegMap:
    """name; fc (3 or 4); phases (1 or 3); imax_ma: the meter's maximum current (plausibility);
    blocks: ((start, count, fields), ...) with fields ((what, phase, offset, kind, mul, div), ...):
    the value at register start+offset, decoded by kind, times mul, divided by div (rounded)."""

    def __init__(self, name, fc, phases, imax_ma, blocks):
        self.name = name
        self.fc = fc
        self.phases = phases
        self.imax_ma = imax_ma
        self.blocks = blocks


def _sdm120():
    # Eastron SDM120-Modbus user manual, "Modbus Protocol Input Registers" (function code 04, each value
    # a float in two registers): 30001 voltage 0x0000, 30007 current 0x0006, 30013 active power 0x000C,
    # 30073 import active energy 0x0048 (kWh). The registers in between are not all defined: one read each.
    return RegMap("sdm120", READ_INPUT, 1, 45000, (
        (0x0000, 2, ((VOLT, 0, 0, F32, 10, 1),)),
        (0x0006, 2, ((AMP, 0, 0, F32, 1000, 1),)),
        (0x000C, 2, ((WATT, 0, 0, F32, 1, 1), (WATT_PHASE, 0, 0, F32, 1, 1))),
        (0x0048, 2, ((ENERGY, 0, 0, F32, 1000, 1),)),
    ))


def _sdm630():
    # Eastron SDM630-Modbus V2 user manual, section "Modbus Protocol Input Registers" (function code 04,
    # floats): 30001/30003/30005 phase 1..3 line to neutral volts 0x0000/02/04, 30007/09/11 phase 1..3
    # current 0x0006/08/0A, 30013/15/17 phase 1..3 power 0x000C/0E/10 (one block of 18 registers),
    # 30053 total system power 0x0034, 30073 total import kWh 0x0048.
    return RegMap("sdm630", READ_INPUT, 3, 100000, (
        (0x0000, 18, ((VOLT, 0, 0, F32, 10, 1), (VOLT, 1, 2, F32, 10, 1), (VOLT, 2, 4, F32, 10, 1),
                      (AMP, 0, 6, F32, 1000, 1), (AMP, 1, 8, F32, 1000, 1), (AMP, 2, 10, F32, 1000, 1),
                      (WATT_PHASE, 0, 12, F32, 1, 1), (WATT_PHASE, 1, 14, F32, 1, 1),
                      (WATT_PHASE, 2, 16, F32, 1, 1))),
        (0x0034, 2, ((WATT, 0, 0, F32, 1, 1),)),
        (0x0048, 2, ((ENERGY, 0, 0, F32, 1000, 1),)),
    ))


def _abb_b23():
    # ABB B23/B24 user manual (document 2CMC485003M0201), "Mapping tables" (function code 03, holding
    # registers, integers): 0x5000 active import energy, 4 registers unsigned, 0.01 kWh; 0x5B00/02/04
    # voltage L1-N..L3-N, unsigned 32, 0.1 V; 0x5B0C/0E/10 current L1..L3, unsigned 32, 0.01 A; 0x5B14 total
    # active power and 0x5B16/18/1A active power L1..L3, signed 32, 0.01 W (0x5B00..0x5B1B are contiguous:
    # one read of 28 registers). SmartEVSE
    # supports this meter too. The B21 (single phase) uses the same map with L2/L3 unused.
    return RegMap("abb_b23", READ_HOLDING, 3, 65000, (
        (0x5B00, 28, ((VOLT, 0, 0, U32, 1, 1), (VOLT, 1, 2, U32, 1, 1), (VOLT, 2, 4, U32, 1, 1),
                      (AMP, 0, 12, U32, 10, 1), (AMP, 1, 14, U32, 10, 1), (AMP, 2, 16, U32, 10, 1),
                      (WATT, 0, 20, S32, 1, 100), (WATT_PHASE, 0, 22, S32, 1, 100),
                      (WATT_PHASE, 1, 24, S32, 1, 100), (WATT_PHASE, 2, 26, S32, 1, 100))),
        (0x5000, 4, ((ENERGY, 0, 0, U64, 10, 1),)),
    ))


MODBUS_METERS = ("sdm120", "sdm630", "abb_b23")


def get(name):
    """The register map for a meter setting ("sdm120", "sdm630", "abb_b23"); ValueError for others."""
    if name == "sdm120":
        return _sdm120()
    if name == "sdm630":
        return _sdm630()
    if name == "abb_b23":
        return _abb_b23()
    raise ValueError("no register map for meter " + name)
