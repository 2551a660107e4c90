# The firmware's RAM after boot, alone in the heap (run with -X heapsize=192K and tools/perf/stub first on
# the path): main.start() for a board on do-nothing hardware, then gc.mem_alloc(). Prints one JSON line.
# Usage: micropython -X heapsize=192K tools/perf/mp_boot_ram.py BOARD_FILE [ROMFS_IMAGE]
#        (webassembly: tools/wasm/bootram.mjs runs it the same way)
# With a ROMFS image, the image is read first and counts as flash (not in the figure): the firmware is
# imported from it in place, as on a board whose MicroPython is built with ROMFS (MICROPY_VFS_ROM).
import gc
import sys

import machine  # noqa: F401  the stub hardware: built into a real board's firmware, 0 bytes of heap there

# The arguments: sys.argv, or BOOT_ARGS in the globals it is exec'd with (the webassembly port has no argv).
_args = globals().get("BOOT_ARGS") or sys.argv[1:]
_meter = "--meter" in _args  # also fit an SDM630 (a bigger heap on the 64-bit unix port: see board_figures)
_args = [a for a in _args if a != "--meter"]
_img = None
if len(_args) > 1:
    with open(_args[1], "rb") as _f:
        _img = _f.read()  # stands in for memory-mapped flash
gc.collect()
base = gc.mem_alloc()  # the interpreter's own (and the flash stand-in), before any firmware module
if _img is not None:
    import vfs

    vfs.mount(vfs.VfsRom(_img), "/rom")
    sys.path.insert(0, "/rom")


class _Board:
    pass


_ST = {}  # what the stages below keep between them


def mem():
    gc.collect()
    return gc.mem_alloc()


def boot(path):
    """main.start() for the board file at path, and what main.run() adds before its event loop spins."""
    ns = {}
    with open(path) as f:
        exec(f.read(), ns)
    brd = _Board()
    for k in ns:
        setattr(brd, k, ns[k])
    sys.modules["board"] = brd
    import main as fw

    missing = "/nonexistent-evse-bench/x.json"  # no files: boots on defaults, as a fresh board does
    app = fw.start(brd, watchdog=True, settings_path=missing, history_path=missing)
    import asyncio  # noqa: F401
    from hw.serial_console import SerialConsole

    _ST["brd"] = brd
    _ST["fw"] = fw
    _ST["app"] = app
    _ST["sc"] = SerialConsole(app, app.history, lambda: None, write_fn=lambda s: None)


def console():
    """Someone connects and asks: the console is loaded."""
    _ST["sc"].open().handle_line("status")


def meter():
    """An SDM630 fitted (issue 11): its driver on the board's meter UART, the energy accountant and the task's
    module, as main.start() and main._main() add them when the setting says so."""
    import meter.task  # noqa: F401
    from meter.account import Energy
    from meter.build import make

    brd = _ST["brd"]
    app = _ST["app"]
    m = make(sys.modules["machine"], brd, "sdm630", 1, 1000, 1, brd.BOARD_MAX_MA * 253 // 1000, app.hw.port)
    app.fit_meter(m, Energy(m.reading, brd.BOARD_MAX_MA, 1), "sdm630")
    _ST["sc"].open().handle_line("status")


def report(base, after, used, metered):
    print('{"base": %d, "after_boot": %d, "firmware": %d, "with_console": %d, "with_meter": %d, "heap_total": %d, '
          '"image": %d, "from": "%s"}' % (base, after, after - base, used - base, metered - base,
                                         gc.mem_alloc() + gc.mem_free(), len(_img) if _img else 0,
                                         _ST["fw"].__file__))


def main(path):
    boot(path)
    after = mem()
    console()
    used = mem()
    metered = used
    if _meter:
        meter()
        metered = mem()
    report(base, after, used, metered)


# The webassembly port's gc.collect() frees nothing inside the runPython call that made the garbage (checked:
# a loop making lists grows the heap by what it made; the next call's collect gives it all back), so
# tools/wasm/bootram.mjs sets STAGED and runs each stage above and each mem() in a call of its own.
if not globals().get("STAGED"):
    main(_args[0])
