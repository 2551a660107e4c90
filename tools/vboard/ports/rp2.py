# Fake rp2 module for the virtual board: only its presence is needed (hw/port_rp2.py checks for it).


BOOTSEL = [0]  # a test holds the button by setting BOOTSEL[0] = 1


def bootsel_button():
    return BOOTSEL[0]
