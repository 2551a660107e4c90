# Stub of the rp2 module: the pico adapters import it to refuse other chips (see machine.py here).
