# Issue 11, meters: what the meter code claims does not allocate, proven under micropython.heap_lock()
# (any allocation raises MemoryError and fails the test): the CRC, building a request, receiving and
# checking an answer byte by byte on every path (good, bad CRC, exception, timeout, draining), reading a
# register, the S0 ISR, publishing a reading and the plausibility rules. Once the buffers exist the
# master's request/parse path allocates nothing; decoding a float (meter/rtu.py) does, in the meter task,
# and is not claimed here. On CPython there is no heap lock: the same calls run unlocked.
from meter import reasons
from meter.modbus import PENDING, READ_INPUT, Master, crc16
from meter.plausible import Plausible
from meter.reading import Reading
from meter.s0 import S0Meter
from tools.meter_sim import MeterSim, SimUart, VTime

try:
    import micropython

    _lock = getattr(micropython, "heap_lock", None)
    _unlock = getattr(micropython, "heap_unlock", None)
except ImportError:
    _lock = _unlock = None


_OUT = [None]  # the locked call's result (a tuple built inside the lock would itself allocate)


def _call(fn, a, b, c, d, n):
    if n == 0:
        _OUT[0] = fn()
    elif n == 1:
        _OUT[0] = fn(a)
    elif n == 2:
        _OUT[0] = fn(a, b)
    elif n == 3:
        _OUT[0] = fn(a, b, c)
    else:
        _OUT[0] = fn(a, b, c, d)


def _locked(fn, *args):
    """(result, allocated) of fn(*args) with the heap locked (allocated is False where no lock exists).
    The arguments are unpacked before the lock: a call with *args allocates on MicroPython."""
    n = len(args)
    a = list(args) + [None] * (4 - n)
    if _lock is None:
        _call(fn, a[0], a[1], a[2], a[3], n)
        return _OUT[0], False
    allocated = False
    _lock()
    try:
        _call(fn, a[0], a[1], a[2], a[3], n)
    except MemoryError:
        allocated = True
    finally:
        _unlock()
    return (None if allocated else _OUT[0]), allocated


def test_the_heap_lock_catches_an_allocation():
    if _lock is None:
        return
    _res, allocated = _locked(lambda: [1, 2, 3])
    assert allocated


def _receive(kind_fault=None):
    """Send one request to the simulated meter, then poll its answer under the lock, one virtual ms at a
    time; returns (status, allocated anywhere)."""
    vt = VTime(1000)
    sim = MeterSim("sdm630")
    sim.load(16.0)
    if kind_fault == "crc":
        sim.corrupt_crc = True
    elif kind_fault == "exception":
        sim.exception = 4
    elif kind_fault == "silent":
        sim.silent = True
    uart = SimUart(sim, vt.clock)
    m = Master(uart, None, clock=vt.clock, sleep_ms=vt.sleep_ms, timeout_ms=100)
    tx, allocated = _locked(m.request, 1, READ_INPUT, 0, 18)
    uart.write(tx)
    _r, a = _locked(m.begin, vt.clock())
    allocated = allocated or a
    for _ in range(300):
        st, a = _locked(m.poll, vt.clock())
        allocated = allocated or a
        if st != PENDING:
            break
        vt.step(1)
    if st == reasons.OK:
        v, a = _locked(m.u16, 17)
        allocated = allocated or a
        assert v == 0  # low word of 3680.0 W: 0x4566 0x0000
        _r, a = _locked(m.drain, vt.clock())
        allocated = allocated or a
    return st, allocated


def test_crc_and_request_building_allocate_nothing():
    buf = bytearray(b"\x01\x04\x00\x00\x00\x02")
    crc16(buf, 6)  # the table exists from here on
    c, allocated = _locked(crc16, buf, 6)
    assert c == 0xCB71 and not allocated


def test_receiving_and_checking_an_answer_allocates_nothing_on_any_path():
    for fault, want in ((None, reasons.OK), ("crc", reasons.CRC), ("exception", reasons.EXCEPTION),
                        ("silent", reasons.TIMEOUT)):
        st, allocated = _receive(fault)
        assert st == want, (fault, st)
        assert not allocated, fault


def test_the_s0_isr_allocates_nothing():
    vt = VTime(1000)
    m = S0Meter(1000, clock=vt.clock)
    isr = m.isr
    for i in range(5):
        _r, allocated = _locked(isr, None)
        assert not allocated, i
        vt.step(400)
    assert m.count == 5 and m.dt == 400


def test_publishing_and_judging_a_reading_allocate_nothing():
    src = Reading(3)
    dst = Reading(3)
    src.power_w = 11040
    src.current_ma[1] = 16000
    src.voltage_dv[2] = 2300
    src.energy_wh = 123456
    p = Plausible(3, 100000)
    p.judge(src, 0)
    src.energy_wh += 3
    r, allocated = _locked(p.judge, src, 1000)  # a 1 s poll period
    assert r == reasons.OK and not allocated
    _r, allocated = _locked(dst.publish, src, r, 1000, 2)
    assert not allocated and dst.energy_wh == 123459 and dst.current_ma[1] == 16000
    _r, allocated = _locked(dst.publish, src, reasons.TIMEOUT, 2000, 1)
    assert not allocated and dst.lost
