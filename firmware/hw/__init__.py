# Board adapters: the thin shell between MicroPython's machine module and the pure core in evse/.
