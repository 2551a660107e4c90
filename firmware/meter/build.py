# The one place that turns a board file (data) and the meter settings into a meter: the UART, the
# driver-enable pin or the S0 input pin are made here and handed to the drivers, which never make them.
# Each driver is imported only when its kind is asked for: an S0 meter does not spend RAM on the Modbus master.
KINDS = ("none", "s0", "sdm120", "sdm630", "abb_b23")  # the values of the setting "meter" (maps.MODBUS_METERS)

# Board file constants read here (all optional: a board without them can only have meter "none"):
#   METER_UART = 1          UART id of the RS-485 transceiver
#   METER_TX = 4, METER_RX = 5   its pins (None: the port's default pins for that UART)
#   METER_DE = 6            driver-enable output (DE and /RE tied), high = transmit; None: auto-direction
#   METER_BAUD = 9600       line speed; METER_PARITY = None | 0 (even) | 1 (odd), 8 data bits, 1 stop bit
#   S0_PIN = 3              the S0 input (opto to ground, pulled up), falling edge = one pulse


def make(machine, board, kind, slave=1, ppk=1000, phases=1, max_w=0, port=None, clock=None):
    """The meter for the setting kind ("none", "s0", "sdm120", "sdm630", "abb_b23"). slave: the Modbus
    address; ppk: S0 pulses per kWh; phases: the installation's (S0 only: a Modbus map knows its own);
    max_w: the most the installation can draw, for the plausibility rules (0: the meter's rating);
    port: the hw.port_* adapter (its edge_irq makes the S0 IRQ hard), None: a plain pin.irq().
    clock: ms ticks (None: time.ticks_ms)."""
    if kind == "none":
        from .none import NoMeter

        return NoMeter()
    Pin = machine.Pin
    if kind == "s0":
        from .s0 import S0Meter

        no = getattr(board, "S0_PIN", None)
        if no is None:
            raise ValueError("meter s0: the board file has no S0_PIN")
        pin = Pin(no, Pin.IN, Pin.PULL_UP)
        m = S0Meter(ppk, phases, clock=clock)
        if port is not None:
            m.irq = port.edge_irq(pin, m.isr, False, True)
        else:
            m.irq = pin.irq(handler=m.isr, trigger=Pin.IRQ_FALLING)
        m.pin = pin
        return m
    from . import maps
    from .modbus import Master
    from .rtu import ModbusMeter

    regmap = maps.get(kind)
    uid = getattr(board, "METER_UART", None)
    if uid is None:
        raise ValueError("meter %s: the board file has no METER_UART" % kind)
    baud = getattr(board, "METER_BAUD", 9600)
    parity = getattr(board, "METER_PARITY", None)
    kw = {}
    tx = getattr(board, "METER_TX", None)
    rx = getattr(board, "METER_RX", None)
    if tx is not None:
        kw["tx"] = Pin(tx)
    if rx is not None:
        kw["rx"] = Pin(rx)
    uart = machine.UART(uid, baudrate=baud, bits=8, parity=parity, stop=1, timeout=0, **kw)
    de_no = getattr(board, "METER_DE", None)
    de = Pin(de_no, Pin.OUT, value=0) if de_no is not None else None
    bits = 10 if parity is None else 11  # start, 8 data, (parity,) stop
    master = Master(uart, de, baud, bits, clock=clock)
    return ModbusMeter(master, regmap, slave, max_w)
