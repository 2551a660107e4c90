# Smart charging (OCPP 1.6 section 3.13): charging profiles, their stacking and the composite schedule, in
# tenths of an ampere per phase. Pure: times come in as the board's uptime (ms) and Unix seconds (None
# while the central system's time is unknown). docs/ocpp.md "Smart charging".
from . import clock

CP_MAX = "ChargePointMaxProfile"
TX_DEFAULT = "TxDefaultProfile"
TX = "TxProfile"
NOMINAL_V = 230  # W -> A for a schedule given in watts: W / (230 V x phases)
_DAY = 86400
_WEEK = 604800


class Profile:
    """A checked csChargingProfiles object for one connector (0 or 1). Limits in tenths of A."""

    def __init__(self, connector, p, phases):
        self.raw = p  # as received, for the flash copy
        self.connector = connector
        self.id = p["chargingProfileId"]
        self.stack = p["stackLevel"]
        self.purpose = p["chargingProfilePurpose"]
        self.kind = p["chargingProfileKind"]
        self.tx_id = p.get("transactionId")
        self.recur = p.get("recurrencyKind")
        self.valid_from = clock.parse_iso(p["validFrom"]) if "validFrom" in p else None
        self.valid_to = clock.parse_iso(p["validTo"]) if "validTo" in p else None
        s = p["chargingSchedule"]
        self.duration = s.get("duration")
        self.start = clock.parse_iso(s["startSchedule"]) if "startSchedule" in s else None
        self.periods = []  # (start s, limit tenths of A)
        watts = s["chargingRateUnit"] == "W"
        for e in s["chargingSchedulePeriod"]:
            lim = e["limit"]
            if watts:
                n = e.get("numberPhases", phases)
                t = int(lim * 10) // (NOMINAL_V * n)
            else:
                t = int(lim * 10 + 0.5)  # tenths (the schema asks for multiples of 0.1)
            self.periods.append((e["startPeriod"], t))

    def problem(self, max_stack, max_periods):
        """Why a central system's profile cannot be taken (Rejected), or None."""
        if self.stack > max_stack:
            return "stackLevel"
        if len(self.periods) > max_periods:
            return "too many periods"
        if self.periods[0][0] != 0:
            return "the first period must start at 0"
        for i in range(1, len(self.periods)):
            if self.periods[i][0] <= self.periods[i - 1][0]:
                return "periods out of order"
        if self.kind == "Recurring" and (self.recur is None or self.start is None):
            return "a recurring profile needs recurrencyKind and startSchedule"
        if self.purpose == CP_MAX and self.connector != 0:
            return "ChargePointMaxProfile is for connector 0"
        if self.purpose == TX and self.connector == 0:
            return "TxProfile is for a connector"
        if self.purpose == CP_MAX and self.kind == "Relative":
            return "ChargePointMaxProfile cannot be relative"
        return None

    def _origin(self, now_ms, unix, tx):
        """(elapsed s in the schedule, known): where this profile's schedule stands now."""
        if self.kind == "Relative":
            if tx is None:
                return 0, False
            return (now_ms - tx.start_ms) // 1000, True
        if unix is None:
            return 0, False
        st = self.start
        if st is None:  # an absolute schedule without a start runs from the transaction's (or now)
            if tx is not None and tx.start_unix is not None:
                st = tx.start_unix
            else:
                return 0, True
        el = unix - st
        if self.kind == "Recurring":
            per = _DAY if self.recur == "Daily" else _WEEK
            el %= per
        return el, True

    def limit(self, now_ms, unix, tx):
        """The limit (tenths of A) this profile sets now, or None where it sets none. While the time is not
        known, an absolute or recurring profile applies its lowest limit (the safe side)."""
        if unix is not None:
            if self.valid_from is not None and unix < self.valid_from:
                return None
            if self.valid_to is not None and unix >= self.valid_to:
                return None
        el, known = self._origin(now_ms, unix, tx)
        if not known:
            if self.kind == "Relative":
                return None
            lo = self.periods[0][1]
            for p in self.periods:
                if p[1] < lo:
                    lo = p[1]
            return lo
        if el < 0:
            return None
        if self.duration is not None and el >= self.duration and self.kind != "Recurring":
            return None
        lim = None
        for p in self.periods:
            if p[0] <= el:
                lim = p[1]
        return lim

    def edges(self, now_ms, unix, tx, dur):
        """Offsets (s, 0 < o < dur) from now at which this profile's limit may change."""
        out = []
        el, known = self._origin(now_ms, unix, tx)
        if not known:
            return out
        marks = [p[0] for p in self.periods]
        if self.duration is not None:
            marks.append(self.duration)
        if self.kind == "Recurring":
            per = _DAY if self.recur == "Daily" else _WEEK
            base = -el
            while base < dur:
                for m in marks + [per]:
                    o = base + m
                    if 0 < o < dur:
                        out.append(o)
                base += per
        else:
            for m in marks:
                o = m - el
                if 0 < o < dur:
                    out.append(o)
        if unix is not None:
            for v in (self.valid_from, self.valid_to):
                if v is not None and 0 < v - unix < dur:
                    out.append(v - unix)
        return out


class Profiles:
    """The installed profiles and their stacking (OCPP 1.6 3.13.2): in each purpose the highest stackLevel
    that sets a limit now wins, a connector's TxDefaultProfile before connector 0's; a TxProfile of the
    running transaction replaces the TxDefaultProfile; the ChargePointMaxProfile caps the result."""

    def __init__(self):
        self.items = []

    def add(self, prof):
        """Install prof, replacing one with its id, or with its connector, purpose and stackLevel."""
        keep = []
        for p in self.items:
            if p.id == prof.id:
                continue
            if p.connector == prof.connector and p.purpose == prof.purpose and p.stack == prof.stack:
                continue
            keep.append(p)
        keep.append(prof)
        self.items = keep

    def clear(self, pid=None, connector=None, purpose=None, stack=None):
        """ClearChargingProfile: the number removed. With an id only that profile; else every profile that
        matches all the criteria given."""
        keep = []
        n = 0
        for p in self.items:
            if pid is not None:
                hit = p.id == pid
            else:
                hit = ((connector is None or p.connector == connector) and (purpose is None or p.purpose == purpose)
                       and (stack is None or p.stack == stack))
            if hit:
                n += 1
            else:
                keep.append(p)
        self.items = keep
        return n

    def end_tx(self):
        """A transaction ended: its TxProfiles go (3.13.2)."""
        self.items = [p for p in self.items if p.purpose != TX]

    def _best(self, purpose, connector, now_ms, unix, tx):
        best = None
        best_stack = -1
        for p in self.items:
            if p.purpose != purpose or p.connector != connector or p.stack <= best_stack:
                continue
            if purpose == TX and (tx is None or (p.tx_id is not None and p.tx_id != tx.tx_id)):
                continue
            lim = p.limit(now_ms, unix, tx)
            if lim is not None:
                best = lim
                best_stack = p.stack
        return best

    def limit(self, now_ms, unix, tx):
        """The limit in force for connector 1 now (tenths of A), or None where no profile sets one."""
        lim = None
        if tx is not None:
            lim = self._best(TX, 1, now_ms, unix, tx)
        if lim is None:
            lim = self._best(TX_DEFAULT, 1, now_ms, unix, tx)
        if lim is None:
            lim = self._best(TX_DEFAULT, 0, now_ms, unix, tx)
        cap = self._best(CP_MAX, 0, now_ms, unix, tx)
        if cap is not None and (lim is None or cap < lim):
            lim = cap
        return lim

    def composite(self, now_ms, unix, tx, dur, default):
        """[(start offset s, limit tenths of A)] for the next dur seconds; default where nothing limits."""
        offs = [0]
        for p in self.items:
            for o in p.edges(now_ms, unix, tx, dur):
                if o not in offs:
                    offs.append(o)
        offs.sort()
        out = []
        for o in offs:
            lim = self.limit(now_ms + o * 1000, None if unix is None else unix + o, tx)
            if lim is None or lim > default:
                lim = default
            if not out or out[-1][1] != lim:
                out.append((o, lim))
        return out
