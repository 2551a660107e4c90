# The transaction messages (StartTransaction, StopTransaction, their MeterValues) in order, kept until the
# central system has answered each: in RAM first, on flash at the next safe moment (cp.py decides when:
# never from the control step, only while the contactor is open). A full queue drops meter values first.
from evse import store

from .jsonw import dumps

SCHEMA = 1
MAX_ENTRIES = 60  # about 13 KB of JSON at most: inside store.MAX_BYTES (16 KB)
MAX_METER = 40  # meter values beyond this are dropped (oldest first) before any transaction message
START = "StartTransaction"
STOP = "StopTransaction"
METER = "MeterValues"


class TxQueue:
    """Entries [seq, action, payload, ref, unix or None, boot, ms, attempts]: ref is the local number of the
    transaction (its transactionId comes in StartTransaction's answer: refs maps one to the other); a time
    is Unix seconds when known at the time, else (boot, uptime ms), filled in when sent (cp.py)."""

    def __init__(self, path=None):
        self.path = path
        self.q = []
        self.refs = {}  # local ref (str) -> the central system's transactionId
        self.next_ref = 1
        self.seq = 0
        self.open = None  # the transaction going on, as stored: {"ref", "id_tag", "meter_start", ...}
        self.dirty = False
        self.dropped = 0  # meter values (or, past every limit, transaction messages) dropped since boot
        self.next_ms = 0  # the head is not sent before this uptime (its retry interval)

    def __len__(self):
        return len(self.q)

    def new_ref(self):
        r = self.next_ref
        self.next_ref += 1
        self.dirty = True
        return r

    def add(self, action, payload, ref, unix, boot, ms):
        self.seq += 1
        self.q.append([self.seq, action, payload, ref, unix, boot, ms, 0])
        self.dirty = True
        self._trim()

    def _trim(self):
        meters = 0
        for e in self.q:
            if e[1] == METER:
                meters += 1
        while (meters > MAX_METER or len(self.q) > MAX_ENTRIES) and meters:
            for i in range(len(self.q)):
                if self.q[i][1] == METER:
                    self.q.pop(i)
                    meters -= 1
                    self.dropped += 1
                    break
        while len(self.q) > MAX_ENTRIES:  # nothing but transactions left: the oldest goes (never seen so far)
            self.q.pop(0)
            self.dropped += 1

    def head(self):
        return self.q[0] if self.q else None

    def done(self):
        """The central system answered the head."""
        self.q.pop(0)
        self.dirty = True

    def failed(self, now_ms, attempts, interval_s):
        """The head failed (CALLERROR or no answer): retried after interval x attempts so far, dropped after
        `attempts` tries (TransactionMessageAttempts). True if it was dropped."""
        e = self.q[0]
        e[7] += 1
        self.dirty = True
        if e[7] >= attempts:
            self.q.pop(0)
            self.dropped += 1
            return True
        self.next_ms = now_ms + interval_s * 1000 * e[7]
        return False

    def drop_ref(self, ref):
        """The transaction ref will never get an id (its StartTransaction was dropped): its messages go."""
        n = len(self.q)
        self.q = [e for e in self.q if e[3] != ref]
        self.dropped += n - len(self.q)
        self.dirty = True

    def text(self):
        return dumps({"schema": SCHEMA, "q": self.q, "refs": self.refs, "next_ref": self.next_ref,
                      "open": self.open}) + "\n"

    def save(self):
        """Write to flash now (the caller checked that the contactor is open). True on success."""
        if self.path is None:
            self.dirty = False
            return True
        try:
            store.write_atomic(self.path, self.text())
        except OSError:
            return False
        self.dirty = False
        return True

    def load(self):
        """Read the flash copy; a missing or bad one gives an empty queue. Never raises. Returns warnings."""
        if self.path is None:
            return []
        try:
            obj, problem = store.load(self.path)
            if obj is None:
                return [] if problem is None else ["ocpp: queue file %s, starting empty" % problem]
            q = obj.get("q")
            refs = obj.get("refs")
            nr = obj.get("next_ref")
            if obj.get("schema") != SCHEMA or not isinstance(q, list) or not isinstance(refs, dict) \
                    or not isinstance(nr, int):
                return ["ocpp: queue file of an unknown schema, starting empty"]
            good = []
            for e in q:
                if (isinstance(e, list) and len(e) == 8 and e[1] in (START, STOP, METER) and isinstance(e[2], dict)
                        and isinstance(e[3], int) and isinstance(e[6], int) and isinstance(e[7], int)):
                    good.append(e)
            self.q = good
            for e in good:
                if e[0] > self.seq:
                    self.seq = e[0]
            self.refs = {}
            for k in refs:
                if isinstance(refs[k], int):
                    self.refs[str(k)] = refs[k]
            self.next_ref = nr
            op = obj.get("open")
            self.open = op if isinstance(op, dict) else None
            return [] if len(good) == len(q) else ["ocpp: %d bad queue entries dropped" % (len(q) - len(good))]
        except Exception:
            self.q = []
            return ["ocpp: queue file unreadable, starting empty"]
