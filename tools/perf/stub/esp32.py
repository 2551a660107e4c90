# Stub of the esp32 module: the esp32 adapters import it to refuse other chips (see machine.py here).
