# asyncio's sleep_ms on both interpreters: MicroPython's (or the virtual board's, which replaces asyncio
# while it runs, hence the look-up at each call), else CPython's sleep in seconds.


def sleep_ms(ms):
    import asyncio

    f = getattr(asyncio, "sleep_ms", None)
    if f is not None:
        return f(ms)
    return asyncio.sleep(ms / 1000)
