# The whole control step (App.step) in steady C2, on the do-nothing hardware of tools/perf/stub with the inputs
# a charging session gives: run by make bench under callgrind, which counts the x86-64 instructions of
# `steps` steps (mode "step") against the same loop without the steps (mode "plant"); the difference over
# `steps` is one step. The script drives any version of the firmware that has main.start(brd, values=...)
# and the edge sampler's rings (hi, lo, ppc, cnt; and acc, its sums, where it has them): so the same count is taken of the code the rp2 port
# measured (issue 9) and of today's, and their ratio carries that measurement over.
# Usage (MicroPython unix port): micropython mp_step.py step|plant STEPS EDGES_PER_TICK
# MICROPYPATH: tools/perf/stub, then the firmware directory to measure, then boards/.
import sys

import machine  # the stub: tools/perf/stub/machine.py

import main
import pico as brd

TICK = 10
V_A, V_B, V_C, V_LOW = 12000, 9000, 6000, -12000


def _counts(fn, target):
    """read_u16() counts that the board's conversion fn turns into target (the nearest, by bisection)."""
    lo, hi = 0, 65535
    while lo < hi:
        mid = (lo + hi) // 2
        if fn(mid) < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


def run(mode, steps, edges):
    # No settings file: the defaults, as on a new board (nothing is written: housekeeping does not run).
    app = main.start(brd, settings_path="/nonexistent/settings.json", history_path="/nonexistent/history.json")
    hw = app.hw
    io = app.io
    afe = hw.afe
    s = hw.sampler
    cp = dict((v, _counts(afe.cp_mv, v)) for v in (V_A, V_B, V_C, V_LOW))
    # PP: 150 ohm reads a 32 A Type 2 coding and an engaged J1772 latch (the conversion falls with counts).
    pp = _counts(lambda c: -afe.pp_ohm(c) if afe.pp_ohm(c) >= 0 else -100000, -150)
    machine.ADCS[brd.PP_ADC]._c = pp
    if brd.TEMP_ADC is not None:
        machine.ADCS[brd.TEMP_ADC]._c = _counts(afe.temp_dc, 250)
    sig = machine.SIGNALS
    if brd.GROUND_SENSE is not None:
        sig[brd.GROUND_SENSE]._v = 1
    trip = sig[brd.GFCI_TRIP]
    sense = sig[brd.RELAY_SENSE] if brd.RELAY_SENSE is not None else None
    cp_adc = machine.ADCS[brd.CP_ADC]
    half = edges // 2
    acc = getattr(s, "acc", None)

    def plant(t, high):
        # What the circuit and the sampling ISR would leave for the coming step. (The stub's trip line
        # answers the self-test's winding at once; the load side follows the command at once.)
        cp_adc._c = cp[high]
        if hw.pilot.pulsing():
            if acc is not None:  # the sums the sampler keeps since issue 9
                acc[0] = half * cp[high]
                acc[1] = half * cp[V_LOW]
                acc[2] = half * pp
                acc[3] = acc[4] = half
            n = s.cnt
            k = 0
            while k < half:
                i = n[0]
                s.hi[i & 7] = cp[high]
                s.ppc[i & 7] = pp
                n[0] = (i + 1) & 0xFFFF
                j = n[1]
                s.lo[j & 7] = cp[V_LOW]
                n[1] = (j + 1) & 0xFFFF
                k += 1
        trip._v = 1 if io.rcd_test else 0
        if sense is not None:
            sense._v = 1 if io.relay else 0

    t = 0
    while t < 6000:  # A, B, then C: self-test, close, pull-in, steady
        plant(t, V_A if t < 500 else V_B if t < 1500 else V_C)
        app.step(t)
        t += TICK
    if not io.relay:
        raise RuntimeError("mp_step: no close (state %d, faults %d)" % (app.charger.state, app.charger.faults))
    i = 0
    if mode == "step":
        while i < steps:
            plant(t, V_C)
            app.step(t)
            t += TICK
            i += 1
    else:
        while i < steps:
            plant(t, V_C)
            t += TICK
            i += 1
    if not io.relay:
        raise RuntimeError("mp_step: the session ended")
    print("mp_step", mode, steps, getattr(app.charger, "quiet_ticks", -1))


if __name__ == "__main__":
    run(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
