# The board's flash as a time cost: every flash write of the firmware (evse.store.write_atomic: settings,
# history) holds every interrupt for its modelled duration, as a sector erase and program do on the rp2
# (interrupts off on the writing core, rp2_flash.c) and on the esp32 (flash cache off: code in flash,
# MicroPython's ISRs included, waits). The write itself goes to the host file as before.
SECTOR = 4096
ERASE_US = 45000  # a 4 KB sector erase on the Pico's QSPI flash, typical (datasheets: up to 400 ms)


def install(kernel, on_write=None):
    """Wrap evse.store.write_atomic so each write costs ERASE_US per 4 KB sector of virtual time, with
    interrupts held (on_write() is told first). Returns a function that undoes it."""
    from evse import store

    real = store.write_atomic

    def write_atomic(path, text):
        if on_write is not None:
            on_write()
        real(path, text)
        kernel.flash_writes += 1
        kernel.irqs_off_us(ERASE_US * ((len(text) + SECTOR - 1) // SECTOR or 1))

    store.write_atomic = write_atomic

    def undo():
        store.write_atomic = real

    return undo
