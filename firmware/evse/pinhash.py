# The console PIN is stored as a salted, iterated SHA-256, never as the digits: settings.json can be read
# by anyone with the REPL, mpremote or a flash dump. (A 4..8 digit PIN is small: the hash keeps it from
# being read off the file; the lockout in commands.py is what slows guessing.)
import binascii
import hashlib

from .compat import const

ROUNDS = const(100)  # about 2 ms on an RP2040 (hashlib in C): short enough for the console task
_TAG = "s1"  # format: s1$<salt, 16 hex digits>$<digest, 64 hex digits>
_SALT_BYTES = const(8)


def _salt():
    try:
        import os

        b = os.urandom(_SALT_BYTES)  # the boards' hardware RNG
    except (ImportError, AttributeError, OSError):
        import random  # ports without os.urandom (the webassembly engine)

        b = bytes([random.getrandbits(8) for _ in range(_SALT_BYTES)])
    return binascii.hexlify(b).decode()


def _digest(pin, salt):
    d = (salt + "$" + pin).encode()
    for _ in range(ROUNDS):
        d = hashlib.sha256(d).digest()
    return binascii.hexlify(d).decode()


def make(pin, salt=None):
    """The stored form of pin (a str of digits)."""
    if salt is None:
        salt = _salt()
    return "%s$%s$%s" % (_TAG, salt, _digest(pin, salt))


def is_hash(v):
    """True if v has the stored form."""
    if not isinstance(v, str):
        return False
    parts = v.split("$")
    if len(parts) != 3 or parts[0] != _TAG or len(parts[1]) != 2 * _SALT_BYTES or len(parts[2]) != 64:
        return False
    for c in parts[1] + parts[2]:
        if c not in "0123456789abcdef":
            return False
    return True


def check(pin, stored):
    """True if pin matches the stored form; compared in time independent of where they differ."""
    if not is_hash(stored) or not isinstance(pin, str):
        return False
    salt = stored.split("$")[1]
    a = make(pin, salt)
    d = 0
    for i in range(len(a)):
        d |= ord(a[i]) ^ ord(stored[i])
    return d == 0
