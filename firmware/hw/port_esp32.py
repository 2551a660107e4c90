# ESP32 specifics: ADC1 with 11 dB attenuation, pin IRQs (run by the scheduler: the esp32 port has no
# hard pin IRQs), interrupt-latency figures used by the tests.
import esp32  # only the esp32 port has it: an esp32 board file on another chip stops here  # noqa: F401
from machine import ADC, Pin

NAME = "esp32"
# Pin IRQ latency on the esp32 port, edge to first Python line: handlers are scheduled, not hard
# (micropython issue #4214 / #14330, still open): tens of us when the interpreter is between bytecodes,
# up to ms when it is inside a long C call (issue #3894). We assume 50..500 us and rely on the fallback.
IRQ_LATENCY_MIN_US = 50
IRQ_LATENCY_MAX_US = 500
TIMER_ID = 0  # hardware timer 0 (the keep-alive after Ctrl-C)
STEP_TIMER_ID = 1  # hardware timers for the control step and its deadline guard (hw/ticker.py)
GUARD_TIMER_ID = 2
# Timer(hard=True) raises "hard Timers are not implemented" on esp32 in 1.29 (ports/esp32/machine_timer.c):
# the hardware timer's ISR schedules the callback (mp_sched_schedule) and wakes the main task. It runs at
# the next bytecode boundary or inside sleeps and waits, not during one long C call (docs/boards.md "Timing").
HARD_TIMER = False
ADC_READ_US = 25  # one read_u16() through ESP-IDF's oneshot driver (assumed)


def adc(pin_no):
    """An ADC1 channel (GPIO32..39) with 11 dB attenuation: about 0.15..2.45 V linear."""
    return ADC(Pin(pin_no), atten=ADC.ATTN_11DB)


def irq_priorities(machine):
    """Nothing to set: pin and timer callbacks are both scheduled, in order, on this port."""


def edge_irq(pin, handler, rising, falling):
    """An IRQ on the pin's edges (scheduled on this port: keep the handler short all the same)."""
    trig = (Pin.IRQ_RISING if rising else 0) | (Pin.IRQ_FALLING if falling else 0)
    return pin.irq(handler=handler, trigger=trig)


SERVICE_BUTTON_PIN = 0  # the BOOT button of the DevKitC boards: GPIO0, pulled up, low while pressed


def service_button(machine):
    """True while the BOOT button (GPIO0) is held."""
    p = machine.Pin(SERVICE_BUTTON_PIN, machine.Pin.IN, machine.Pin.PULL_UP)
    return p.value() == 0
