# The charge point's OCPP configuration keys (OCPP 1.6 section 9): type, access, range and default. Values
# are kept typed (bool, int, str); GetConfiguration shows them as text. Read-only keys are rejected by
# ChangeConfiguration; changed read-write keys are stored by cp.py with the charging profiles.
from .msgs import MEASURANDS

B = 0  # "true"/"false"
I = 1  # an integer in lo..hi
CSL = 2  # a comma-separated list of measurands (at most hi of them)
S = 3  # free text up to hi characters

R = True  # read-only
RW = False

_N = 2147483647

# name, type, read-only, default, lo, hi; sorted by name
KEYS = (
    ("AllowOfflineTxForUnknownId", B, RW, False, 0, 0),
    ("AuthorizationCacheEnabled", B, RW, True, 0, 0),
    ("AuthorizeRemoteTxRequests", B, RW, True, 0, 0),
    ("ChargeProfileMaxStackLevel", I, R, 8, 0, 0),
    ("ChargingScheduleAllowedChargingRateUnit", S, R, "Current,Power", 0, 0),
    ("ChargingScheduleMaxPeriods", I, R, 24, 0, 0),
    ("ClockAlignedDataInterval", I, RW, 0, 0, 86400),
    ("ConnectionTimeOut", I, RW, 60, 1, 3600),
    ("ConnectorPhaseRotation", S, RW, "NotApplicable", 0, 100),
    ("ConnectorPhaseRotationMaxLength", I, R, 1, 0, 0),
    ("ConnectorSwitch3to1PhaseSupported", B, R, False, 0, 0),
    ("GetConfigurationMaxKeys", I, R, 40, 0, 0),
    ("HeartbeatInterval", I, RW, 300, 0, 86400),
    ("LocalAuthorizeOffline", B, RW, False, 0, 0),
    ("LocalPreAuthorize", B, RW, False, 0, 0),
    ("MaxChargingProfilesInstalled", I, R, 8, 0, 0),
    ("MeterValueSampleInterval", I, RW, 60, 0, 86400),
    ("MeterValuesAlignedData", CSL, RW, "Energy.Active.Import.Register", 0, 4),
    ("MeterValuesAlignedDataMaxLength", I, R, 4, 0, 0),
    ("MeterValuesSampledData", CSL, RW, "Energy.Active.Import.Register,Power.Active.Import,Current.Import", 0, 4),
    ("MeterValuesSampledDataMaxLength", I, R, 4, 0, 0),
    ("MinimumStatusDuration", I, RW, 0, 0, 3600),
    ("NumberOfConnectors", I, R, 1, 0, 0),
    ("ResetRetries", I, RW, 1, 0, 10),
    ("StopTransactionOnEVSideDisconnect", B, RW, True, 0, 0),
    ("StopTransactionOnInvalidId", B, RW, True, 0, 0),
    ("StopTxnAlignedData", CSL, RW, "", 0, 4),
    ("StopTxnAlignedDataMaxLength", I, R, 4, 0, 0),
    ("StopTxnSampledData", CSL, RW, "Energy.Active.Import.Register", 0, 4),
    ("StopTxnSampledDataMaxLength", I, R, 4, 0, 0),
    ("SupportedFeatureProfiles", S, R, "Core,SmartCharging,RemoteTrigger", 0, 0),
    ("SupportedFeatureProfilesMaxLength", I, R, 3, 0, 0),
    ("TransactionMessageAttempts", I, RW, 3, 1, 100),
    ("TransactionMessageRetryInterval", I, RW, 60, 1, 86400),
    ("UnlockConnectorOnEVSideDisconnect", B, R, True, 0, 0),
    ("WebSocketPingInterval", I, RW, 60, 0, 3600),
)

ACCEPTED = "Accepted"
REJECTED = "Rejected"
NOT_SUPPORTED = "NotSupported"


def find(name):
    for k in KEYS:
        if k[0] == name:
            return k
    return None


def text(key, v):
    if key[1] == B:
        return "true" if v else "false"
    return str(v)


def parse(key, t):
    """(ok, typed value) for the text t given for key."""
    kind = key[1]
    if kind == B:
        lo = t.lower()
        if lo == "true":
            return True, True
        if lo == "false":
            return True, False
        return False, None
    if kind == I:
        s = t[1:] if t[:1] == "-" else t
        if not s or len(s) > 10:
            return False, None
        for c in s:
            if not "0" <= c <= "9":
                return False, None
        v = int(t)
        if not key[4] <= v <= key[5]:
            return False, None
        return True, v
    if kind == CSL:
        if t == "":
            return True, ""
        parts = t.split(",")
        if len(parts) > key[5]:
            return False, None
        out = []
        for p in parts:
            p = p.strip()
            if p not in MEASURANDS or p in out:
                return False, None
            out.append(p)
        return True, ",".join(out)
    if len(t) > key[5]:
        return False, None
    return True, t


class Config:
    """The values in force: defaults, then what was stored, then ChangeConfiguration."""

    def __init__(self):
        self.v = {}
        for k in KEYS:
            self.v[k[0]] = k[3]
        self.changed = False  # a read-write key changed since the last store

    def __getitem__(self, name):
        return self.v[name]

    def change(self, name, t):
        """ChangeConfiguration: Accepted, Rejected (read-only key or bad value) or NotSupported (unknown)."""
        k = find(name)
        if k is None:
            return NOT_SUPPORTED
        if k[2]:
            return REJECTED
        ok, v = parse(k, t)
        if not ok:
            return REJECTED
        if self.v[name] != v:
            self.v[name] = v
            self.changed = True
        return ACCEPTED

    def get(self, names):
        """GetConfiguration: ([{key, readonly, value}], [unknown names]); every key when names is empty."""
        known = []
        unknown = []
        if not names:
            names = [k[0] for k in KEYS]
        for n in names:
            k = find(n)
            if k is None:
                if n not in unknown:
                    unknown.append(n)
            else:
                known.append({"key": n, "readonly": k[2], "value": text(k, self.v[n])})
        return known, unknown

    def stored(self):
        """The read-write values that differ from their defaults (for the flash copy)."""
        out = {}
        for k in KEYS:
            if not k[2] and self.v[k[0]] != k[3]:
                out[k[0]] = self.v[k[0]]
        return out

    def load(self, d):
        """Take stored values; bad or unknown ones are ignored."""
        if not isinstance(d, dict):
            return
        for name in d:
            k = find(name)
            v = d[name]
            if k is None or k[2]:
                continue
            ok, tv = parse(k, text(k, v) if (v is True or v is False) else str(v))
            if ok:
                self.v[name] = tv

    def measurands(self, name):
        t = self.v[name]
        return t.split(",") if t else []
