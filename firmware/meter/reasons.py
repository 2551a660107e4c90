# Why the last meter poll gave no good reading: one small int, shared by the Modbus master and the meters.
from evse.compat import const

OK = const(0)
TIMEOUT = const(1)  # no answer within the response timeout (after every retry)
CRC = const(2)  # an answer whose CRC-16 did not match
EXCEPTION = const(3)  # the meter answered with a Modbus exception (0x83 / 0x84 and a code)
ADDRESS = const(4)  # an answer from another slave address
FRAME = const(5)  # wrong function code, byte count or length: a frame that is no answer to the request
NAN = const(6)  # a value register held NaN or infinity (or the meter's "not available" pattern)
NEGATIVE = const(7)  # lifetime energy below zero
BACKWARDS = const(8)  # lifetime energy lower than the last good reading
JUMP = const(9)  # lifetime energy rose faster than the meter's maximum power could make it
RANGE = const(10)  # a voltage, current or power outside what the meter can measure
ERROR = const(11)  # the meter code raised (a bug, a UART error): caught by the task, reported here
NONE = const(12)  # no meter is fitted (setting meter = "none")
STARTING = const(13)  # no poll has finished yet

# Names for the console, the trace and the docs, indexed by the codes above.
NAMES = ("ok", "timeout", "crc", "exception", "address", "frame", "nan", "negative", "backwards", "jump",
         "range", "error", "none", "starting")


def name(code):
    """The reason's name ("?" for a code this firmware does not know)."""
    return NAMES[code] if 0 <= code < len(NAMES) else "?"
