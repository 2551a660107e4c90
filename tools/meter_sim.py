# A simulated Modbus RTU meter (SDM120, SDM630, ABB B23) for the bench and the tests: a slave that answers
# read requests from its own register layout (written from the datasheets here, not taken from the
# firmware's maps, so the two check each other), with settable values and faults. Runs on CPython and
# MicroPython. SimUart joins it to the firmware's modbus.Master in virtual time, byte by byte at the baud
# rate; VTime runs the master's coroutines on that virtual clock.
import struct

_MASK = 0x3FFFFFFF


def crc16(data):
    """CRC-16/MODBUS, bit by bit (the firmware uses a table: the two check each other)."""
    c = 0xFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            if c & 1:
                c = (c >> 1) ^ 0xA001
            else:
                c >>= 1
    return c


def frame(body):
    """body + its CRC, low byte first."""
    c = crc16(body)
    return bytes(body) + bytes((c & 0xFF, c >> 8))


def _f32(v):
    b = struct.pack(">f", v)
    return ((b[0] << 8) | b[1], (b[2] << 8) | b[3])


def _u32(v):
    v &= 0xFFFFFFFF
    return (v >> 16, v & 0xFFFF)


def _u64(v):
    v &= 0xFFFFFFFFFFFFFFFF
    return (v >> 48, (v >> 32) & 0xFFFF, (v >> 16) & 0xFFFF, v & 0xFFFF)


KINDS = ("sdm120", "sdm630", "abb_b23")


class MeterSim:
    """kind: "sdm120" | "sdm630" | "abb_b23"; slave: its address. Values: volts, amps, phase_w (lists of 3),
    power_w, energy_wh (lifetime import; advance() adds power_w over time). Faults: silent (no answer),
    delay_ms (answer this late), corrupt_crc (flip the CRC's low byte), answer_as (answer from this
    address instead), exception (answer every read with this exception code), nan (energy reads NaN)."""

    def __init__(self, kind="sdm630", slave=1):
        if kind not in KINDS:
            raise ValueError("meter kind " + kind)
        self.kind = kind
        self.slave = slave
        self.fc = 3 if kind == "abb_b23" else 4
        self.phases = 1 if kind == "sdm120" else 3
        self.volts = [230.0, 230.0, 230.0] if self.phases == 3 else [230.0, 0.0, 0.0]
        self.amps = [0.0, 0.0, 0.0]
        self.phase_w = [0.0, 0.0, 0.0]
        self.power_w = 0.0
        self.energy_wh = 0.0
        self.silent = False
        self.delay_ms = 0
        self.corrupt_crc = False
        self.answer_as = None
        self.exception = None
        self.nan = False
        self.requests = 0  # good requests seen (CRC right, our address)

    def load(self, amps_per_phase, volts=230.0):
        """A resistive load: amps on each used phase at volts; power follows."""
        for i in range(3):
            used = i < self.phases
            self.volts[i] = volts if used else 0.0
            self.amps[i] = amps_per_phase if used else 0.0
            self.phase_w[i] = volts * amps_per_phase if used else 0.0
        self.power_w = sum(self.phase_w)

    def advance(self, ms):
        """Let ms pass: the energy counter goes up by power_w over that time."""
        self.energy_wh += self.power_w * ms / 3600000.0

    def registers(self):
        """{address: 16-bit value} as the meter would hold them now."""
        r = {}

        def put(addr, words):
            for i, w in enumerate(words):
                r[addr + i] = w

        e_kwh = float("nan") if self.nan else self.energy_wh / 1000.0
        if self.kind == "abb_b23":
            # ABB B23/B24 user manual 2CMC485003M0201, mapping tables: integers, 0x5B00 volts (0.1 V),
            # 0x5B0C amps (0.01 A), 0x5B14 total and 0x5B16.. phase power (0.01 W), 0x5000 import (0.01 kWh).
            for i in range(3):
                put(0x5B00 + 2 * i, _u32(int(round(self.volts[i] * 10))))
                put(0x5B06 + 2 * i, _u32(int(round(self.volts[i] * 17.32))))  # line to line
                put(0x5B0C + 2 * i, _u32(int(round(self.amps[i] * 100))))
                put(0x5B16 + 2 * i, _u32(int(round(self.phase_w[i] * 100))))
            put(0x5B12, _u32(0))  # neutral current
            put(0x5B14, _u32(int(round(self.power_w * 100))))
            put(0x5000, (0xFFFF,) * 4 if self.nan else _u64(int(round(self.energy_wh / 10))))
            return r
        # Eastron SDM120 / SDM630 manuals, input registers, floats high word first.
        put(0x0000, _f32(self.volts[0]))
        put(0x0006, _f32(self.amps[0]))
        put(0x000C, _f32(self.phase_w[0]))
        if self.kind == "sdm630":
            for i in (1, 2):
                put(0x0000 + 2 * i, _f32(self.volts[i]))
                put(0x0006 + 2 * i, _f32(self.amps[i]))
                put(0x000C + 2 * i, _f32(self.phase_w[i]))
            put(0x0034, _f32(self.power_w))
        put(0x0046, _f32(50.0))  # frequency
        put(0x0048, _f32(e_kwh))
        return r

    def answer(self, req):
        """The response frame to one request frame (bytes), or None where the meter stays silent."""
        if len(req) < 4 or crc16(req[:-2]) != (req[-2] | (req[-1] << 8)):
            return None  # a slave ignores a frame with a bad CRC
        if req[0] != self.slave or self.silent:
            return None
        self.requests += 1
        addr = self.answer_as if self.answer_as is not None else self.slave
        fc = req[1]
        if self.exception is not None:
            return self._mangle(frame(bytes((addr, fc | 0x80, self.exception))))
        if fc != self.fc or len(req) != 8:
            return self._mangle(frame(bytes((addr, fc | 0x80, 1))))  # illegal function
        start = (req[2] << 8) | req[3]
        count = (req[4] << 8) | req[5]
        if not 1 <= count <= 125:
            return self._mangle(frame(bytes((addr, fc | 0x80, 3))))  # illegal data value
        regs = self.registers()
        body = bytearray((addr, fc, 2 * count))
        for a in range(start, start + count):
            if a not in regs:
                return self._mangle(frame(bytes((addr, fc | 0x80, 2))))  # illegal data address
            body.append(regs[a] >> 8)
            body.append(regs[a] & 0xFF)
        return self._mangle(frame(body))

    def _mangle(self, resp):
        if self.corrupt_crc:
            resp = resp[:-2] + bytes((resp[-2] ^ 0x5A, resp[-1]))
        return resp


class SimUart:
    """The meter's end of the RS-485 line for a modbus.Master in virtual time: what the master writes is
    the request (answered once the whole frame is in); the answer's bytes arrive one character time apart,
    after the meter's delay. clock() -> ms. any() and readinto() do not allocate (the heap_lock tests)."""

    def __init__(self, sim, clock, baud=9600, bits_per_char=10, turnaround_ms=5):
        self.sim = sim
        self.clock = clock
        self.char_us = bits_per_char * 1000000 // baud
        self.turnaround_ms = turnaround_ms  # a meter answers this long after the request (>= t3.5)
        self._buf = bytearray(512)
        self._len = 0
        self._pos = 0
        self._t0 = 0  # when the first answer byte is complete
        self.written = []  # the last 64 request frames, for the tests
        self._done_t = 0  # when the last request's stop bit is out
        self.extra = b""  # bytes to put on the line with the next answer (noise, a late frame)

    def write(self, data):
        data = bytes(data)
        self.written.append(data)
        if len(self.written) > 64:
            del self.written[0]
        resp = self.sim.answer(data)
        now = self.clock()
        tx_ms = (len(data) * self.char_us + 999) // 1000
        self._done_t = now + tx_ms
        out = self.extra + (resp or b"")
        self.extra = b""
        if out:
            self._load(out, now + tx_ms + self.turnaround_ms + self.sim.delay_ms)
        return len(data)

    def inject(self, data, at_ms):
        """Bytes that arrive from at_ms on (a late answer, noise), replacing whatever was pending."""
        self._load(data, at_ms)

    def _load(self, data, t):
        n = len(data)
        for i in range(n):
            self._buf[i] = data[i]
        self._len = n
        self._pos = 0
        self._t0 = t

    def _arrived(self):
        d = (self.clock() - self._t0) & _MASK
        if d >= _MASK // 2:  # not yet (the difference wrapped below zero)
            return 0
        n = d * 1000 // self.char_us + 1
        return n if n < self._len else self._len

    def any(self):
        a = self._arrived() - self._pos
        return a if a > 0 else 0

    def readinto(self, buf, n=-1):
        a = self.any()
        if n < 0 or n > len(buf):
            n = len(buf)
        if a < n:
            n = a
        if n <= 0:
            return None
        p = self._pos
        b = self._buf
        for i in range(n):
            buf[i] = b[p + i]
        self._pos = p + n
        return n

    def txdone(self):
        """True once the last request's frame time has passed (as a UART's transmitter-empty flag)."""
        return ((self.clock() - self._done_t) & _MASK) < _MASK // 2


class _Sleep:
    def __init__(self, ms):
        self.ms = ms

    def __await__(self):
        yield self

    __iter__ = __await__


class VTime:
    """A virtual ms clock and a runner for coroutines that await sleep_ms(): each sleep moves the clock on.
    on_advance(ms) is called with every step (a meter sim's advance(), say)."""

    def __init__(self, start_ms=0, on_advance=None):
        self.ms = start_ms
        self.on_advance = on_advance

    def clock(self):
        return self.ms & _MASK

    def sleep_ms(self, ms):
        return _Sleep(ms)

    def step(self, ms):
        self.ms += ms
        if self.on_advance is not None:
            self.on_advance(ms)

    def run(self, coro, limit_ms=3600000):
        """Run coro to its end (or until limit_ms of virtual time have passed); its result."""
        end = self.ms + limit_ms
        while True:
            try:
                y = coro.send(None)
            except StopIteration as e:
                return e.value
            self.step(y.ms if y.ms > 0 else 0)
            if self.ms > end:
                coro.close()
                return None
