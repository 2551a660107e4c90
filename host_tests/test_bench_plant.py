# Bench contactor, socket lock, ground and temperature models: timing, failure flags, forecasts.
from evse.iodata import TEMP_NONE
from tools.bench.plant import (
    DROP_OUT_MS,
    LOCK_TRAVEL_MS,
    PULL_IN_MS,
    Contactor,
    Ground,
    SocketLock,
    TempSensor,
)


def test_contactor_timing_constants_are_the_assumed_figures():
    assert (PULL_IN_MS, DROP_OUT_MS, LOCK_TRAVEL_MS) == (25, 15, 300)


def test_contactor_closes_25ms_after_the_close_command():
    c = Contactor()
    assert not c.load_live(0)
    c.command(True, 100)
    assert not c.closed_contacts(124)
    assert not c.load_live(124)
    assert c.closed_contacts(125)
    assert c.load_live(125)


def test_contactor_opens_15ms_after_the_open_command():
    c = Contactor()
    c.command(True, 0)
    assert c.load_live(1000)
    c.command(False, 1000)
    assert c.load_live(1014)
    assert not c.load_live(1015)


def test_repeated_close_command_does_not_restart_pull_in():
    c = Contactor()
    c.command(True, 0)
    c.command(True, 20)
    assert c.closed_contacts(25)


def test_open_command_during_pull_in_never_closes():
    c = Contactor()
    c.command(True, 0)
    c.command(False, 10)
    for t in range(10, 200):
        assert not c.closed_contacts(t)


def test_weld_set_while_closed_keeps_the_load_live_after_open():
    c = Contactor()
    c.command(True, 0)
    assert c.load_live(100)
    c.weld = True
    c.command(False, 100)
    for t in range(100, 5000, 50):
        assert c.load_live(t)
    assert c.next_change_ms(5000) is None


def test_weld_set_while_open_sticks_at_the_next_open():
    c = Contactor()
    c.weld = True
    assert not c.load_live(10)
    c.command(True, 10)
    assert c.load_live(35)
    c.command(False, 100)
    assert c.load_live(2000)


def test_weld_set_after_drop_out_does_not_reclose():
    c = Contactor()
    c.command(True, 0)
    c.command(False, 100)
    assert not c.load_live(115)
    c.weld = True
    assert not c.load_live(116)


def test_fail_close_contactor_never_makes_the_load_live():
    c = Contactor()
    c.fail_close = True
    c.command(True, 0)
    for t in range(0, 5000, 5):
        assert not c.load_live(t)
    assert c.next_change_ms(5000) is None


def test_load_is_dead_without_mains_even_when_closed():
    c = Contactor()
    c.command(True, 0)
    c.mains = False
    assert c.closed_contacts(100)
    assert not c.load_live(100)


def test_contactor_next_change_predicts_pull_in_and_drop_out():
    c = Contactor()
    assert c.next_change_ms(0) is None
    c.command(True, 50)
    assert c.next_change_ms(50) == 75
    assert c.next_change_ms(74) == 75
    assert not c.closed_contacts(74)
    assert c.closed_contacts(75)
    assert c.next_change_ms(75) is None
    c.command(False, 200)
    assert c.next_change_ms(200) == 215
    assert c.closed_contacts(214)
    assert not c.closed_contacts(215)
    assert c.next_change_ms(215) is None


def test_lock_confirms_300ms_after_the_lock_command():
    k = SocketLock()
    k.command(True, 1000)
    assert not k.locked(1299)
    assert k.locked(1300)


def test_jammed_lock_never_confirms():
    k = SocketLock()
    k.jammed = True
    k.command(True, 0)
    for t in range(0, 10000, 10):
        assert not k.locked(t)
    assert k.next_change_ms(10000) is None


def test_unlock_confirms_300ms_after_the_unlock_command():
    k = SocketLock()
    k.command(True, 0)
    assert k.locked(300)
    k.command(False, 500)
    assert k.locked(799)
    assert not k.locked(800)


def test_lock_next_change_predicts_the_confirmation():
    k = SocketLock()
    assert k.next_change_ms(0) is None
    k.command(True, 10)
    assert k.next_change_ms(10) == 310
    assert not k.locked(309)
    assert k.locked(310)
    assert k.next_change_ms(310) is None
    k.command(False, 400)
    assert k.next_change_ms(400) == 700


def test_lock_reversed_before_it_confirms_stays_unlocked():
    k = SocketLock()
    k.command(True, 0)
    k.command(False, 100)
    assert k.next_change_ms(100) is None
    for t in range(100, 1000, 10):
        assert not k.locked(t)


def test_ground_and_temperature_are_plain_inputs():
    g = Ground()
    assert g.present
    g.present = False
    assert not Ground(False).present
    assert g.next_change_ms(0) is None
    ts = TempSensor()
    assert ts.temp_dc == TEMP_NONE
    ts.temp_dc = 455
    assert TempSensor(700).temp_dc == 700
    assert ts.next_change_ms(0) is None
