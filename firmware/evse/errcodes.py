# Numbered error codes of the console (`ERR <code> <message>`); docs/console.md lists them.
from .compat import const

UNKNOWN_COMMAND = const(1)  # no such command
USAGE = const(2)  # wrong number or shape of arguments
UNKNOWN_SETTING = const(3)  # no such setting
BAD_VALUE = const(4)  # value of the wrong type / not one of the choices
LINE_TOO_LONG = const(5)  # more than 120 bytes before CR/LF: line discarded
OUT_OF_RANGE = const(6)  # number (or PIN length) outside the setting's range
CONFLICT = const(7)  # valid alone, but conflicts with another setting
CONTROL_BYTE = const(8)  # a control byte other than BS, DEL, TAB, CR, LF in the line
BAD_UTF8 = const(9)  # the line is not valid UTF-8
LOCKED = const(10)  # a PIN is set: `unlock <pin>` first
WRONG_PIN = const(11)  # unlock with the wrong PIN
LOCKED_OUT = const(12)  # too many wrong PINs: wait
STORAGE = const(13)  # flash write failed
REFUSED = const(14)  # the charger refused the request now (e.g. self-test while charging)
SESSION = const(15)  # an installation setting cannot change while a session is live: unplug first
RATE_LIMITED = const(16)  # too many commands from a network front end: dropped unread (MQTT)
INTERNAL = const(99)  # unexpected exception: nothing was changed
