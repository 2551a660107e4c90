# The meter task: polls the fitted meter every period and publishes into meter.reading. Never raises out:
# anything a poll raises is reported as reason ERROR (and kept in meter.error for the console).
from evse.compat import const
from evse.pilot import since

from .reasons import ERROR, OK

POLL_MS = const(1000)  # the meter is read once a second: the over-current rule's 5 s is timed from these
_MIN_WAIT_MS = const(20)  # between polls even when one took longer than the period (timeouts, retries)


async def poll_once(meter, clock):
    """One poll: sample, plausibility, publish. Returns the reason (OK or why not)."""
    try:
        r = await meter.sample(clock())
        if r == OK and meter.check is not None:
            r = meter.check.judge(meter.staging, clock())
    except Exception as e:  # noqa: B902 -- the task must live on: report, do not raise
        meter.error = e
        r = ERROR
    meter.reading.publish(meter.staging, r, clock(), meter.lost_after)
    return r


async def run(meter, period_ms=POLL_MS, clock=None, sleep_ms=None, after=None):
    """Poll meter every period_ms for ever (a "none" meter: publish once and return); after(), if given,
    is called after each poll (the energy accountant)."""
    if clock is None:
        from time import ticks_ms

        clock = ticks_ms
    if sleep_ms is None:
        import asyncio

        sleep_ms = asyncio.sleep_ms
    while True:
        t = clock()
        await poll_once(meter, clock)
        if after is not None:
            after()
        if not meter.reading.fitted:
            return
        left = period_ms - since(clock(), t)
        await sleep_ms(left if left > _MIN_WAIT_MS else _MIN_WAIT_MS)
