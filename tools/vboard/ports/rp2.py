# Fake rp2 module for the virtual board: only its presence is needed (hw/port_rp2.py checks for it).


def bootsel_button():
    return 0
