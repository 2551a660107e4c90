# OCPP-J framing (OCPP-J 1.6 section 4): CALL [2, id, action, payload], CALLRESULT [3, id, payload],
# CALLERROR [4, id, code, description, details]; the check of an incoming payload against its message's
# shape, with the spec's error codes. No I/O.
import json

from .jsonw import dumps
from . import clock

CALL = 2
RESULT = 3
ERROR = 4

MAX_ID = 36  # a message id is at most 36 characters (OCPP-J 1.6 4.1.4)

# Error codes (OCPP-J 1.6 4.2.3)
NOT_IMPLEMENTED = "NotImplemented"  # the action is not known
NOT_SUPPORTED = "NotSupported"  # known but not supported here
INTERNAL = "InternalError"
PROTOCOL = "ProtocolError"  # a required field missing ("payload incomplete"; as the PyPI ocpp library says)
FORMATION = "FormationViolation"  # not JSON, not a frame, not the message's structure, unknown fields
PROPERTY = "PropertyConstraintViolation"  # a field with an invalid value (an enum, a date-time)
OCCURENCE = "OccurenceConstraintViolation"  # a required field missing, too few or many items (spec spelling)
TYPE = "TypeConstraintViolation"  # a field of the wrong type, out of its range or too long
GENERIC = "GenericError"


class RpcError(Exception):
    def __init__(self, code, desc):
        super().__init__(desc)
        self.code = code
        self.desc = desc


def call(uid, action, payload):
    return dumps([CALL, uid, action, payload])


def result(uid, payload):
    return dumps([RESULT, uid, payload])


def error(uid, code, desc):
    return dumps([ERROR, uid, code, desc[:255], {}])


def parse(text):
    """(kind, id, action or None, payload, error code or None, description) of a frame. A frame that is not
    one gives (None, id or "-1", None, None, FORMATION, why): answer it with error(). Never raises."""
    try:
        msg = json.loads(text)
    except Exception:  # ValueError; MemoryError/RecursionError on hostile input
        return None, "-1", None, None, FORMATION, "not JSON"
    if not isinstance(msg, list) or len(msg) < 3:
        return None, "-1", None, None, FORMATION, "not an OCPP-J frame"
    kind = msg[0]
    uid = msg[1]
    if not isinstance(uid, str) or not uid or len(uid) > MAX_ID:
        return None, "-1", None, None, FORMATION, "bad message id"
    if kind == CALL:
        if len(msg) != 4 or not isinstance(msg[2], str):
            return None, uid, None, None, FORMATION, "a CALL is [2, id, action, payload]"
        if not isinstance(msg[3], dict):
            return CALL, uid, msg[2], None, FORMATION, "payload is not an object"
        return CALL, uid, msg[2], msg[3], None, ""
    if kind == RESULT:
        if len(msg) != 3:
            return None, uid, None, None, FORMATION, "a CALLRESULT is [3, id, payload]"
        return RESULT, uid, None, msg[2], None, ""
    if kind == ERROR:
        if len(msg) < 4 or not isinstance(msg[2], str):
            return None, uid, None, None, FORMATION, "a CALLERROR is [4, id, code, description, details]"
        return ERROR, uid, None, msg[2], None, str(msg[3])[:80] if len(msg) > 3 else ""
    return None, uid, None, None, FORMATION, "unknown message type"


# ---- payload shapes. A shape is a dict: field -> (type, required, extra). Types:
# "i" integer (extra (lo, hi) or None), "n" number (extra (lo, hi)), "s" string (extra: max length),
# "b" boolean, "t" date-time, "e" one of extra (a tuple), "o" object (extra: its shape),
# "a" array (extra: (item type, item extra, min items, max items)), "x" anything (DataTransfer's data).

def _is_int(v):
    return isinstance(v, int) and v is not True and v is not False


def _is_num(v):
    return (_is_int(v) or isinstance(v, float)) and v == v  # not NaN


def check(payload, shape, where=""):
    """None if payload fits shape, else (error code, description)."""
    if not isinstance(payload, dict):
        return FORMATION, where + " is not an object"
    for k in payload:
        if k not in shape:
            return FORMATION, "unknown field " + where + str(k)[:40]
    for k in sorted(shape):
        t, req, extra = shape[k]
        if k not in payload:
            if req:
                return PROTOCOL, "missing " + where + k
            continue
        bad = _value(payload[k], t, extra, where + k)
        if bad is not None:
            return bad
    return None


def _value(v, t, extra, name):
    if t == "i" or t == "n":
        if not (_is_int(v) if t == "i" else _is_num(v)):
            return TYPE, name + " is not " + ("an integer" if t == "i" else "a number")
        if extra is not None and not (extra[0] <= v <= extra[1]):
            return TYPE, name + " out of range"
        return None
    if t == "s":
        if not isinstance(v, str):
            return TYPE, name + " is not a string"
        if len(v) > extra:
            return TYPE, name + " longer than %d" % extra
        return None
    if t == "b":
        if v is not True and v is not False:
            return TYPE, name + " is not a boolean"
        return None
    if t == "t":
        if not isinstance(v, str):
            return TYPE, name + " is not a string"
        if clock.parse_iso(v) is None:
            return PROPERTY, name + " is not a date-time"
        return None
    if t == "e":
        if not isinstance(v, str):
            return TYPE, name + " is not a string"
        if v not in extra:
            return PROPERTY, name + " is not one of its values"
        return None
    if t == "o":
        return check(v, extra, name + ".")
    if t == "a":
        if not isinstance(v, list):
            return TYPE, name + " is not an array"
        it, ix, lo, hi = extra
        if len(v) < lo or (hi is not None and len(v) > hi):
            return OCCURENCE, name + " has too few or too many items"
        for e in v:
            bad = _value(e, it, ix, name + "[]")
            if bad is not None:
                return bad
        return None
    return None  # "x": anything
