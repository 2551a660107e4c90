# Virtual board: fake machine/rp2/esp32/time modules backed by the bench's hardware models, so the whole
# firmware (main.py, a board file, the adapters, the ISRs, the core) runs on the host in virtual time.
