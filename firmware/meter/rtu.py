# A Modbus RTU meter: reads its register map's blocks through a modbus.Master and decodes each value to
# an integer in the staging Reading (floats live only inside _decode).
from evse.compat import const

from . import maps
from .plausible import Plausible
from .reading import Reading
from .reasons import NAN, OK, RANGE

_INT_LIMIT = const(2000000000)  # what fits the Reading's 32-bit arrays; beyond it a value is RANGE


class ModbusMeter:
    """master: a modbus.Master on the meter's line; regmap: maps.get(name); slave: its address (1..247);
    max_w: the most the installation can draw (0: from the meter's rating); lost_after: failed polls in a
    row before the reading says lost."""

    def __init__(self, master, regmap, slave=1, max_w=0, lost_after=2):
        self.master = master
        self.map = regmap
        self.slave = slave
        self.name = regmap.name
        self.reading = Reading(regmap.phases)
        self.staging = Reading(regmap.phases)
        self.check = Plausible(regmap.phases, regmap.imax_ma, max_w)
        self.lost_after = lost_after
        self.error = None

    async def sample(self, now):
        m = self.master
        s = self.staging
        fc = self.map.fc
        for start, count, fields in self.map.blocks:
            st = await m.read(self.slave, fc, start, count)
            if st != OK:
                return st
            for what, phase, off, kind, mul, div in fields:
                v = _decode(m, off, kind, mul, div)
                if v is None:
                    return NAN
                if not -_INT_LIMIT <= v <= _INT_LIMIT and what != maps.ENERGY:
                    return RANGE
                if what == maps.VOLT:
                    s.voltage_dv[phase] = v
                elif what == maps.AMP:
                    s.current_ma[phase] = v
                elif what == maps.WATT:
                    s.power_w = v
                elif what == maps.WATT_PHASE:
                    s.phase_w[phase] = v
                else:
                    s.energy_wh = v
        return OK


def _decode(m, off, kind, mul, div):
    """The value at register off of the master's last answer, times mul / div, rounded to an int; None
    for NaN, infinity, or an integer meter's "not available" pattern (all ones / the signed maximum)."""
    if kind == maps.F32:
        f = m.f32(off)
        if f != f or f - f != 0.0:  # NaN, or +-infinity (inf - inf is NaN)
            return None
        x = f * mul / div
        if not -1e15 < x < 1e15:
            return None  # no meter counts this far: a broken register, not a reading
        return int(round(x))
    if kind == maps.U32:
        raw = m.u32(off)
        if raw == 0xFFFFFFFF:
            return None
    elif kind == maps.S32:
        raw = m.s32(off)
        if raw == 0x7FFFFFFF:
            return None
    else:
        raw = m.u64(off)
        if raw == 0xFFFFFFFFFFFFFFFF:
            return None
    return (2 * raw * mul + div) // (2 * div)  # rounded half up
