# Issue 12 (virtual board): `make vboard VBOARD_SCENARIO=file.json` runs the repo's firmware in real time with
# no deploy step, the scenario's settings applied (on the flash's settings.json, so the console shows them) and
# its events played at their real times; a Modbus meter the settings name sits at the far end of the board's
# meter UART. Host tier (pty, real time): what is checked is what happened, never how fast.
import json
import time

import serial

from host_tests.vboard_pty import vboard_with

SCENARIO = {"name": "live", "duration_ms": 600000, "settings": {"max_current_a": 16, "meter": "sdm630", "phases": 3},
            "events": [{"t_ms": 1000, "ev": "C"}]}


def _ask(port, line, seconds=20):
    """Send a console line until the firmware answers it (it boots in real time); the reply line."""
    end = time.time() + seconds
    with serial.Serial(port, 115200, timeout=0.5) as s:
        while time.time() < end:
            s.reset_input_buffer()
            s.write(b"json\r")
            time.sleep(0.2)
            s.reset_input_buffer()
            s.write(line.encode() + b"\r")
            buf = b""
            t = time.time() + 2
            while time.time() < t:
                buf += s.read(4096)
                for raw in buf.split(b"\n"):
                    raw = raw.strip()
                    if raw.startswith(b"{") and raw.endswith(b"}"):
                        try:
                            return json.loads(raw.decode())
                        except ValueError:
                            pass
    return None


def test_make_vboard_with_a_scenario_runs_the_repos_firmware_with_its_settings_and_meter(tmp_path):
    with vboard_with(tmp_path, SCENARIO) as (port, flash, trace, _sc):
        st = None
        end = time.time() + 30
        while time.time() < end:
            st = _ask(port, "status")
            cur = st.get("current_ma") if st is not None else None
            if st is not None and st.get("contactor") == "closed" and cur and cur[0] >= 15000:
                break  # (the vehicle ramps up within 2 s of the close)
            time.sleep(0.5)
        assert st is not None and st["contactor"] == "closed" and st["offered_ma"] == 16000, st
        assert st["meter"] == "sdm630" and len(st["current_ma"]) == 3 and min(st["current_ma"]) >= 15000, st
        assert json.loads((flash / "settings.json").read_text())["settings"]["max_current_a"] == 16
        rows = []
        end = time.time() + 20  # the trace is written as the board runs: the close, then a meter reading
        while time.time() < end:
            rows = [json.loads(x) for x in trace.read_text().splitlines() if x.strip().endswith("}")]
            if [r for r in rows if r["event"] == "meter"]:
                break
            time.sleep(0.5)
        assert [r for r in rows if r["event"] == "relay" and r["closed"]], rows[-10:]
        assert [r for r in rows if r["event"] == "meter"], rows[-10:]
