# Fake esp32 module for the virtual board: only its presence is needed (hw/port_esp32.py checks for it).


def raw_temperature():
    return 120
