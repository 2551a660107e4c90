# Web logins: the password check (web_password, else the console PIN), a lockout after wrong guesses, and a
# small fixed table of sessions, each with its cookie token, its CSRF token and its expiry. No I/O, no clock
# of its own: every call takes now_ms (docs/web.md "Security").
from evse import pinhash
from evse.compat import const

SESSION_MS = const(1800000)  # a login lasts 30 minutes from the last write, then the cookie is refused
MAX_SESSIONS = const(4)  # the oldest login goes when a fifth logs in: RAM stays bounded
# Wrong passwords: pinhash.Lockout, as the console PIN's (3 tries, then 30 s doubling up to 64 min).
_TOKEN_BYTES = const(16)


def _token():
    return pinhash.random_hex(_TOKEN_BYTES)


def same(a, b):
    """a == b for two str, in a time that does not depend on where they differ."""
    if not isinstance(a, str) or not isinstance(b, str) or len(a) != len(b):
        return False
    d = 0
    for i in range(len(a)):
        d |= ord(a[i]) ^ ord(b[i])
    return d == 0


def _elapsed(now, t0):
    return (now - t0) & 0x3FFFFFFF


class Auth:
    """Auth(settings): settings.values holds web_password and pin (both salted hashes, or "")."""

    def __init__(self, settings):
        self.settings = settings
        self.sessions = []  # [token, csrf, last use ms]
        self.guesses = pinhash.Lockout()
        self.failures = 0  # wrong passwords since boot (shown in the status of the web side)

    def stored(self):
        """The hash a login is checked against: web_password, else the PIN; "" when neither is set."""
        v = self.settings.values
        return v.get("web_password", "") or v.get("pin", "")

    def login(self, password, now):
        """(ok, code, text, session): code 0, or errcodes-like numbers 14 (no password set), 11 (wrong),
        12 (locked out). A session is (token, csrf)."""
        wait = self.guesses.wait_s(now)
        if wait:
            return False, 12, "too many wrong passwords, wait %d s" % wait, None
        h = self.stored()
        if not h:
            return False, 14, "no web_password and no PIN set: set one on the console first", None
        if not isinstance(password, str) or len(password) > 64 or not pinhash.check(password, h):
            self.failures += 1
            ms = self.guesses.bad(now)
            if not ms:
                return False, 11, "wrong password", None
            return False, 11, "wrong password, next try in %d s" % (ms // 1000), None
        self.guesses.good()
        self._expire(now)
        if len(self.sessions) >= MAX_SESSIONS:
            self.sessions.pop(0)
        s = [_token(), _token(), now]
        self.sessions.append(s)
        return True, 0, "logged in", (s[0], s[1])

    def _expire(self, now):
        self.sessions = [s for s in self.sessions if _elapsed(now, s[2]) < SESSION_MS]

    def find(self, token, now):
        """The live session of a cookie token, or None."""
        if not token:
            return None
        self._expire(now)
        for s in self.sessions:
            if same(s[0], token):
                return s
        return None

    def check(self, token, csrf, now):
        """0 if token is a live session and csrf its CSRF token (its use renews it), else a reason:
        1 not logged in or expired, 2 CSRF token missing or wrong."""
        s = self.find(token, now)
        if s is None:
            return 1
        if not same(s[1], csrf):
            return 2
        s[2] = now
        return 0

    def logout(self, token, now):
        s = self.find(token, now)
        if s is not None:
            self.sessions.remove(s)
