# The console PIN is stored as a salted, iterated SHA-256, never as the digits: settings.json can be read
# by anyone with the REPL, mpremote or a flash dump. (A 4..8 digit PIN is small: the hash keeps it from
# being read off the file; the Lockout below is what slows guessing, for the console PIN and the web login.)
import binascii
import hashlib

from .compat import const

ROUNDS = const(100)  # about 2 ms on an RP2040 (hashlib in C): short enough for the console task
_TAG = "s1"  # format: s1$<salt, 16 hex digits>$<digest, 64 hex digits>
_SALT_BYTES = const(8)


TRIES = const(3)  # wrong guesses before a lockout
LOCKOUT_MS = const(30000)  # the first lockout; doubles with each further one
LOCKOUT_MAX_MS = const(3840000)  # 30 s doubled 7 times (64 min): the cap


def random_hex(n):
    """n random bytes as 2n hex digits: salts, session and CSRF tokens."""
    try:
        import os

        b = os.urandom(n)  # the boards' hardware RNG
    except (ImportError, AttributeError, OSError):
        import random  # ports without os.urandom (the webassembly engine)

        b = bytes([random.getrandbits(8) for _ in range(n)])
    return binascii.hexlify(b).decode()


def _salt():
    return random_hex(_SALT_BYTES)


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


def _elapsed(now, t0):
    return (now - t0) & 0x3FFFFFFF


class Lockout:
    """Guessing, slowed: TRIES wrong guesses, then a lockout of LOCKOUT_MS that doubles with each further one
    up to LOCKOUT_MAX_MS. One per secret (the console PIN, the web login), whoever guesses: no per-caller
    table can grow, and changing caller or address buys no tries. Every call takes now_ms."""

    def __init__(self):
        self.wrong = 0  # wrong guesses since the last lockout
        self.lockouts = 0
        self.ms = 0  # the running lockout's length; 0: none
        self.t = 0

    def wait_s(self, now):
        """Seconds left of the running lockout (0: a guess may be checked now)."""
        if self.ms:
            gone = _elapsed(now, self.t)
            if gone < self.ms:
                return (self.ms - gone + 999) // 1000
            self.ms = 0
        return 0

    def good(self):
        self.wrong = 0
        self.lockouts = 0

    def bad(self, now):
        """A wrong guess: 0 if another try is allowed at once, else the lockout's length (ms) now started."""
        self.wrong += 1
        if self.wrong < TRIES:
            return 0
        ms = LOCKOUT_MS
        for _ in range(self.lockouts):
            ms *= 2
            if ms >= LOCKOUT_MAX_MS:
                ms = LOCKOUT_MAX_MS
                break
        self.lockouts += 1
        self.wrong = 0
        self.ms = ms
        self.t = now
        return ms
