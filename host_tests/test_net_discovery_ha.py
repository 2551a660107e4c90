# Issue 12: every Home Assistant discovery config the firmware publishes (net/discovery.py) passes Home
# Assistant's own DISCOVERY_SCHEMA (PyPI homeassistant 2024.3.3 in build/ha-venv, made by `make ha-venv`),
# and the validator rejects a broken one (so a pass means something). pytest only (a subprocess).
import json
import os
import subprocess

import pytest

from net import discovery

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HA_PY = os.path.join(ROOT, "build", "ha-venv", "bin", "python")


def _validate(items):
    if not os.path.exists(HA_PY):
        if os.environ.get("CI"):
            pytest.fail("build/ha-venv missing: make test builds it (make ha-venv)")
        pytest.skip("build/ha-venv missing: make ha-venv")
    text = "".join(json.dumps(i) + "\n" for i in items)
    p = subprocess.run([HA_PY, os.path.join(ROOT, "tools", "ha", "validate.py")], input=text,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout.splitlines()


def _all(phases, commands, max_a=32):
    out = []
    for i in range(len(discovery.ENTITIES)):
        if discovery.wanted(i, phases, commands):
            topic, text = discovery.config(i, "evse_0123abcd", "evse/0123abcd", "pico", max_a)
            out.append((topic, discovery.ENTITIES[i][0], json.loads(text)))
    return out


def test_every_discovery_config_passes_home_assistants_own_schema():
    items = []
    for phases, commands, max_a in ((1, True, 32), (3, True, 16), (1, False, 6), (3, True, 6)):
        for topic, comp, cfg in _all(phases, commands, max_a):
            items.append({"component": comp, "config": cfg, "topic": topic})
    got = _validate(items)
    assert len(got) == len(items)
    bad = [(i["topic"], g) for i, g in zip(items, got) if g != "ok"]
    assert not bad, bad


def test_the_validator_rejects_a_broken_config():
    _, _, num = [x for x in _all(1, True) if x[1] == "number"][0]
    broken = dict(num, max=6)  # max not above min
    sensor = [x for x in _all(1, True) if x[1] == "sensor"][0][2]
    got = _validate([{"component": "number", "config": broken},
                     {"component": "sensor", "config": dict(sensor, state_class="sometimes")}])
    assert got[0].startswith("error") and got[1].startswith("error"), got


def test_the_entity_set_is_the_issues_one_device_block_availability_and_topics():
    cfgs = _all(3, True)
    kinds = sorted((comp, t.split("/")[3]) for t, comp, _ in cfgs)
    assert kinds == sorted([("sensor", "state"), ("sensor", "faults"), ("binary_sensor", "contactor"),
                            ("sensor", "offer"), ("sensor", "power"), ("sensor", "session_energy"),
                            ("sensor", "total_energy"), ("sensor", "current_l1"), ("sensor", "current_l2"),
                            ("sensor", "current_l3"), ("sensor", "temperature"), ("number", "max_current"),
                            ("switch", "enabled"), ("button", "sleep")])
    for t, comp, c in cfgs:
        assert t == "homeassistant/%s/evse_0123abcd/%s/config" % (comp, t.split("/")[3])
        assert c["availability_topic"] == "evse/0123abcd/availability"
        d = c["device"]
        assert sorted(d) == ["identifiers", "manufacturer", "model", "name", "sw_version"]
        assert d["identifiers"] == ["evse_0123abcd"]
    total = [c for t, comp, c in cfgs if "total_energy" in t][0]
    assert total["device_class"] == "energy" and total["state_class"] == "total_increasing"
    assert total["unit_of_measurement"] == "Wh"
    assert [c for t, comp, c in cfgs if comp == "number"][0]["max"] == 32
    assert len(_all(1, False)) == 14 - 2 - 3  # one phase, no command entities
