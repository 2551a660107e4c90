# Fake machine module for the virtual board: Pin, Signal, ADC, PWM, Timer, WDT backed by the Kernel in
# tools/vboard/kernel.py (virtual time, the bench's circuit models, IRQs with latency jitter); UART backed
# by a host serial device (a pseudo-terminal), so a meter on the host answers the firmware's Modbus master.
# Methods the firmware may call from an ISR (Pin.value, Signal.value/on/off, ADC.read_u16, PWM.duty_u16)
# do not allocate while virtual time is below 2**30 us.
from tools.vboard import clock as _c

PWRON_RESET = 1
WDT_RESET = 3
SOFT_RESET = 5


def _k():
    k = _c.K
    if k is None:
        raise OSError("no virtual board running")
    return k


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, id, mode=-1, pull=-1, value=None, **kw):
        self._k = _k()
        self._s = self._k.pin(id)
        self.init(mode, pull, value)

    def init(self, mode=-1, pull=-1, value=None, **kw):
        s = self._s
        if mode != -1:
            s.mode = mode
            s.pwm = None  # the pin's function goes back to GPIO
        if value is not None:
            s.out = 1 if value else 0
        self._k.pin_written(s)

    def value(self, v=None):
        # May run in interrupt context. No allocation.
        s = self._s
        if v is None:
            return self._k.level(s)
        s.out = 1 if v else 0
        self._k.pin_written(s)
        return None

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def irq(self, handler=None, trigger=3, hard=False, **kw):
        s = self._s
        s.handler = handler
        s.trigger = trigger
        s.hard = hard
        s.irq_obj = self
        self._k.irq_changed(s)
        return _Irq(s)

    def __repr__(self):
        return "Pin(%r)" % (self._s.id,)


class _Irq:
    def __init__(self, s):
        self._s = s

    def flags(self):
        return self._s.trigger

    def trigger(self, t=None):
        # May run in interrupt context (the sampler arms and disarms its edge IRQ). No allocation.
        # As on rp2 and esp32: a new trigger reconfigures the pin's interrupt (0: disabled).
        if t is None:
            return self._s.trigger
        self._s.trigger = t
        return 0


class Signal:
    def __init__(self, pin, invert=False):
        self._pin = pin
        self._inv = 1 if invert else 0

    def value(self, v=None):
        # May run in interrupt context. No allocation.
        if v is None:
            return self._pin.value() ^ self._inv
        self._pin.value((1 if v else 0) ^ self._inv)
        return None

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


class ADC:
    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3
    CORE_TEMP = 4

    def __init__(self, pin, atten=None, **kw):
        self._k = _k()
        pid = pin._s.id if isinstance(pin, Pin) else pin
        self._read = self._k.adc_source(pid)

    def read_u16(self):
        # May run in interrupt context. No allocation.
        return self._read()

    def read_uv(self):
        return self._k.adc_uv(self._read())


class PWM:
    def __init__(self, pin, freq=None, duty_u16=None, duty_ns=None, **kw):
        self._k = _k()
        self._s = pin._s
        self._p = self._k.pwm_attach(self._s)
        if freq is not None:
            self.freq(freq)
        if duty_u16 is not None:
            self.duty_u16(duty_u16)
        if duty_ns is not None:
            self.duty_ns(duty_ns)

    def freq(self, f=None):
        if f is None:
            return self._p.freq
        self._p.set_freq(f, self._k.now_us)
        self._k.pin_written(self._s)
        return None

    def duty_u16(self, d=None):
        # May run in interrupt context. No allocation.
        if d is None:
            return self._p.duty
        self._p.set_duty(d)
        self._k.pin_written(self._s)
        return None

    def duty_ns(self, ns=None):
        p = self._p
        if ns is None:
            return p.duty * p.period_ns() // 65535
        self.duty_u16(ns * 65535 // p.period_ns())
        return None

    def deinit(self):
        self._p.set_duty(0)
        self._s.pwm = None
        self._k.pin_written(self._s)

    def init(self, freq=None, duty_u16=None, **kw):
        self._s.pwm = self._p
        if freq is not None:
            self.freq(freq)
        if duty_u16 is not None:
            self.duty_u16(duty_u16)


class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, **kw):
        self._k = _k()
        self._t = None
        if kw:
            self.init(**kw)

    def init(self, mode=PERIODIC, period=-1, freq=-1, callback=None, hard=False, **kw):
        if hard and not self._k.hard_timers:  # esp32 1.29, ports/esp32/machine_timer.c
            raise ValueError("hard Timers are not implemented")
        if freq > 0:
            period = 1000 // freq
        self.deinit()
        self._t = self._k.timer_start(mode == Timer.PERIODIC, period, callback, self, hard)

    def deinit(self):
        if self._t is not None:
            self._k.timer_stop(self._t)
            self._t = None


class WDT:
    def __init__(self, id=0, timeout=5000):
        self._k = _k()
        self._k.wdt_start(timeout)

    def feed(self):
        self._k.wdt_feed()


UART_PATHS = {}  # UART id -> host device path; VBOARD_UART<id> in the environment does the same
UART_SIMS = {}  # UART id -> a simulated line in virtual time (tools.meter_sim.SimUart: a meter at its far end)


class UART:
    """machine.UART on a host serial device (a pty's slave side, a tty): bytes written go to the device at
    once, bytes the device sends wait here until read. Non-blocking as a UART with timeout=0: read() and
    readinto() take what has arrived. The line settings are accepted and not modelled (a pty has no baud
    rate). Needs no virtual board running: the Modbus tests use it on the unix port in real time."""

    def __init__(self, id, baudrate=9600, bits=8, parity=None, stop=1, tx=None, rx=None, timeout=0, **kw):
        import os

        sim = UART_SIMS.get(id)
        if sim is not None:  # the line's far end is a simulated meter (tools/vboard/vmain.py)
            self.id = id
            self.baudrate = baudrate
            self._f = None
            self.any = sim.any
            self.readinto = sim.readinto
            self.write = sim.write
            self.txdone = sim.txdone
            return
        path = UART_PATHS.get(id) or os.getenv("VBOARD_UART%d" % id)
        if not path:
            raise ValueError("vboard: UART(%d) has no host device: set VBOARD_UART%d=/dev/pts/N" % (id, id))
        self.id = id
        self.baudrate = baudrate
        self._pending = bytearray()  # arrived from the device, not read yet
        self._f = _HostTty(path)

    def init(self, baudrate=None, **kw):
        if baudrate is not None:
            self.baudrate = baudrate

    def _fill(self):
        data = self._f.read()
        if data:
            self._pending.extend(data)

    def any(self):
        self._fill()
        return len(self._pending)

    def read(self, n=-1):
        self._fill()
        p = self._pending
        if not p:
            return None  # as a UART with timeout=0 that has nothing
        if n < 0 or n > len(p):
            n = len(p)
        out = bytes(p[:n])
        self._pending = p[n:]
        return out

    def readinto(self, buf, n=-1):
        self._fill()
        p = self._pending
        if not p:
            return None
        if n < 0 or n > len(buf):
            n = len(buf)
        if n > len(p):
            n = len(p)
        for i in range(n):
            buf[i] = p[i]
        self._pending = p[n:]
        return n

    def write(self, buf):
        return self._f.write(buf)

    def flush(self):
        pass  # written bytes are with the host already

    def txdone(self):
        return True

    def deinit(self):
        if self._f is not None:
            self._f.close()


class _HostTty:
    """A host tty opened raw and non-blocking: os.open on CPython; on the unix port (no os.read), a file
    whose reads return at once because the tty's VMIN and VTIME are 0."""

    def __init__(self, path):
        import sys

        self._mp = sys.implementation.name == "micropython"
        if self._mp:
            import termios

            self._f = open(path, "r+b")
            fd = self._f.fileno()
            termios.setraw(fd)
            a = termios.tcgetattr(fd)
            a[6][5] = 0  # VTIME (Linux c_cc index 5)
            a[6][6] = 0  # VMIN (index 6): a read returns what is there, maybe nothing
            termios.tcsetattr(fd, termios.TCSANOW, a)
        else:
            import os
            import tty

            self._fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
            tty.setraw(self._fd)

    def read(self):
        if self._mp:
            return self._f.read(256)
        import os

        try:
            return os.read(self._fd, 256)
        except (BlockingIOError, OSError):
            return b""

    def write(self, buf):
        if self._mp:
            return self._f.write(buf)
        import os

        return os.write(self._fd, bytes(buf))

    def close(self):
        if self._mp:
            self._f.close()
        else:
            import os

            os.close(self._fd)


def reset():
    _k().reset(SOFT_RESET)


def soft_reset():
    _k().reset(SOFT_RESET)


def reset_cause():
    k = _c.K
    return PWRON_RESET if k is None else k.reset_cause


def freq(*a):
    return 125000000


def unique_id():
    return b"vboard01"


class _Mem:
    """machine.mem32: registers read back as written (the firmware sets NVIC priorities on rp2)."""

    def __init__(self):
        self.regs = {}

    def __getitem__(self, addr):
        return self.regs.get(addr, 0)

    def __setitem__(self, addr, v):
        self.regs[addr] = v & 0xFFFFFFFF


mem32 = _Mem()


def disable_irq():
    k = _k()
    was = k.irq_enabled
    k.irq_enabled = False
    return was


def enable_irq(state=True):
    _k().irq_enabled = bool(state)


def idle():
    pass


_ISIG = 0x1  # termios lflag ISIG on Linux (the unix port's termios module does not name it)


def kbd_intr(c):
    """micropython.kbd_intr as the chip's USB console does it: with -1, Ctrl-C reaches the console as a
    byte. On the unix port kbd_intr(-1) would leave SIGINT to its default (the interpreter would die), so
    the virtual board turns the terminal's ISIG off instead (and on again for 3)."""
    import sys

    if sys.implementation.name != "micropython":  # the in-process board under CPython: no console
        return
    try:
        import termios

        a = termios.tcgetattr(0)
    except Exception:  # stdin is no terminal (the in-process virtual board): nothing to model
        return
    if c == -1:
        a[3] &= ~_ISIG
    else:
        a[3] |= _ISIG
    termios.tcsetattr(0, termios.TCSANOW, a)
