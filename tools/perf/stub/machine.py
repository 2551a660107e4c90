# Do-nothing hardware for measuring the firmware's own RAM after boot (make bench): every class the board
# adapters construct, with no behaviour and no state beyond a value. Not a simulation (see tools/vboard).
# SIGNALS and ADCS (each by pin number) let a measuring script (tools/perf/mp_step.py) set the level a Signal
# reads (._v, logical) and the counts an ADC reads (._c) to what a session gives; reads stay one attribute.

SIGNALS = {}
ADCS = {}


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, pin_id, mode=-1, pull=-1, value=None, **kw):
        self._v = value or 0
        self.id = pin_id

    def init(self, *a, **kw):
        pass

    def value(self, v=None):
        if v is None:
            return self._v
        self._v = v

    def irq(self, handler=None, trigger=0, hard=False):
        return _Irq()

    def on(self):
        self._v = 1

    def off(self):
        self._v = 0


class Signal:
    def __init__(self, pin, *a, invert=False, **kw):
        self._v = 0
        SIGNALS[pin.id] = self

    def value(self, v=None):
        if v is None:
            return self._v
        self._v = v

    def on(self):
        self._v = 1

    def off(self):
        self._v = 0


class PWM:
    def __init__(self, pin, freq=0, duty_u16=0, **kw):
        self._f = freq
        self._d = duty_u16

    def freq(self, f=None):
        if f is None:
            return self._f
        self._f = f

    def duty_u16(self, d=None):
        if d is None:
            return self._d
        self._d = d

    def deinit(self):
        pass


class ADC:
    ATTN_11DB = 3
    WIDTH_12BIT = 3

    def __init__(self, pin, *a, **kw):
        self._c = 32768
        ADCS[getattr(pin, "id", pin)] = self

    def read_u16(self):
        return self._c

    def atten(self, a):
        pass

    def width(self, w):
        pass


class _Irq:
    def trigger(self, t=None):
        return 0


class _Mem:
    def __getitem__(self, addr):
        return 0

    def __setitem__(self, addr, v):
        pass


mem32 = _Mem()


class UART:
    def __init__(self, uid, baudrate=9600, **kw):
        self.id = uid

    def any(self):
        return 0

    def readinto(self, buf, n=-1):
        return None

    def write(self, buf):
        return len(buf)

    def txdone(self):
        return True


class Timer:
    PERIODIC = 1
    ONE_SHOT = 0

    def __init__(self, *a, **kw):
        pass

    def init(self, *a, **kw):
        pass

    def deinit(self):
        pass


class WDT:
    def __init__(self, id=0, timeout=5000):
        pass

    def feed(self):
        pass


def reset():
    pass


def freq(f=None):
    return 125000000
