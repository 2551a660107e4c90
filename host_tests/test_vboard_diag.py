# `diag` (issue 10, bring-up) on the virtual Pico while it charges: the live readings and the raw ones
# from the board's sampler and ADCs, in text and JSON, and charging is not disturbed. Plain asserts.
import json

from tools.sim.scenario import parse
from tools.vboard.run import make_run


def test_diag_on_a_charging_virtual_pico_shows_raw_and_live_values_and_keeps_charging():
    sc = parse({"duration_ms": 6000, "settings": {"socket": "type2"},
                "events": [{"t_ms": 1000, "ev": "B"}, {"t_ms": 2000, "ev": "C"}, {"t_ms": 4000, "console": "diag"},
                           {"t_ms": 4100, "console": "json"}, {"t_ms": 4200, "console": "diag"}]})
    lines = []
    run = make_run(sc, lines.append)
    run.run()
    rows = [json.loads(x) for x in lines]
    outs = [r["out"] for r in rows if r["event"] == "console"]
    text, js = outs[0], json.loads(outs[2])
    assert text.startswith("OK cp_high_mv=") and "sampler_isr_high=" in text, text
    assert js["ok"] and js["contactor"] == "closed" and js["pilot"] == "pwm", js
    assert 5000 <= js["cp_high_mv"] <= 7000 and -12600 <= js["cp_low_mv"] <= -11400, js  # C, diode there
    assert 164 <= js["pp_ohm"] <= 308 and js["earth"] is True and js["load_side"] == "live", js
    assert js["sampler_isr_high"] > 0 and js["cp_counts_high"] > js["cp_counts_low"], js
    assert [r["closed"] for r in rows if r["event"] == "relay"] == [False, True]  # never opened by diag
