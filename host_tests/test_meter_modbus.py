# Issue 11, meters: the firmware's Modbus RTU master (meter/modbus.py) against the simulated meter of
# tools/meter_sim.py in virtual time: CRC-16 vectors, request framing, the checks on an answer (address,
# function, byte count, CRC, exception responses), timeouts and retries, the RS-485 driver-enable pin, and
# the three register maps decoded to integers. Plain asserts: CPython, the unix port and webassembly.
from meter import maps
from meter.modbus import PENDING, READ_HOLDING, READ_INPUT, Master, crc16
from meter.reasons import ADDRESS, CRC, EXCEPTION, FRAME, NAN, OK, TIMEOUT
from meter.rtu import ModbusMeter
from tools.meter_sim import MeterSim, SimUart, VTime, frame
from tools.meter_sim import crc16 as bitwise_crc16


class DePin:
    """The transceiver's DE input as a Pin: records (ms, level) at each write."""

    def __init__(self, clock):
        self.clock = clock
        self.level = 0
        self.log = []

    def value(self, v=None):
        if v is None:
            return self.level
        self.level = 1 if v else 0
        self.log.append((self.clock(), self.level))
        return None


def _rig(kind="sdm630", baud=9600, retries=2, timeout_ms=500, de=False):
    vt = VTime(1000)
    sim = MeterSim(kind)
    uart = SimUart(sim, vt.clock, baud)
    pin = DePin(vt.clock) if de else None
    m = Master(uart, pin, baud, timeout_ms=timeout_ms, retries=retries, clock=vt.clock, sleep_ms=vt.sleep_ms)
    return vt, sim, uart, m, pin


def test_crc16_matches_the_published_vectors():
    # 01 04 00 00 00 02 -> CRC 71 CB (low byte first on the wire), the SDM630 voltage L1 request.
    req = bytes((0x01, 0x04, 0x00, 0x00, 0x00, 0x02))
    assert crc16(req, 6) == 0xCB71
    assert bitwise_crc16(req) == 0xCB71
    # CRC-16/MODBUS check value: "123456789" -> 0x4B37 (the CRC catalogue's check string).
    assert crc16(b"123456789", 9) == 0x4B37
    # 01 03 00 00 00 0A -> C5 CD (read 10 holding registers, the Modbus serial line guide's example).
    assert crc16(bytes((1, 3, 0, 0, 0, 10)), 6) == 0xCDC5
    for n in range(0, 40, 7):  # table and bit-by-bit agree
        data = bytes((i * 37 + n) & 0xFF for i in range(n))
        assert crc16(data, n) == bitwise_crc16(data)


def test_a_read_request_is_address_function_start_count_and_crc_low_byte_first():
    _vt, _sim, _uart, m, _ = _rig()
    tx = m.request(1, READ_INPUT, 0x0000, 2)
    assert bytes(tx) == bytes((0x01, 0x04, 0x00, 0x00, 0x00, 0x02, 0x71, 0xCB))
    tx = m.request(247, READ_HOLDING, 0x5B00, 28)
    assert bytes(tx[:6]) == bytes((247, 3, 0x5B, 0x00, 0, 28))
    c = crc16(tx, 6)
    assert tx[6] == c & 0xFF and tx[7] == c >> 8
    for bad in ((0, 4, 0, 2), (248, 4, 0, 2), (1, 6, 0, 2), (1, 4, 0, 0), (1, 4, 0, 41)):
        try:
            m.request(*bad)
        except ValueError:
            continue
        raise AssertionError("request %r accepted" % (bad,))


def test_good_reads_of_every_map_decode_to_integers():
    """Each meter kind: voltage (V*10), current (mA), power (W), lifetime energy (Wh) as ints."""
    for kind in ("sdm120", "sdm630", "abb_b23"):
        vt, sim, uart, m, _ = _rig(kind)
        sim.load(31.7, 229.4)
        sim.energy_wh = 1234567.0
        mt = ModbusMeter(m, maps.get(kind))
        assert vt.run(mt.sample(vt.clock())) == OK, kind
        s = mt.staging
        phases = 1 if kind == "sdm120" else 3
        for i in range(3):
            assert s.voltage_dv[i] == (2294 if i < phases else 0), (kind, list(s.voltage_dv))
            assert s.current_ma[i] == (31700 if i < phases else 0), (kind, list(s.current_ma))
            assert abs(s.phase_w[i] - (7272 if i < phases else 0)) <= 1, (kind, list(s.phase_w))
        assert abs(s.power_w - 7272 * phases) <= 1, (kind, s.power_w)
        assert s.energy_wh == 1234570 if kind == "abb_b23" else s.energy_wh == 1234567, (kind, s.energy_wh)
        for v in (s.power_w, s.energy_wh, s.voltage_dv[0], s.current_ma[0]):
            assert type(v) is int
        # every request went out as the map says: the function code and the blocks' addresses
        fc = 3 if kind == "abb_b23" else 4
        assert [w[1] for w in uart.written] == [fc] * len(mt.map.blocks)
        assert [(w[2] << 8) | w[3] for w in uart.written] == [b[0] for b in mt.map.blocks]


def test_sdm630_addresses_are_the_datasheet_ones():
    """Eastron SDM630 input registers: V 0x0000/02/04, I 0x0006/08/0A, P 0x000C/0E/10, total power 0x0034,
    import energy 0x0048; floats, function 04. Written out here again as the datasheet gives them."""
    mp = maps.get("sdm630")
    assert mp.fc == 4 and mp.phases == 3
    at = {}
    for start, _count, fields in mp.blocks:
        for what, phase, off, kind, _mul, _div in fields:
            assert kind == maps.F32
            at[(what, phase)] = start + off
    assert at[(maps.VOLT, 0)] == 0x0000 and at[(maps.VOLT, 1)] == 0x0002 and at[(maps.VOLT, 2)] == 0x0004
    assert at[(maps.AMP, 0)] == 0x0006 and at[(maps.AMP, 1)] == 0x0008 and at[(maps.AMP, 2)] == 0x000A
    assert at[(maps.WATT_PHASE, 0)] == 0x000C and at[(maps.WATT_PHASE, 2)] == 0x0010
    assert at[(maps.WATT, 0)] == 0x0034 and at[(maps.ENERGY, 0)] == 0x0048


def test_float_decoding_rounds_and_refuses_nan():
    vt, sim, _uart, m, _ = _rig("sdm120")
    sim.load(0.0015, 230.04)  # 1.5 mA rounds to 2 mA, 230.04 V to 2300 dV
    sim.energy_wh = 0.4
    mt = ModbusMeter(m, maps.get("sdm120"))
    assert vt.run(mt.sample(vt.clock())) == OK
    assert mt.staging.current_ma[0] == 2 and mt.staging.voltage_dv[0] == 2300 and mt.staging.energy_wh == 0
    sim.nan = True
    assert vt.run(mt.sample(vt.clock())) == NAN
    vt, sim, _uart, m, _ = _rig("abb_b23")
    sim.nan = True  # ABB's "not available": all ones
    assert vt.run(ModbusMeter(m, maps.get("abb_b23")).sample(vt.clock())) == NAN


def test_an_exception_response_is_reported_with_its_code_and_not_retried():
    vt, sim, uart, m, _ = _rig()
    sim.exception = 2  # illegal data address
    assert vt.run(m.read(1, READ_INPUT, 0, 2)) == EXCEPTION
    assert m.exc_code == 2 and len(uart.written) == 1
    sim.exception = None
    assert vt.run(m.read(1, READ_INPUT, 0x0100, 2)) == EXCEPTION  # not in the simulated map
    assert m.exc_code == 2
    assert vt.run(m.read(1, READ_HOLDING, 0, 2)) == EXCEPTION  # the SDM630 has no holding register there
    assert m.exc_code == 1


def test_a_bad_crc_is_retried_and_reported_when_every_attempt_has_one():
    vt, sim, uart, m, _ = _rig(retries=2)
    sim.corrupt_crc = True
    assert vt.run(m.read(1, READ_INPUT, 0, 2)) == CRC
    assert len(uart.written) == 3 and m.counts[CRC] == 3
    sim.corrupt_crc = False
    assert vt.run(m.read(1, READ_INPUT, 0, 2)) == OK and m.counts[OK] == 1


def test_a_silent_meter_times_out_after_the_response_timeout_on_each_attempt():
    vt, sim, uart, m, _ = _rig(retries=1, timeout_ms=300)
    sim.silent = True
    t0 = vt.ms
    assert vt.run(m.read(1, READ_INPUT, 0, 2)) == TIMEOUT
    assert len(uart.written) == 2
    # virtual time: each attempt waits its timeout, and the retry first a timeout of silence (a late answer
    # to the first attempt would be drained, not taken for the retry's)
    assert 3 * 300 <= vt.ms - t0 <= 3 * (300 + 30)


def test_an_answer_from_another_address_is_refused():
    vt, sim, _uart, m, _ = _rig(retries=0)
    sim.answer_as = 7
    assert vt.run(m.read(1, READ_INPUT, 0, 2)) == ADDRESS
    vt, sim, _uart, m, _ = _rig(retries=0)  # asked for slave 3: the meter at 1 keeps quiet
    assert vt.run(m.read(3, READ_INPUT, 0, 2)) == TIMEOUT


def test_wrong_function_byte_count_or_a_truncated_frame_is_a_frame_error():
    for resp in (frame(bytes((1, 3, 4, 0, 0, 0, 0))),  # function 03 to an 04 request
                 frame(bytes((1, 4, 2, 0, 0))),  # 1 register where 2 were asked
                 bytes((1, 4, 4, 0x43))):  # the line goes quiet after 4 bytes
        vt, sim, uart, m, _ = _rig(retries=0)
        sim.silent = True
        uart.extra = resp
        assert vt.run(m.read(1, READ_INPUT, 0, 2)) == FRAME, resp


def test_a_slow_answer_within_the_timeout_is_taken_and_a_late_one_is_not_mistaken_for_the_next():
    vt, sim, uart, m, _ = _rig(retries=0, timeout_ms=500)
    sim.load(10.0)
    sim.delay_ms = 400
    assert vt.run(m.read(1, READ_INPUT, 0x0006, 2)) == OK  # slow but inside the timeout
    sim.delay_ms = 700
    assert vt.run(m.read(1, READ_INPUT, 0x0006, 2)) == TIMEOUT
    # The late answer lands before the next request: drained, not taken as the answer to the next one.
    sim.delay_ms = 0
    vt.step(300)
    sim.load(20.0)
    assert vt.run(m.read(1, READ_INPUT, 0x0006, 2)) == OK
    assert abs(m.f32(0) - 20.0) < 1e-6


def test_driver_enable_is_high_exactly_while_the_request_is_on_the_wire():
    for baud in (9600, 19200, 2400):
        vt, sim, uart, m, de = _rig(baud=baud, de=True)
        t0 = vt.ms
        assert vt.run(m.read(1, READ_INPUT, 0, 2)) == OK
        (t_on, on), (t_off, off) = de.log
        assert on == 1 and off == 0 and de.level == 0
        air_ms = 8 * 10 * 1000 / baud
        assert t_on >= t0 and t_off - t_on >= air_ms, (baud, de.log)  # the whole frame got out
        assert t_off - t_on <= air_ms + 2, (baud, de.log)  # and the line was free for the answer
        assert t_off <= uart._t0  # DE was off before the meter's first byte


def test_poll_waits_for_the_whole_frame_and_counts_inter_frame_silence():
    vt, sim, uart, m, _ = _rig()
    m.request(1, READ_INPUT, 0, 18)
    uart.write(m._tx)
    m.begin(vt.clock())
    seen = []
    while True:
        st = m.poll(vt.clock())
        if st != PENDING:
            break
        seen.append(vt.ms)
        vt.step(1)
    assert st == OK and len(seen) > 30  # 41 bytes at 9600 baud: ~43 ms of PENDING
    assert m.t35_ms == 4 and Master(uart, baud=38400).t35_ms == 2
