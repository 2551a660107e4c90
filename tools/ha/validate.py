# Runs in build/ha-venv (Home Assistant 2024.3.3, tools/ha/requirements.txt): validates MQTT discovery
# payloads with HA's own schemas, homeassistant.components.mqtt.<component>.DISCOVERY_SCHEMA.
# stdin: one JSON object a line, {"component": ..., "config": {...}}; stdout: one line each, "ok" or
# "error: <why>". Used by host_tests/test_net_discovery_ha.py.
import importlib
import json
import sys


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        item = json.loads(line)
        mod = importlib.import_module("homeassistant.components.mqtt." + item["component"])
        try:
            mod.DISCOVERY_SCHEMA(item["config"])
            print("ok")
        except Exception as e:  # voluptuous.Invalid and friends
            print("error: %s" % str(e).replace("\n", " "))
        sys.stdout.flush()


main()
