# History: fault counters, session log, rare flash writes, clock wraps, allocation-free observe().
# Plain asserts: also runs under MicroPython (tools/mptest.py), where observe() runs under heap_lock.
from evse import faults, iodata
from evse.history import (
    CHECKPOINT_MS, END_FAULT, END_LIMIT_ENERGY, END_LIMIT_TIME, END_STOPPED, END_UNPLUG, NO_ENERGY,
    S_ACTIVE, S_DONE, S_INTERRUPTED, History,
)
from host_tests.fakes import FakeCharger, exists, read, remove, tmp_path


def _setup(tag, n=8):
    p = tmp_path(tag)
    remove(p)
    h = History(p, max_sessions=n)
    h.load()
    return p, h, FakeCharger(iodata.Config(), iodata.IO())


def _put(ch, st):
    """The charger in state st, its contactor closed in C2 and D2 (as the core closes it)."""
    ch.state = st
    ch.io.relay = st in (iodata.ST_C2, iodata.ST_D2)


class _Energy:
    """What the meter's accountant gives the history (meter.account.Energy): Wh since boot."""

    def __init__(self):
        self.fitted = True
        self.wh = 0


def _session(h, ch, t0, dur, ma):
    """An EV plugs in at t0, charges at ma from t0 + 100 (the contactor closes), leaves after dur ms."""
    _put(ch, iodata.ST_B1)
    h.observe(t0, ch)
    _put(ch, iodata.ST_C2)
    ch.offered_ma = ma
    h.observe(t0 + 100, ch)
    ch.offered_ma = ma // 2
    h.observe(t0 + dur - 100, ch)
    _put(ch, iodata.ST_A)
    ch.offered_ma = 0
    h.observe(t0 + dur, ch)


def test_a_session_runs_from_the_first_close_to_the_unplug_with_its_max_current():
    p, h, ch = _setup("sess")
    try:
        _session(h, ch, 1000, 60000, 32000)
        rows = h.session_rows()
        assert rows == [(1, 1100, 61000, 32000, S_DONE, NO_ENERGY, END_UNPLUG)]
        assert h.pending  # a session end is written
    finally:
        remove(p)


def test_a_plug_in_that_never_charges_is_not_a_session():
    p, h, ch = _setup("nocharge")
    _put(ch, iodata.ST_B2)
    h.observe(0, ch)
    _put(ch, iodata.ST_A)
    h.observe(5000, ch)
    assert h.session_rows() == [] and not h.pending


def test_disabled_f_without_an_ev_is_not_a_session():
    p, h, ch = _setup("nosess")
    ch.state = iodata.ST_F
    h.observe(0, ch)
    ch.state = iodata.ST_A
    h.observe(100, ch)
    assert h.session_rows() == []
    assert not h.pending


def test_a_pause_does_not_end_a_session_a_fault_does():
    p, h, ch = _setup("sessf")
    _put(ch, iodata.ST_C2)
    h.observe(0, ch)
    _put(ch, iodata.ST_B2)  # the EV stops by itself (full, a timer): a pause
    h.observe(100, ch)
    _put(ch, iodata.ST_C2)
    h.observe(200, ch)
    ch.faults = 1 << faults.METER_LOST  # reported only: charging goes on
    h.observe(250, ch)
    assert h.session_rows()[0][4] == S_ACTIVE
    ch.faults = 1 << faults.DIODE
    _put(ch, iodata.ST_F)
    h.observe(300, ch)
    assert h.session_rows() == [(1, 0, 300, 0, S_DONE, NO_ENERGY, END_FAULT)]
    ch.faults = 0
    _put(ch, iodata.ST_B1)
    h.observe(500, ch)
    _put(ch, iodata.ST_A)
    h.observe(900, ch)
    assert len(h.session_rows()) == 1  # the unplug after a fault's end is no second session


def test_a_command_that_stops_charging_ends_the_session_as_stopped():
    p, h, ch = _setup("stopped")
    for how in ("sleep", "disable"):
        _put(ch, iodata.ST_C2)
        ch.enabled = True
        ch.sleeping = False
        h.observe(0, ch)
        if how == "sleep":
            ch.sleeping = True
            _put(ch, iodata.ST_B1)
        else:
            ch.enabled = False
            _put(ch, iodata.ST_F)
        h.observe(100, ch)
        assert h.session_rows()[0][6] == END_STOPPED, how
        _put(ch, iodata.ST_A)
        h.observe(200, ch)


def test_session_energy_and_limits_end_the_session_once_the_contactor_opens():
    p, h, ch = _setup("limits")
    e = _Energy()
    h.energy = e
    e.wh = 500  # energy counted before this session (an earlier one)
    ch.config.limit_wh = 1000
    _put(ch, iodata.ST_C2)
    h.observe(0, ch)
    e.wh = 1499
    h.observe(1000, ch)
    assert h.session_wh == 999 and not ch.limited and not h.due(1000, ch)
    e.wh = 1500
    assert h.due(1500, ch)
    e.wh = 1500
    h.observe(2000, ch)
    assert ch.limited and h.session_rows()[0][4] == S_ACTIVE  # +12 V now; the EV has 6 s to stop
    e.wh = 1503
    _put(ch, iodata.ST_B1)
    h.observe(4000, ch)
    assert h.session_rows()[0] == (1, 0, 4000, 0, S_DONE, 1003, END_LIMIT_ENERGY)
    assert h.lifetime_wh() == 1503
    # the time limit, and an energy counter that wraps (2**30 Wh) in the middle of a session
    ch.limited = False
    ch.config.limit_wh = 0
    ch.config.limit_ms = 60000
    e.wh = 0x3FFFFFFF - 5
    _put(ch, iodata.ST_C2)
    h.observe(10000, ch)
    assert h.idle_until(10000, ch) == 70000
    e.wh = 10
    h.observe(69990, ch)
    assert not ch.limited and h.session_wh == 16
    assert not h.due(69990, ch) and h.due(70000, ch)  # the board's quiet steps ask this every step
    h.observe(70000, ch)
    assert ch.limited and not h.due(70010, ch)
    _put(ch, iodata.ST_B1)
    h.observe(72000, ch)
    assert h.session_rows()[0][5:] == (16, END_LIMIT_TIME)


def test_only_the_last_n_sessions_are_kept():
    p, h, ch = _setup("keep", n=3)
    for i in range(5):
        _session(h, ch, 10000 * i, 5000, 1000 * (i + 6))
    rows = h.session_rows()
    assert len(rows) == 3
    assert [r[1] for r in rows] == [40100, 30100, 20100]  # newest first (each from its close)


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
        _put(ch, iodata.ST_C2)
        writes = 0
        for t in range(0, 35 * 60000 + 1, 1000):
            h.observe(t, ch)
            if h.flush():
                writes += 1
        assert writes == 3  # at 10, 20 and 30 minutes
        b = History(p)
        b.load()
        assert b.session_rows()[0][4] == S_INTERRUPTED  # a power cut now: open session, as interrupted
        _put(ch, iodata.ST_A)
        h.observe(35 * 60000 + 10, ch)
        assert h.pending and h.flush()
        b = History(p)
        b.load()
        assert b.session_rows() == [(1, 0, 35 * 60000 + 10, 0, S_DONE, NO_ENERGY, END_UNPLUG)]
    finally:
        remove(p)


def test_history_survives_a_reboot_and_counts_boots():
    p, h, ch = _setup("reboot")
    try:
        ch.faults = 1 << faults.DIODE
        h.observe(50, ch)
        ch.faults = 0
        e = _Energy()
        h.energy = e
        e.wh = 1234  # delivered this boot
        _session(h, ch, 1000, 5000, 16000)
        assert h.flush()
        text = read(p)
        h2 = History(p)
        h2.load()
        assert h2.warnings == []
        assert h2.boot == 2
        assert h2.fault_rows() == h.fault_rows()
        assert h2.session_rows() == h.session_rows()
        assert h2.lifetime_wh() == 1234  # the lifetime counter survives the reboot (no meter yet)
        e2 = _Energy()
        h2.energy = e2
        e2.wh = 66
        assert h2.lifetime_wh() == 1300
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
    _put(ch, iodata.ST_C2)
    h.observe(top - 500, ch)
    h.observe(top, ch)
    h.observe(20, ch)  # wrapped
    assert h.uptime_ms() == top + 1 + 20
    _put(ch, iodata.ST_A)
    h.observe(1500, ch)
    boot, start, end, mx, st, wh, why = h.session_rows()[0]
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
                    '"sessions": [[1, 2, 3, 4, 0], [1, 2], [1, 2, 3, 4, 7], [1, 5, 9, 6, 0, 70, 3], '
                    '[1, 5, 9, 6, 0, -2, 3], [1, 5, 9, 6, 0, 7, 9]], "lifetime_wh": 5000}')
        h = History(p)
        h.load()
        assert h.boot == 5
        assert h.fault_rows() == [(faults.DIODE, 2, 1, 5, 3, 9)]
        # a record written before sessions had energy is kept as not metered, ended by the unplug
        assert h.session_rows() == [(1, 5, 9, 6, S_DONE, 70, END_FAULT), (1, 2, 3, 4, S_DONE, NO_ENERGY, END_UNPLUG)]
        assert h.lifetime_wh() == 5000
        assert len(h.warnings) == 1 and "5" in h.warnings[0], h.warnings
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
    h.energy = _Energy()
    ch.config.limit_wh = 100000000
    ch.config.limit_ms = 80000000
    _put(ch, iodata.ST_C2)
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
        _put(ch, st)
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
