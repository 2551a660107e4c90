# RP2040 specifics: hard pin IRQs, ADC channels on GP26..GP28, interrupt-latency figures used by the tests.
import rp2  # only the rp2 port has it: a pico board file on another chip stops here  # noqa: F401
from machine import ADC, Pin

NAME = "rp2"
# Hard pin IRQ latency, edge to first Python line, RP2040 at 125 MHz (docs/boards.md "Interrupt latency"):
# about 20 us usually, 100 us measured worst case while the main program was busy (micropython issue #6957).
IRQ_LATENCY_MIN_US = 20
IRQ_LATENCY_MAX_US = 100
TIMER_ID = -1  # a software timer (rp2 has as many as needed)
STEP_TIMER_ID = -1  # the control step's timer and the deadline guard's (hw/ticker.py)
GUARD_TIMER_ID = -1
HARD_TIMER = True  # Timer(hard=True): the callback runs in interrupt context (micropython PR #17363, 1.26+)
# NVIC priorities (Cortex-M0+: the top two bits of each byte count, lower = more urgent). The port runs
# soft-timer callbacks, hard ones included, from PendSV (ports/rp2/mphalport.c, pendsv.c); the pilot-edge
# pin IRQ is IO_IRQ_BANK0 (IRQ 13). At equal priority the edge IRQ waits for a whole step and edges are
# lost (about 15 % measured, issue 9): the edge IRQ is raised above the default 0x80, PendSV set lowest.
_IPR3 = 0xE000E40C  # NVIC_IPR3: IRQs 12..15, IRQ 13 in bits 15:8
_SHPR3 = 0xE000ED20  # System Handler Priority Register 3: PendSV in bits 23:16
_EDGE_PRI = 0x40
_PENDSV_PRI = 0xC0
ADC_READ_US = 5  # one read_u16() from Python: a 2 us conversion (500 ksps) plus the call (assumed)


def adc(pin_no):
    """An ADC on a GPIO (GP26..GP29)."""
    return ADC(Pin(pin_no))


def irq_priorities(machine):
    """Pin IRQs above the timer callbacks (see above). Loop context, once at start."""
    m = machine.mem32
    m[_IPR3] = (m[_IPR3] & ~0xFF00) | (_EDGE_PRI << 8)
    m[_SHPR3] = (m[_SHPR3] & ~0xFF0000) | (_PENDSV_PRI << 16)


def edge_irq(pin, handler, rising, falling):
    """A hard IRQ on the pin's edges: handler runs in interrupt context."""
    trig = (Pin.IRQ_RISING if rising else 0) | (Pin.IRQ_FALLING if falling else 0)
    return pin.irq(handler=handler, trigger=trig, hard=True)


def service_button(machine):
    """True while the Pico's BOOTSEL button is held (read by MicroPython without leaving the firmware)."""
    return bool(rp2.bootsel_button())
