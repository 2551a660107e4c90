# Fault counters, a short log of charging sessions with their energy, and the lifetime energy counter:
# observed every control tick, kept in RAM, written to flash rarely (at a session end, or every 10 minutes
# while something is going on; docs/metering.md counts the flash wear). The session limits (limit_kwh,
# limit_min) are enforced here, through the charger's stop_limit().
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
S_DONE = const(0)  # ended (see its end reason)
S_INTERRUPTED = const(1)  # power lost or reboot mid-session: end = last checkpoint
S_ACTIVE = const(2)  # the session going on now (never stored as such)
STATUS_NAMES = ("done", "interrupted", "active")
# Why a session ended (the trace's "session" event, the console's log). A session starts when the contactor
# first closes with an EV there, and lasts while the EV is plugged in, through pauses (the EV going back to B
# by itself): it ends when the EV is unplugged, a session limit is reached (once the contactor is open), a
# fault stops charging, or a command stops it (disable, sleep).
END_UNPLUG = const(0)
END_LIMIT_ENERGY = const(1)
END_LIMIT_TIME = const(2)
END_FAULT = const(3)
END_STOPPED = const(4)
END_INTERRUPTED = const(5)  # the board restarted mid-session (stored as S_INTERRUPTED)
END_NAMES = ("unplug", "limit_energy", "limit_time", "fault", "stopped", "interrupted")
NO_ENERGY = const(-1)  # the session energy when no meter is fitted: not measured
_WH_MASK = const(0x3FFFFFFF)  # the energy since boot wraps here (a small int on 32-bit ports)
_ADVISORY = 1 << faults.METER_LOST  # a fault that stops nothing unless meter_lost_stop is set (charger.py)


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
        # Closed sessions, oldest first: [boot, start_ms, end_ms, max_ma, status, energy_wh, end]
        # (energy_wh NO_ENERGY when not metered; end one of END_*).
        self.sessions = []
        # Sessions ended by observe() and not yet moved into self.sessions (that allocates: readers do it):
        # [boot, start wraps, start ms, end wraps, end ms, max_ma, energy_wh, end], _nend of them, oldest
        # first. As many as are kept: an unread one is dropped only when it would have been anyway.
        self._end = [[0] * 8 for _ in range(max_sessions)]
        self.last_end = [0] * 8  # a copy of the last session ended, and a count of them (the trace reads it)
        self.ends = 0
        # Energy: set by the firmware to the meter's accumulator (evse.energy.Energy: .fitted, .wh since boot)
        self.energy = None
        self.lifetime_base_wh = 0  # the lifetime counter as stored, before this boot
        self._boot_wh = 0  # energy.wh when the stored figure was last brought up to date (load)
        self.session_wh = NO_ENERGY  # the session's energy so far (or at its end)
        self._nend = 0
        self.pending = False  # a flash write is due: flush() it from a slow task
        self._state = iodata.ST_A
        self._faults = 0
        self._active = False
        self._s_wr = 0
        self._s_start = 0
        self._s_max = 0
        self._s_wh0 = 0
        self._s_lim = -1  # the limit reached in this session (END_LIMIT_*), or -1
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
        e = self.energy
        wh = e.wh if e is not None and e.fitted else NO_ENERGY
        if self._active:
            off = charger.offered_ma
            if off > self._s_max:
                self._s_max = off
            self.session_wh = (wh - self._s_wh0) & _WH_MASK if wh >= 0 else NO_ENERGY
            self._session(now_ms, charger)
        elif charger.io.relay and iodata.ST_B1 <= st <= iodata.ST_D2:  # the contactor closed for an EV
            self._active = True
            self._s_wr = self._wraps
            self._s_start = now_ms
            self._s_max = charger.offered_ma
            self._s_wh0 = wh if wh >= 0 else 0
            self._s_lim = -1
            self.session_wh = 0 if wh >= 0 else NO_ENERGY
            self._mark(now_ms)
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

    def _session(self, now_ms, ch):
        # The session's limits and its end. Control-step context: small ints only. No allocation.
        cfg = ch.config
        if self._s_lim < 0:
            if cfg.limit_wh and self.session_wh >= cfg.limit_wh:
                self._s_lim = END_LIMIT_ENERGY
            elif cfg.limit_ms and since(now_ms, self._s_start) >= cfg.limit_ms:
                self._s_lim = END_LIMIT_TIME
            if self._s_lim >= 0:
                ch.stop_limit()  # +12 V from the next tick; the EV has 6 s to leave C
        if ch.io.relay:
            return
        if self._s_lim >= 0:
            end = self._s_lim
        elif ch.faults & ~(0 if cfg.meter_stop else _ADVISORY):
            end = END_FAULT
        elif not ch.enabled or ch.sleeping:
            end = END_STOPPED
        elif ch.state == iodata.ST_A:
            end = END_UNPLUG
        else:
            return  # paused: the EV went back to B (full, or a timer): the session goes on
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
        e[3] = self._wraps
        e[4] = now_ms
        e[5] = self._s_max
        e[6] = self.session_wh
        e[7] = end
        last = self.last_end
        k = 0
        while k < 8:
            last[k] = e[k]
            k += 1
        self.ends = (self.ends + 1) & _WH_MASK
        self._nend = n + 1
        self._dirty = True
        self.pending = True

    def due(self, now_ms, ch):
        """A session limit falls due at now_ms: the control step calls observe() now rather than at its next
        once-a-second look (hw/app.py), so a limit acts on the tick it is reached. No allocation."""
        if not self._active or self._s_lim >= 0:
            return False
        cfg = ch.config
        if cfg.limit_ms and since(now_ms, self._s_start) >= cfg.limit_ms:
            return True
        e = self.energy
        return bool(cfg.limit_wh) and e is not None and e.fitted and (e.wh - self._s_wh0) & _WH_MASK >= cfg.limit_wh

    def idle_until(self, now_ms, charger):
        """The ms at which a session's time limit falls due, for the host bench that skips quiet ticks; None
        if there is none."""
        lim = charger.config.limit_ms
        if self._active and self._s_lim < 0 and lim:
            return now_ms + lim - since(now_ms, self._s_start)
        return None

    def lifetime_wh(self):
        """Energy delivered over the charger's life (Wh): the stored figure plus this boot's. Readers only."""
        e = self.energy
        if e is None or not e.fitted:
            return self.lifetime_base_wh
        return self.lifetime_base_wh + ((e.wh - self._boot_wh) & _WH_MASK)

    def _collect(self):
        """Move the sessions observe() ended into self.sessions. Loop/task context: allocates."""
        n = self._nend
        self._nend = 0
        for k in range(n):
            e = self._end[k]
            self._append([e[0], _up(e[1], e[2]), _up(e[3], e[4]), e[5], S_DONE, e[6], e[7]])

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
            ss.append([self.boot, _up(self._s_wr, self._s_start), self.uptime_ms(), self._s_max, S_INTERRUPTED,
                       self.session_wh, END_INTERRUPTED])
        ss = ss[-self.max_sessions:]
        obj = {"schema": SCHEMA_VERSION, "boots": self.boot, "faults": fl, "sessions": ss,
               "lifetime_wh": self.lifetime_wh()}
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
            if isinstance(e, list) and len(e) == 5:  # written before sessions had energy: not measured
                e = e + [NO_ENERGY, END_UNPLUG if e[4] == S_DONE else END_INTERRUPTED]
            if (_nats(e, 7, 5) and e[4] in (S_DONE, S_INTERRUPTED) and (_nat(e[5]) or e[5] == NO_ENERGY)
                    and _nat(e[6]) and e[6] < len(END_NAMES)):
                self.sessions.append(list(e))
            else:
                bad += 1
        life = obj.get("lifetime_wh", 0)
        if _nat(life):
            self.lifetime_base_wh = life
        else:
            bad += 1
        e = self.energy
        self._boot_wh = e.wh if e is not None and e.fitted else 0
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
        """[(boot, start_ms, end_ms, max_ma, status, energy_wh, end)], newest first, the open session
        included (ending at the last observe(); its end -1)."""
        self._collect()
        rows = []
        if self._active:
            rows.append((self.boot, _up(self._s_wr, self._s_start), self.uptime_ms(), self._s_max, S_ACTIVE,
                         self.session_wh, -1))
        for i in range(len(self.sessions) - 1, -1, -1):
            rows.append(tuple(self.sessions[i]))
        return rows[: self.max_sessions]


def _up(wraps, ms):
    """Uptime in ms from (clock wraps, ms within the wrap). A big int past 2**30 on 32-bit ports."""
    return wraps * _PERIOD + ms if wraps else ms


def _nat(v):
    # type: (object) -> TypeGuard[int]
    return isinstance(v, int) and v is not True and v is not False and v >= 0


def _nats(e, n, first=None):
    # e is a list of n items whose first `first` (default all) are natural numbers
    if not isinstance(e, list) or len(e) != n:
        return False
    for v in e[:n if first is None else first]:
        if not _nat(v):
            return False
    return True
