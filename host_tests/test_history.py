# History: fault counters, session log, rare flash writes, clock wraps, allocation-free observe().
# Plain asserts: also runs under MicroPython (tools/mptest.py), where observe() runs under heap_lock.
from evse import faults, iodata
from evse.history import CHECKPOINT_MS, S_ACTIVE, S_DONE, S_INTERRUPTED, History
from host_tests.fakes import FakeCharger, exists, read, remove, tmp_path


def _setup(tag, n=8):
    p = tmp_path(tag)
    remove(p)
    h = History(p, max_sessions=n)
    h.load()
    return p, h, FakeCharger(iodata.Config(), iodata.IO())


def _session(h, ch, t0, dur, ma):
    """An EV plugs in at t0, charges at ma, leaves after dur ms."""
    ch.state = iodata.ST_B1
    h.observe(t0, ch)
    ch.state = iodata.ST_C2
    ch.offered_ma = ma
    h.observe(t0 + 100, ch)
    ch.offered_ma = ma // 2
    h.observe(t0 + dur - 100, ch)
    ch.state = iodata.ST_A
    ch.offered_ma = 0
    h.observe(t0 + dur, ch)


def test_a_session_runs_from_leaving_a_to_back_in_a_with_its_max_current():
    p, h, ch = _setup("sess")
    try:
        _session(h, ch, 1000, 60000, 32000)
        rows = h.session_rows()
        assert rows == [(1, 1000, 61000, 32000, S_DONE)]
        assert h.pending  # a session end is written
    finally:
        remove(p)


def test_disabled_f_without_an_ev_is_not_a_session():
    p, h, ch = _setup("nosess")
    ch.state = iodata.ST_F
    h.observe(0, ch)
    ch.state = iodata.ST_A
    h.observe(100, ch)
    assert h.session_rows() == []
    assert not h.pending


def test_faults_during_a_session_do_not_end_it():
    p, h, ch = _setup("sessf")
    ch.state = iodata.ST_C2
    h.observe(0, ch)
    ch.state = iodata.ST_F
    ch.faults = 1 << faults.DIODE
    h.observe(100, ch)
    ch.state = iodata.ST_B1
    h.observe(500, ch)
    assert h.session_rows()[0][4] == S_ACTIVE
    ch.state = iodata.ST_A
    h.observe(900, ch)
    assert h.session_rows() == [(1, 0, 900, 0, S_DONE)]


def test_only_the_last_n_sessions_are_kept():
    p, h, ch = _setup("keep", n=3)
    for i in range(5):
        _session(h, ch, 10000 * i, 5000, 1000 * (i + 6))
    rows = h.session_rows()
    assert len(rows) == 3
    assert [r[1] for r in rows] == [40000, 30000, 20000]  # newest first


def test_fault_counters_count_rising_edges_with_first_and_last_time():
    p, h, ch = _setup("faults")
    ch.faults = 1 << faults.NO_GROUND
    h.observe(100, ch)
    h.observe(200, ch)  # still raised: not counted again
    ch.faults = 0
    h.observe(300, ch)
    ch.faults = (1 << faults.NO_GROUND) | (1 << faults.GFCI_TRIP)
    h.observe(400, ch)
    rows = h.fault_rows()
    assert rows == [(faults.GFCI_TRIP, 1, 1, 400, 1, 400), (faults.NO_GROUND, 2, 1, 100, 1, 400)]


def test_nothing_is_written_while_nothing_changes():
    p, h, ch = _setup("quiet")
    try:
        for t in range(0, 3 * CHECKPOINT_MS, 10000):
            h.observe(t, ch)
        assert not h.pending
        assert not h.flush()
        assert not exists(p)
    finally:
        remove(p)


def test_a_fault_is_written_after_ten_minutes_not_at_once():
    p, h, ch = _setup("tenmin")
    try:
        ch.faults = 1 << faults.OVER_TEMPERATURE
        h.observe(1000, ch)
        h.observe(1000 + CHECKPOINT_MS - 10, ch)
        assert not h.pending
        h.observe(1000 + CHECKPOINT_MS, ch)
        assert h.pending
        assert h.flush()
        assert not h.pending and exists(p)
        h.observe(1000 + 3 * CHECKPOINT_MS, ch)
        assert not h.pending  # nothing new since
    finally:
        remove(p)


def test_a_long_session_is_checkpointed_every_ten_minutes_at_most():
    p, h, ch = _setup("ckpt")
    try:
        ch.state = iodata.ST_C2
        writes = 0
        for t in range(0, 35 * 60000 + 1, 1000):
            h.observe(t, ch)
            if h.flush():
                writes += 1
        assert writes == 3  # at 10, 20 and 30 minutes
        b = History(p)
        b.load()
        assert b.session_rows()[0][4] == S_INTERRUPTED  # a power cut now: open session, as interrupted
        ch.state = iodata.ST_A
        h.observe(35 * 60000 + 10, ch)
        assert h.pending and h.flush()
        b = History(p)
        b.load()
        assert b.session_rows() == [(1, 0, 35 * 60000 + 10, 0, S_DONE)]
    finally:
        remove(p)


def test_history_survives_a_reboot_and_counts_boots():
    p, h, ch = _setup("reboot")
    try:
        ch.faults = 1 << faults.DIODE
        h.observe(50, ch)
        ch.faults = 0
        _session(h, ch, 1000, 5000, 16000)
        assert h.flush()
        text = read(p)
        h2 = History(p)
        h2.load()
        assert h2.warnings == []
        assert h2.boot == 2
        assert h2.fault_rows() == h.fault_rows()
        assert h2.session_rows() == h.session_rows()
        ch2 = FakeCharger(iodata.Config(), iodata.IO())
        ch2.faults = 1 << faults.DIODE
        h2.observe(70, ch2)
        assert h2.fault_rows() == [(faults.DIODE, 2, 1, 50, 2, 70)]
        assert h2.save()
        assert read(p) != text
    finally:
        remove(p)


def test_uptime_counts_wraps_of_the_tick_clock():
    p, h, ch = _setup("wrap")
    top = 0x3FFFFFFF
    h.observe(top - 1000, ch)
    ch.state = iodata.ST_B2
    h.observe(top - 500, ch)
    ch.state = iodata.ST_C2
    h.observe(top, ch)
    h.observe(20, ch)  # wrapped
    assert h.uptime_ms() == top + 1 + 20
    ch.state = iodata.ST_A
    h.observe(1500, ch)
    boot, start, end, mx, st = h.session_rows()[0]
    assert end - start == 2000 + 1  # top-500 .. top+1+1500
    ch.faults = 1 << faults.PP_INVALID
    h.observe(1600, ch)
    assert h.fault_rows()[0][3] == top + 1 + 1600


def test_a_step_a_little_out_of_order_is_not_a_wrap():
    """A control step that ran inside another (a timer callback preempting the first step) gives a
    slightly earlier now after a later one: that is not a wrap of the tick clock (12 days of uptime)."""
    p, h, ch = _setup("order")
    h.observe(1000, ch)
    h.observe(1010, ch)
    h.observe(1000, ch)
    assert h._wraps == 0 and h.uptime_ms() < 2000, h.uptime_ms()


def test_checkpoint_timer_works_across_a_wrap():
    p, h, ch = _setup("wrapckpt")
    top = 0x3FFFFFFF
    ch.faults = 1 << faults.NO_GROUND
    h.observe(top - 1000, ch)
    h.observe(CHECKPOINT_MS - 2000, ch)
    assert not h.pending
    h.observe(CHECKPOINT_MS, ch)
    assert h.pending


def test_corrupt_or_foreign_history_starts_afresh_with_a_warning():
    p = tmp_path("hcorrupt")
    try:
        for text in ("{", '{"schema": 9}', '{"schema": 1, "boots": -1, "faults": {}, "sessions": []}'):
            with open(p, "w") as f:
                f.write(text)
            h = History(p)
            h.load()
            assert len(h.warnings) == 1, text
            assert h.boot == 1 and h.session_rows() == [] and h.fault_rows() == []
    finally:
        remove(p)


def test_bad_entries_are_dropped_good_ones_kept():
    p = tmp_path("hbad")
    try:
        with open(p, "w") as f:
            f.write('{"schema": 1, "boots": 4, "faults": {"diode": [2, 1, 5, 3, 9], "no_ground": "x"}, '
                    '"sessions": [[1, 2, 3, 4, 0], [1, 2], [1, 2, 3, 4, 7]]}')
        h = History(p)
        h.load()
        assert h.boot == 5
        assert h.fault_rows() == [(faults.DIODE, 2, 1, 5, 3, 9)]
        assert h.session_rows() == [(1, 2, 3, 4, S_DONE)]
        assert len(h.warnings) == 1 and "3" in h.warnings[0]
    finally:
        remove(p)


def test_a_failed_write_is_retried_at_the_next_checkpoint():
    h = History("/nonexistent-dir-evse/history.json")
    ch = FakeCharger(iodata.Config(), iodata.IO())
    _session(h, ch, 0, 1000, 6000)
    assert h.pending
    assert h.flush() is False
    assert not h.pending
    h.observe(1000 + CHECKPOINT_MS - 1, ch)
    assert not h.pending
    h.observe(1000 + CHECKPOINT_MS, ch)
    assert h.pending


def test_observe_allocates_nothing_when_nothing_changed():
    # The control tick calls observe(); on the board an allocation there could stall it.
    try:
        import micropython
    except ImportError:
        return  # CPython allocates ints anyway; the check is meaningful on MicroPython only
    p, h, ch = _setup("alloc")
    ch.state = iodata.ST_C2
    ch.faults = 1 << faults.DIODE
    h.observe(0, ch)
    h.observe(1, ch)
    err = None
    micropython.heap_lock()
    try:
        t = 2
        while t < 500000:
            h.observe(t, ch)
            ch.offered_ma = t  # a new maximum each time: still only int compares and stores
            t += 10
    except MemoryError as e:
        err = e
    finally:
        micropython.heap_unlock()
    assert err is None


def test_observe_allocates_nothing_on_state_changes_faults_and_session_ends_after_clock_wraps():
    """Issue 9: observe() runs in the control step, a hard timer interrupt. Every state change, every
    fault raised and cleared and every session end allocates nothing, also after the tick clock has
    wrapped three times (an uptime past 2**30 ms is a big int on the 32-bit engine)."""
    try:
        import micropython
    except ImportError:
        return
    p, h, ch = _setup("alloc2")
    top = 0x3FFFFFFF
    h.observe(top - 100, ch)
    for _ in range(3):
        h.observe(top, ch)
        h.observe(5, ch)  # wrapped
        h.observe(top - 100, ch)
    assert h._wraps == 3
    seq = []
    for st in (iodata.ST_B1, iodata.ST_B2, iodata.ST_C2, iodata.ST_D2, iodata.ST_E, iodata.ST_F, iodata.ST_A):
        seq.append((st, 0))
    for b in range(faults.COUNT):
        seq.append((iodata.ST_C2, 1 << b))
        seq.append((iodata.ST_F, 0))
        seq.append((iodata.ST_A, 0))  # a session ends each time
    fails = 0
    t = top - 90
    for st, f in seq:
        ch.state = st
        ch.faults = f
        micropython.heap_lock()
        try:
            h.observe(t, ch)
        except MemoryError:
            fails += 1
        finally:
            micropython.heap_unlock()
        t += 10
    assert fails == 0, fails
    rows = h.session_rows()  # the readers put the wraps and ms together (allocating is fine there)
    assert rows[0][2] == 3 * (top + 1) + t - 10, rows[0]
    assert h.fault_rows()[0][3] >= 3 * (top + 1)


def test_without_a_path_history_lives_in_ram_only():
    h = History(None)
    h.load()
    ch = FakeCharger(iodata.Config(), iodata.IO())
    _session(h, ch, 0, 1000, 6000)
    assert h.pending and h.flush() is False and not h.pending
    h.observe(1000 + 2 * CHECKPOINT_MS, ch)
    assert not h.pending  # nothing to retry
    assert h.warnings == [] and len(h.session_rows()) == 1
