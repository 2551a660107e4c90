# Deterministic xorshift32 PRNG: identical sequences on CPython and MicroPython, seeded per scenario.

_MASK32 = 0xFFFFFFFF
_ZERO_SEED = 0x9E3779B9  # xorshift is stuck at 0: a zero seed is replaced by this constant


class Prng:
    """xorshift32 (Marsaglia 2003, shifts 13/17/5), every step masked to 32 bits."""

    def __init__(self, seed):
        seed = seed & _MASK32
        self.state = seed if seed else _ZERO_SEED

    def next32(self):
        """Next value in 1 .. 2**32 - 1."""
        x = self.state
        x ^= (x << 13) & _MASK32
        x ^= x >> 17
        x ^= (x << 5) & _MASK32
        self.state = x
        return x

    def noise(self, amplitude):
        """Integer in [-amplitude, amplitude] (0 when amplitude <= 0)."""
        if amplitude <= 0:
            return 0
        return self.next32() % (2 * amplitude + 1) - amplitude
