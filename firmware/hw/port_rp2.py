# RP2040 specifics: hard pin IRQs, ADC channels on GP26..GP28, interrupt-latency figures used by the tests.
import rp2  # only the rp2 port has it: a pico board file on another chip stops here  # noqa: F401
from machine import ADC, Pin

NAME = "rp2"
# Hard pin IRQ latency, edge to first Python line, RP2040 at 125 MHz (docs/boards.md "Interrupt latency"):
# about 20 us usually, 100 us measured worst case while the main program was busy (micropython issue #6957).
IRQ_LATENCY_MIN_US = 20
IRQ_LATENCY_MAX_US = 100
TIMER_ID = -1  # a software timer (rp2 has as many as needed)
ADC_READ_US = 5  # one read_u16() from Python: a 2 us conversion (500 ksps) plus the call (assumed)


def adc(pin_no):
    """An ADC on a GPIO (GP26..GP29)."""
    return ADC(Pin(pin_no))


def edge_irq(pin, handler, rising, falling):
    """A hard IRQ on the pin's edges: handler runs in interrupt context."""
    trig = (Pin.IRQ_RISING if rising else 0) | (Pin.IRQ_FALLING if falling else 0)
    return pin.irq(handler=handler, trigger=trig, hard=True)


def service_button(machine):
    """True while the Pico's BOOTSEL button is held (read by MicroPython without leaving the firmware)."""
    return bool(rp2.bootsel_button())
