# make bench: CPU of the OCPP task, counted with callgrind (tools/perf/__main__.py runs this with N = 0 and
# N = 40 and takes the difference): the whole firmware booted as tools/perf/mp_net_boot_ram.py does, an OCPP
# charge point on its command layer, then N of its one-second steps (status from the snapshot, timers, the
# next CALL) with the central system's answers parsed in memory. Usage: micropython mp_ocpp_cpu.py BOARD N
import sys

_n = int(sys.argv[2])
_g = {"__name__": "__main__", "STAGED": True, "BOOT_ARGS": [sys.argv[1]]}
_here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
with open(_here + "/mp_net_boot_ram.py") as _f:
    exec(_f.read(), _g)
_g["boot"](sys.argv[1])
_st = _g["_ST"]
_app = _st["app"]
_st["cmd"] = _app.commands(_app.history.uptime_ms)
_g["ocpp"]()
for _ in range(5):  # accepted, statuses sent: what the counted steps then repeat
    _g["ocpp_step"]()
_st["cp_t"] = 0
_i = 0
while _i < _n:
    _g["ocpp_step"]()
    _i += 1
