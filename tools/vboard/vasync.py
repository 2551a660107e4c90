# The part of asyncio the firmware uses (run, create_task, gather, sleep_ms, sleep, StreamReader), in the
# virtual board's time and on both interpreters: tasks take turns as on the board, and while every task
# waits, virtual time runs on to the next wake-up (interrupts, timers and scenario inputs happen in it).
# Cooperative as the real thing: a task that blocks (a busy loop, time.sleep_ms, a long C call) blocks every
# other task until it yields, and only the board's interrupts run meanwhile.
from tools.vboard import clock as _c

_FOREVER_US = 3600 * 1000000


class _Wait:
    def __init__(self, us):
        self.us = us

    def __await__(self):
        yield self

    __iter__ = __await__


class _Gather:
    def __init__(self, tasks):
        self.tasks = tasks

    def __await__(self):
        yield self
        for t in self.tasks:
            if t.exc is not None:
                raise t.exc
        return [t.result for t in self.tasks]

    __iter__ = __await__


class Task:
    def __init__(self, coro, wake):
        self.coro = coro
        self.wake = wake
        self.gather = None
        self.done = False
        self.result = None
        self.exc = None

    def __await__(self):
        yield _Gather([self])
        if self.exc is not None:
            raise self.exc
        return self.result

    __iter__ = __await__


_LOOP = None


class Loop:
    def __init__(self, kernel):
        self.k = kernel
        self.tasks = []

    def create_task(self, coro):
        t = Task(coro, self.k.now_us)
        self.tasks.append(t)
        return t

    def _awaited(self, task):
        for t in self.tasks:
            if t.gather is not None and task in t.gather.tasks:
                return True
        return False

    def _ready(self, t):
        if t.done:
            return False
        g = t.gather
        if g is None:
            return True
        for x in g.tasks:
            if x.exc is not None:
                return True
        for x in g.tasks:
            if not x.done:
                return False
        return True

    def run(self, coro):
        main = self.create_task(coro)
        k = self.k
        while not main.done:
            best = None
            for t in self.tasks:  # a task whose gather is complete goes first, then the earliest sleeper
                if t.gather is not None and self._ready(t):
                    best = t
                    break
                if not t.done and t.gather is None and (best is None or t.wake < best.wake):
                    best = t
            if best is None:
                raise RuntimeError("vasync: every task waits for another")
            if best.gather is None and best.wake > k.now_us:
                k.run_until(best.wake)  # the main program idles: interrupts and inputs happen meanwhile
            k.preempt()
            best.gather = None
            try:
                y = best.coro.send(None)
            except StopIteration as e:
                best.done = True
                best.result = e.value
                continue
            except Exception as e:  # noqa: B902 -- as asyncio: the task ends with it, gather re-raises
                best.done = True
                best.exc = e
                if not self._awaited(best):
                    print("Task exception wasn't retrieved: %r" % (e,))  # as MicroPython's loop does
                continue
            if isinstance(y, _Gather):
                best.gather = y
            else:
                best.wake = k.now_us + y.us
        if main.exc is not None:
            raise main.exc
        return main.result


def run(coro):
    global _LOOP
    loop = _LOOP = Loop(_c.K)
    try:
        return loop.run(coro)
    finally:
        _LOOP = None
        for t in loop.tasks:  # the board stopped: the tasks with it
            if not t.done:
                try:
                    t.coro.close()
                except Exception:  # noqa: B902
                    pass


def create_task(coro):
    return _LOOP.create_task(coro)


def gather(*tasks):
    return _Gather(list(tasks))


def sleep_ms(ms):
    return _Wait(ms * 1000)


def sleep(s):
    return _Wait(int(s * 1000000))


class StreamReader:
    """Reads what a test puts into stream.vdata (a list of ints); other streams never have data."""

    def __init__(self, stream):
        self.s = stream

    async def read(self, n):
        data = getattr(self.s, "vdata", None)
        while not data:
            await _Wait(1000 if data is not None else _FOREVER_US)
        out = bytes(data[:n])
        del data[:n]
        return out
