# A small Modbus RTU master for reading meters: function codes 03 and 04, CRC-16, timeouts, retries, an
# RS-485 driver-enable pin. Driven from an asyncio task; every wait is an await, never a blocking sleep.
# Frame layout and timing: Modbus over Serial Line V1.02 (section 2.5.1: t3.5 silence between frames,
# fixed 1.75 ms above 19200 baud; section 2.5.1.2 and 6.2.2: CRC-16, polynomial 0xA001 reflected).
from array import array

from evse.compat import const
from evse.pilot import since

from .reasons import ADDRESS, CRC, EXCEPTION, FRAME, OK, TIMEOUT

READ_HOLDING = const(3)
READ_INPUT = const(4)
PENDING = const(-1)  # poll(): the answer is not complete yet

MAX_REGS = const(40)  # the longest read the meter maps need (ABB: 28 registers) with room to spare
_RX_LEN = const(85)  # 5 + 2 * MAX_REGS: address, function, byte count, data, CRC
_SCRATCH = const(16)  # bytes taken from the UART per readinto (the rp2 and esp32 FIFOs hold 32 / 128)
_POLL_MS = const(2)  # how often the receive wait looks at the UART
_SPIN_MAX = const(5000)  # txdone() checks after the air time at most (see _sent)

_table = None  # the CRC table: 256 16-bit words, built by the first Master


def _crc_table():
    global _table
    if _table is None:
        t = array("H", bytes(512))
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
            t[i] = c
        _table = t
    return _table


def crc16(buf, n, table=None):
    """CRC-16/MODBUS of buf[0:n] (initial 0xFFFF, reflected 0xA001). The frame sends it low byte first.
    No allocation once the table exists."""
    t = table if table is not None else _crc_table()
    c = 0xFFFF
    for i in range(n):
        c = (c >> 8) ^ t[(c ^ buf[i]) & 0xFF]
    return c


class Master:
    """One RS-485 line. uart: a machine.UART set up by the board (any(), readinto(buf, n), write(buf));
    de: the transceiver's driver-enable output (a Pin or Signal, 1 = drive the line) or None for a
    transceiver that switches by itself. clock() -> ms (time.ticks_ms); sleep_ms: asyncio.sleep_ms."""

    def __init__(self, uart, de=None, baud=9600, bits_per_char=10, timeout_ms=500, retries=2, clock=None,
                 sleep_ms=None):
        self.uart = uart
        self.de = de
        self.timeout_ms = timeout_ms  # from the end of the request to the first byte of the answer
        self.retries = retries  # extra attempts after a timeout, CRC or frame error (not after an exception)
        self._clock = clock
        self._sleep = sleep_ms
        self._table = _crc_table()
        self._tx = bytearray(8)  # a read request is always 8 bytes
        self._rx = bytearray(_RX_LEN)
        self._scratch = bytearray(_SCRATCH)
        char_us = bits_per_char * 1000000 // baud
        self.char_us = char_us
        # t3.5: 3.5 characters, but a fixed 1.75 ms above 19200 baud (the spec's rule); whole ms here.
        self.t35_ms = (7 * char_us + 1999) // 2000 if baud <= 19200 else 2
        # A frame is over once the line has been quiet this long: t3.5 plus the slack of a ms poll and of a
        # UART that hands bytes over in FIFO-sized bursts.
        self.gap_ms = self.t35_ms + 2 * _POLL_MS + (_SCRATCH * char_us + 999) // 1000
        self.exc_code = 0  # the code of the last exception response (1 illegal function, 2 illegal address..)
        self.counts = array("H", bytes(12))  # attempts ended OK, TIMEOUT, CRC, EXCEPTION, ADDRESS, FRAME
        self._slave = 0
        self._fc = 0
        self._want = 0
        self._n = 0
        self._t0 = 0  # when the request had left
        self._line_t = 0  # when a byte was last seen on the line (for the t3.5 silence)
        self._over = False  # more bytes came than the buffer holds
        self._late = False  # the last attempt timed out: its answer may still come (see _attempt)

    def _now(self):
        if self._clock is None:
            from time import ticks_ms

            self._clock = ticks_ms
        return self._clock()

    # ---- the synchronous steps (no allocation: tested under micropython.heap_lock) -------------------------

    def request(self, slave, fc, start, count):
        """Put a read request (03 or 04) for count registers from start into the transmit buffer."""
        if fc != READ_HOLDING and fc != READ_INPUT:
            raise ValueError("function code")
        if not 1 <= count <= MAX_REGS or not 1 <= slave <= 247:
            raise ValueError("count or slave")
        tx = self._tx
        tx[0] = slave
        tx[1] = fc
        tx[2] = (start >> 8) & 0xFF
        tx[3] = start & 0xFF
        tx[4] = 0
        tx[5] = count
        c = crc16(tx, 6, self._table)
        tx[6] = c & 0xFF
        tx[7] = c >> 8
        self._slave = slave
        self._fc = fc
        self._want = 5 + 2 * count
        return tx

    def begin(self, now):
        """The request has left the wire at now: start waiting for its answer."""
        self._n = 0
        self._over = False
        self._t0 = now

    def drain(self, now):
        """Drop whatever the UART holds (a late answer to an earlier request). Returns the bytes dropped."""
        uart = self.uart
        s = self._scratch
        dropped = 0
        while uart.any():
            r = uart.readinto(s, _SCRATCH)
            if not r:
                break
            dropped += r
        if dropped:
            self._line_t = now
        return dropped

    def _pump(self, now):
        uart = self.uart
        s = self._scratch
        rx = self._rx
        n = self._n
        while uart.any():
            r = uart.readinto(s, _SCRATCH)
            if not r:
                break
            self._line_t = now
            for i in range(r):
                if n < _RX_LEN:
                    rx[n] = s[i]
                    n += 1
                else:
                    self._over = True
        self._n = n

    def poll(self, now):
        """Take what the UART has; return PENDING, or how the request ended (OK, TIMEOUT, CRC, EXCEPTION,
        ADDRESS, FRAME). OK leaves the registers in the frame buffer for u16/u32/s32/u64/f32."""
        self._pump(now)
        n = self._n
        rx = self._rx
        if n >= 2 and rx[1] & 0x80:
            if n >= 5:
                return self._check(5)  # an exception response is always 5 bytes
        elif n >= self._want:
            return self._check(self._want)
        if n == 0:
            return TIMEOUT if since(now, self._t0) > self.timeout_ms else PENDING
        if since(now, self._line_t) > self.gap_ms or self._over:
            return FRAME  # the line went quiet (or overflowed) before the frame was complete
        return PENDING

    def _check(self, length):
        rx = self._rx
        c = crc16(rx, length - 2, self._table)
        if rx[length - 2] != c & 0xFF or rx[length - 1] != c >> 8:
            return CRC
        if rx[0] != self._slave:
            return ADDRESS
        if rx[1] == self._fc | 0x80:
            self.exc_code = rx[2]
            return EXCEPTION
        if rx[1] != self._fc or rx[2] != self._want - 5:
            return FRAME
        return OK

    def u16(self, i):
        """Register i of the last good answer (0 = the first register read). No allocation."""
        rx = self._rx
        return (rx[3 + 2 * i] << 8) | rx[4 + 2 * i]

    def u32(self, i):
        """Registers i, i+1 as an unsigned 32-bit value, high word first. A big int above 2**30 (allocates)."""
        return (self.u16(i) << 16) | self.u16(i + 1)

    def s32(self, i):
        v = self.u32(i)
        return v - 0x100000000 if v & 0x80000000 else v

    def u64(self, i):
        """Registers i..i+3, high word first (ABB's energy counters). Allocates a big int when large."""
        return (self.u32(i) << 32) | self.u32(i + 2)

    def f32(self, i):
        """Registers i, i+1 as an IEEE-754 float, high word first (Eastron). Allocates the float: the meter
        task turns it into an integer at once."""
        from struct import unpack_from

        return unpack_from(">f", self._rx, 3 + 2 * i)[0]

    # ---- the asyncio side ----------------------------------------------------------------------------------

    async def _wait(self, ms):
        if self._sleep is None:
            import asyncio

            self._sleep = asyncio.sleep_ms
        await self._sleep(ms)

    async def _sent(self, nbytes):
        # Driver-enable release once the frame has left. Its air time is computed from the baud rate
        # (nbytes characters of bits_per_char bits); the task sleeps that long rounded up to the next ms, so
        # the last stop bit is out by then, and confirms with the UART's txdone() (rp2, esp32), spinning at
        # most t3.5 more while a FIFO still drains; a UART with flush() but no txdone() gets flush(). So DE
        # drops within about 1 ms of the stop bit, inside the t3.5 (4 ms at 9600 baud) a slave waits before
        # it answers. A task that holds the event loop longer can cost the answer's first bytes: a retry.
        await self._wait((nbytes * self.char_us + 999) // 1000)
        uart = self.uart
        if hasattr(uart, "txdone"):
            t = self._now()
            for _ in range(_SPIN_MAX):
                if uart.txdone() or since(self._now(), t) > self.t35_ms:
                    break
        elif hasattr(uart, "flush"):
            uart.flush()

    async def _attempt(self, slave, fc, start, count):
        self.drain(self._now())
        # Inter-frame silence: t3.5 with nothing on the line before a new request. After a timeout, a whole
        # timeout of silence (at most 4): RTU answers carry no transaction id, so a slow meter's late answer
        # to the last request must be drained before the next request, not taken as its answer.
        quiet = self.t35_ms
        if self._late:
            quiet = self.timeout_ms
            self._line_t = self._now()
        t = self._now()
        while since(self._now(), self._line_t) < quiet and since(self._now(), t) < 4 * self.timeout_ms:
            await self._wait(1 if quiet == self.t35_ms else _POLL_MS)
            self.drain(self._now())
        self._late = False
        tx = self.request(slave, fc, start, count)
        try:
            if self.de is not None:
                self.de.value(1)
            self.uart.write(tx)
            await self._sent(8)
        finally:
            if self.de is not None:
                self.de.value(0)  # whatever happened, the line is not left driven
        self.begin(self._now())
        while True:
            st = self.poll(self._now())
            if st != PENDING:
                self._late = st == TIMEOUT
                return st
            await self._wait(_POLL_MS)

    async def read(self, slave, fc, start, count):
        """Read count registers from start (fc 3: holding, 4: input registers) of slave; retry a timeout,
        a bad CRC or a bad frame up to self.retries times. Returns OK (the values are then read with
        u16()..f32()) or the last attempt's error; an exception response is final (exc_code says which)."""
        st = TIMEOUT
        for _ in range(1 + self.retries):
            st = await self._attempt(slave, fc, start, count)
            self.counts[st] = (self.counts[st] + 1) & 0xFFFF
            if st == OK or st == EXCEPTION:
                break
        return st
