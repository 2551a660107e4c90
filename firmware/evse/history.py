# Fault counters and a short log of charging sessions: observed every control tick, kept in RAM,
# written to flash rarely (at a session end, or every 10 minutes while something is going on).
# observe() runs in the control step (a hard timer interrupt on the boards): it stores small ints into
# preallocated slots only. A time is kept as (clock wraps, ms within the wrap), since an uptime above
# 2**30 - 1 ms is a big int on 32-bit ports; the readers (console, flush) put the two together.
from .compat import const
from . import faults, iodata, jsonfmt, store
from .pilot import since

TYPE_CHECKING = False  # pyright takes the block below as true; at run time nothing is imported
if TYPE_CHECKING:
    from typing import TypeGuard

SCHEMA_VERSION = const(1)
DEFAULT_PATH = "history.json"
CHECKPOINT_MS = const(600000)  # while active, persist at most every 10 minutes (flash wear)
_PERIOD = 0x40000000  # the tick clock wraps like time.ticks_ms(); uptime counts the wraps (readers only)
_HALF = const(0x20000000)  # a clock that goes back by more than half its period has wrapped

# Session status. Times are (boot number, ms since that boot): the board has no wall clock.
S_DONE = const(0)  # ended by the EV leaving (state A)
S_INTERRUPTED = const(1)  # power lost or reboot mid-session: end = last checkpoint
S_ACTIVE = const(2)  # the session going on now (never stored as such)
STATUS_NAMES = ("done", "interrupted", "active")


class History:
    """Per-fault counters with first/last time raised, and the last `max_sessions` sessions."""

    def __init__(self, path=DEFAULT_PATH, max_sessions=8):
        # type: (str | None, int) -> None
        self.path = path
        self.max_sessions = max_sessions
        self.boot = 1  # this boot's number: one more than the stored one after load()
        self.warnings = []
        n = faults.COUNT
        self.count = [0] * n
        self.first_boot = [0] * n
        self.first_ms = [0] * n  # ms within the wrap first_wr (uptime = first_wr * 2**30 + first_ms)
        self.first_wr = [0] * n
        self.last_boot = [0] * n
        self.last_ms = [0] * n
        self.last_wr = [0] * n
        self.sessions = []  # closed sessions, oldest first: [boot, start_ms, end_ms, max_ma, status]
        # Sessions ended by observe() and not yet moved into self.sessions (that allocates: readers do it):
        # [boot, start wraps, start ms, end wraps, end ms, max_ma], _nend of them, oldest first.
        # As many as are kept: an unread one is dropped only when it would have been anyway.
        self._end = [[0] * 6 for _ in range(max_sessions)]
        self._nend = 0
        self.pending = False  # a flash write is due: flush() it from a slow task
        self._state = iodata.ST_A
        self._faults = 0
        self._active = False
        self._s_wr = 0
        self._s_start = 0
        self._s_max = 0
        self._dirty = False
        self._dirty_t = 0
        self._wraps = 0
        self._last = 0  # now_ms of the last observe()

    def uptime_ms(self):
        """Milliseconds since boot at the last observe(), counting clock wraps (may be a big int)."""
        return _up(self._wraps, self._last)

    def observe(self, now_ms, charger):
        """Called every control tick with the charger's clock (wrapping like ticks_ms).
        Compares ints only: allocates nothing unless something changed."""
        if now_ms < self._last and self._last - now_ms > _HALF:  # a wrap, not a step a little out of order
            self._wraps += 1
        self._last = now_ms
        st = charger.state
        f = charger.faults
        if st != self._state or f != self._faults:
            self._change(now_ms, st, f)
        if self._active:
            off = charger.offered_ma
            if off > self._s_max:
                self._s_max = off
        if self._dirty and not self.pending and since(now_ms, self._dirty_t) >= CHECKPOINT_MS:
            self.pending = True

    def _change(self, now_ms, st, f):
        # Control-step context: small ints into preallocated slots only. No allocation.
        wr = self._wraps
        raised = f & ~self._faults
        self._faults = f
        if raised:
            i = 0
            while i < faults.COUNT:
                if raised & (1 << i):
                    if self.count[i] == 0:
                        self.first_boot[i] = self.boot
                        self.first_wr[i] = wr
                        self.first_ms[i] = now_ms
                    self.count[i] += 1
                    self.last_boot[i] = self.boot
                    self.last_wr[i] = wr
                    self.last_ms[i] = now_ms
                i += 1
            self._mark(now_ms)
        self._state = st
        if not self._active and iodata.ST_B1 <= st <= iodata.ST_D2:  # an EV is connected
            self._active = True
            self._s_wr = wr
            self._s_start = now_ms
            self._s_max = 0
            self._mark(now_ms)
        elif self._active and st == iodata.ST_A:  # the EV left
            self._active = False
            q = self._end
            n = self._nend
            if n == len(q):  # unread for that long: the oldest slot is reused (moving refs only)
                e = q[0]
                k = 1
                while k < n:
                    q[k - 1] = q[k]
                    k += 1
                q[n - 1] = e
                n -= 1
            e = q[n]
            e[0] = self.boot
            e[1] = self._s_wr
            e[2] = self._s_start
            e[3] = wr
            e[4] = now_ms
            e[5] = self._s_max
            self._nend = n + 1
            self._dirty = True
            self.pending = True

    def _collect(self):
        """Move the sessions observe() ended into self.sessions. Loop/task context: allocates."""
        n = self._nend
        self._nend = 0
        for k in range(n):
            e = self._end[k]
            self._append([e[0], _up(e[1], e[2]), _up(e[3], e[4]), e[5], S_DONE])

    def _mark(self, now_ms):
        if not self._dirty:
            self._dirty = True
            self._dirty_t = now_ms

    def _append(self, rec):
        self.sessions.append(rec)
        while len(self.sessions) > self.max_sessions:
            self.sessions.pop(0)

    def flush(self):
        """Write to flash if a write is due. Call from a slow task, never from the control tick."""
        if not self.pending:
            return False
        return self.save()

    def save(self):
        """Write now. True on success; on failure retry at the next checkpoint."""
        self._collect()
        self.pending = False
        self._dirty_t = self._last
        if self.path is None:  # RAM only
            self._dirty = False
            return False
        try:
            store.write_atomic(self.path, self.text())
        except OSError:
            self._dirty = True
            return False
        self._dirty = self._active  # an open session is checkpointed again in 10 minutes
        return True

    def text(self):
        """The file contents: counters, and the sessions with the open one stored as interrupted."""
        self._collect()
        fl = {}
        for r in self.fault_rows():
            fl[faults.NAMES[r[0]]] = list(r[1:])
        ss = list(self.sessions)
        if self._active:
            ss.append([self.boot, _up(self._s_wr, self._s_start), self.uptime_ms(), self._s_max, S_INTERRUPTED])
        ss = ss[-self.max_sessions:]
        obj = {"schema": SCHEMA_VERSION, "boots": self.boot, "faults": fl, "sessions": ss}
        return jsonfmt.dumps(obj) + "\n"

    def load(self):
        """Read the stored history; this boot is one more than the stored boot. Never raises."""
        self.warnings = []
        try:
            self._load()
        except Exception:
            self.warnings.append("history: unreadable, starting afresh")

    def _load(self):
        w = self.warnings
        if self.path is None:
            return
        obj, problem = store.load(self.path)
        if obj is None:
            if problem is not None:
                w.append("history: %s is %s, starting afresh" % (self.path, problem))
            return
        boots = obj.get("boots")
        fl = obj.get("faults")
        ss = obj.get("sessions")
        if (obj.get("schema") != SCHEMA_VERSION or not _nat(boots) or not isinstance(fl, dict)
                or not isinstance(ss, list)):
            w.append("history: %s has an unknown schema, starting afresh" % self.path)
            return
        self.boot = boots + 1
        bad = 0
        for i in range(faults.COUNT):
            e = fl.get(faults.NAMES[i])
            if e is None:
                continue
            if not _nats(e, 5):
                bad += 1
                continue
            self.count[i], self.first_boot[i], fms, self.last_boot[i], lms = e
            self.first_wr[i], self.first_ms[i] = divmod(fms, _PERIOD)
            self.last_wr[i], self.last_ms[i] = divmod(lms, _PERIOD)
        for e in ss[-self.max_sessions:]:
            if _nats(e, 5) and e[4] in (S_DONE, S_INTERRUPTED):
                self.sessions.append(list(e))
            else:
                bad += 1
        if bad:
            w.append("history: %d bad entries dropped" % bad)

    def fault_rows(self):
        """[(bit, count, first_boot, first_ms, last_boot, last_ms)] for each fault ever raised."""
        rows = []
        for i in range(faults.COUNT):
            if self.count[i]:
                rows.append((i, self.count[i], self.first_boot[i], _up(self.first_wr[i], self.first_ms[i]),
                             self.last_boot[i], _up(self.last_wr[i], self.last_ms[i])))
        return rows

    def session_rows(self):
        """[(boot, start_ms, end_ms, max_ma, status)], newest first, the open session included
        (ending at the last observe())."""
        self._collect()
        rows = []
        if self._active:
            rows.append((self.boot, _up(self._s_wr, self._s_start), self.uptime_ms(), self._s_max, S_ACTIVE))
        for i in range(len(self.sessions) - 1, -1, -1):
            rows.append(tuple(self.sessions[i]))
        return rows[: self.max_sessions]


def _up(wraps, ms):
    """Uptime in ms from (clock wraps, ms within the wrap). A big int past 2**30 on 32-bit ports."""
    return wraps * _PERIOD + ms if wraps else ms


def _nat(v):
    # type: (object) -> TypeGuard[int]
    return isinstance(v, int) and v is not True and v is not False and v >= 0


def _nats(e, n):
    if not isinstance(e, list) or len(e) != n:
        return False
    for v in e:
        if not _nat(v):
            return False
    return True
