# The chart's data on the board: the last hour of power, offered current and charger state, one sample
# every 10 s in a fixed ring of arrays allocated once. Recording a sample allocates nothing; /api/chart
# streams the ring out in small chunks, oldest first (docs/web.md "The chart").
from array import array

from evse.compat import const
from evse.iodata import STATE_NAMES

PERIOD_MS = const(10000)  # one sample every 10 s: the "last hour" in 360 points, enough for a phone
SIZE = const(360)  # 3600 s / 10 s: the ring's length
NO_POWER = const(0xFFFF)  # power not known (no meter, meter lost or not read yet): null in the API, not 0
MAX_W = const(0xFFFE)  # power is kept in an unsigned 16-bit W: 22 kW three-phase is 22080 W and an 80 A
# three-phase board 55 kW; more is clamped here, export (negative) is 0: the chart shows what the car takes
OFFER_UNIT_MA = const(100)  # offered current in 0.1 A in an unsigned 16-bit: 80 A is 800, 0.1 A is finer
# than the pilot's duty can offer
_CHUNK = const(24)  # points per piece of the streamed answer: about 500 bytes of text at a time


class Chart:
    """Chart(commands): samples commands.charger (state, offered_ma) and commands.reading (power_w) into
    power (W, NO_POWER unknown), offer (0.1 A) and state (an index of iodata.STATE_NAMES). head is where the
    next sample goes; count how many there are (<= SIZE); last_ms the clock of the newest, due the next."""

    def __init__(self, commands):
        self.commands = commands
        self.power = array("H", bytes(2 * SIZE))  # 720 bytes
        self.offer = array("H", bytes(2 * SIZE))  # 720 bytes
        self.state = bytearray(SIZE)  # 360 bytes: 9 states fit in a byte
        self.head = 0
        self.count = 0
        self.last_ms = 0
        self.due = None
        self.errors = 0  # samples that raised (counted, never raised into the loop)

    def record(self):
        """One sample of what the charger does now into the ring. Allocates nothing (small ints only)."""
        c = self.commands.charger
        i = self.head
        self.state[i] = c.state
        ma = c.offered_ma
        self.offer[i] = (ma + OFFER_UNIT_MA // 2) // OFFER_UNIT_MA if ma > 0 else 0
        p = NO_POWER
        r = self.commands.reading
        if r is not None and r.fitted and not r.lost and r.good > 0:
            p = r.power_w
            if p < 0:
                p = 0
            elif p > MAX_W:
                p = MAX_W
        self.power[i] = p
        i += 1
        self.head = 0 if i >= SIZE else i
        if self.count < SIZE:
            self.count += 1

    def tick(self, now):
        """Records every sample due by now (the first at once; missed ones, after a long stall, as copies of
        now, so the time axis stays exact); returns the ms until the next is due."""
        if self.due is None:
            self.due = now
        n = 0
        while now - self.due >= 0 and n < SIZE:
            self.record()
            self.last_ms = self.due
            self.due += PERIOD_MS
            n += 1
        if now - self.due >= 0:  # more than an hour behind: start the cadence again from now
            self.due = now + PERIOD_MS
        return self.due - now

    async def run(self, clock_ms, sleep_ms):
        """The sampler task, started with the server: never returns, never raises."""
        while True:
            try:
                wait = self.tick(clock_ms())
            except Exception:  # noqa: B902 -- a broken sample is counted, the next one is tried
                self.errors += 1
                self.due = None
                wait = PERIOD_MS
            await sleep_ms(wait if wait > 100 else 100)

    def points(self):
        """[(power_w or None, offered_ma, state name)] oldest first (for tests and the host)."""
        out = []
        n = self.count
        i = self.head - n
        if i < 0:
            i += SIZE
        for _ in range(n):
            p = self.power[i]
            out.append((None if p == NO_POWER else p, self.offer[i] * OFFER_UNIT_MA, STATE_NAMES[self.state[i]]))
            i = i + 1 if i + 1 < SIZE else 0
        return out

    def chunks(self, now):
        """The /api/chart answer as pieces of text (a generator: the whole ~6 KB never exists at once):
        {"last_ms": <clock of the newest sample>, "period_s": 10, "points": [[power_w|null, offered_ma,
        "state"], ...oldest first], "t_ms": now}. A sample taken while this streams may shift the oldest
        points by one; the next answer is whole again."""
        n = self.count
        yield '{"last_ms": %d, "period_s": %d, "points": [' % (self.last_ms if n else now, PERIOD_MS // 1000)
        i = self.head - n
        if i < 0:
            i += SIZE
        part = []
        for k in range(n):
            p = self.power[i]
            part.append('%s[%s, %d, "%s"]' % (", " if k else "", "null" if p == NO_POWER else str(p),
                                              self.offer[i] * OFFER_UNIT_MA, STATE_NAMES[self.state[i]]))
            i = i + 1 if i + 1 < SIZE else 0
            if len(part) >= _CHUNK:
                yield "".join(part)
                part = []
        if part:
            yield "".join(part)
        yield '], "t_ms": %d}' % now
