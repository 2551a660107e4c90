# Bench models forecast their own changes: jumping from forecast to forecast sees what 1 ms steps see.
from tools.bench.plant import Contactor, ResidualMonitor, SocketLock
from tools.bench.prng import Prng

_GAPS = (1, 2, 5, 10, 15, 25, 60, 120, 300, 1100)


def _events(prng, count, make_change):
    """[(t, change)] at distinct increasing times; change(obj, t) applies one input change."""
    out = []
    t = 0
    for _ in range(count):
        t += _GAPS[prng.next32() % len(_GAPS)]
        out.append((t, make_change(prng)))
    return out, t + 2000


def _check(make, events, end_ms, output):
    """Step one model every ms and jump another between events and its forecasts; compare."""
    changes = {}
    for t, ch in events:
        changes[t] = ch
    step = make()
    seen = []
    pred = None
    flips = 0
    for t in range(end_ms + 1):
        if t in changes:
            changes[t](step, t)
        out = output(step, t)
        if t and t not in changes:
            flipped = out != seen[-1]
            assert flipped == (pred == t), (t, pred, out)
            flips += flipped
        seen.append(out)
        pred = step.next_change_ms(t)
        assert pred is None or pred > t
    jump = make()
    event_times = sorted(changes)
    t = 0
    k = 0
    visits = 0
    while t <= end_ms:
        if t in changes:
            changes[t](jump, t)
        while k < len(event_times) and event_times[k] <= t:
            k += 1
        out = output(jump, t)
        assert out == seen[t], (t, out, seen[t])
        stop = end_ms + 1
        p = jump.next_change_ms(t)
        if p is not None and p < stop:
            stop = p
        if k < len(event_times) and event_times[k] < stop:
            stop = event_times[k]
        for u in range(t + 1, stop):
            assert seen[u] == out, (u, out)
        t = stop
        visits += 1
    return flips, visits


def _rcd_change(prng):
    r = prng.next32() % 5
    if r == 0:
        v = (0, 0, 5, 19, 20, 25, 60, 264, 2000)[prng.next32() % 9]
        return lambda m, t: m.set_inputs(t, residual_ma=v)
    if r == 1:
        v = (0, 0, 5, 6, 30)[prng.next32() % 5]
        return lambda m, t: m.set_inputs(t, residual_dc_ma=v)
    if r == 2:
        v = prng.next32() % 8 == 0
        return lambda m, t: m.set_inputs(t, dead=v)
    v = prng.next32() % 2 == 0
    return lambda m, t: m.set_inputs(t, test_drive=v)


def _contactor_change(prng):
    r = prng.next32() % 8
    v = prng.next32() % 2 == 0
    if r == 0:
        return lambda c, t: _set_after_update(c, t, "weld", v)
    if r == 1:
        return lambda c, t: _set_after_update(c, t, "fail_close", v)
    if r == 2:
        return lambda c, t: _set_after_update(c, t, "mains", v)
    return lambda c, t: c.command(v, t)


def _lock_change(prng):
    v = prng.next32() % 2 == 0
    if prng.next32() % 5 == 0:
        return lambda k, t: _set_after_update(k, t, "jammed", v)
    return lambda k, t: k.command(v, t)


def _set_after_update(obj, t, name, value):
    obj.update(t)
    setattr(obj, name, value)
    obj.update(t)


def test_residual_monitor_forecast_never_misses_a_flip():
    total = 0
    for seed in (1, 2, 3):
        events, end = _events(Prng(seed), 150, _rcd_change)
        flips, visits = _check(ResidualMonitor, events, end, lambda m, t: m.signal(t))
        assert visits < end // 10
        total += flips
    assert total > 20  # the random schedules did trip and release


def test_contactor_forecast_never_misses_a_change():
    total = 0
    for seed in (4, 5, 6):
        events, end = _events(Prng(seed), 150, _contactor_change)
        out = lambda c, t: (c.closed_contacts(t), c.load_live(t))
        flips, _ = _check(Contactor, events, end, out)
        total += flips
    assert total > 20


def test_socket_lock_forecast_never_misses_a_change():
    total = 0
    for seed in (7, 8, 9):
        events, end = _events(Prng(seed), 150, _lock_change)
        flips, _ = _check(SocketLock, events, end, lambda k, t: k.locked(t))
        total += flips
    assert total > 10
