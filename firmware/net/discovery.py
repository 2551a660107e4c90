# Home Assistant MQTT discovery: one retained config per entity under
# homeassistant/<component>/<node id>/<object id>/config, all in one device, all reading <prefix>/status.
# Built one at a time (config(i)): the whole set is never in RAM at once. docs/home-assistant.md lists them.
from evse import VERSION, jsonfmt

ROOT = "homeassistant"
MANUFACTURER = "Open EVSE MicroPython firmware"
_NONE = " else None }}"  # HA's MQTT sensor takes a rendered "None" as unknown

# (component, object id, name, needs commands, fields): fields is a tuple of (key, value); value "@x" is
# the topic <prefix>/x.
ENTITIES = (
    ("sensor", "state", "State", False, (("value_template", "{{ value_json.state }}"), ("icon", "mdi:ev-station"))),
    ("sensor", "faults", "Faults", False, (
        ("value_template", "{{ value_json.faults | join(',') if value_json.faults else 'none' }}"),
        ("icon", "mdi:alert"), ("entity_category", "diagnostic"))),
    ("binary_sensor", "contactor", "Contactor", False, (
        ("value_template", "{{ value_json.contactor }}"), ("payload_on", "closed"), ("payload_off", "open"),
        ("device_class", "power"))),
    ("sensor", "offer", "Offered current", False, (
        ("value_template", "{{ value_json.offer_a }}"), ("unit_of_measurement", "A"),
        ("device_class", "current"), ("state_class", "measurement"))),
    ("sensor", "power", "Power", False, (
        ("value_template", "{{ value_json.power_w if value_json.power_w is not none" + _NONE),
        ("unit_of_measurement", "W"), ("device_class", "power"), ("state_class", "measurement"))),
    ("sensor", "session_energy", "Session energy", False, (
        ("value_template", "{{ value_json.session_wh if value_json.session_wh is not none" + _NONE),
        ("unit_of_measurement", "Wh"), ("device_class", "energy"), ("state_class", "total_increasing"))),
    ("sensor", "total_energy", "Total energy", False, (
        ("value_template", "{{ value_json.total_wh if value_json.total_wh is not none" + _NONE),
        ("unit_of_measurement", "Wh"), ("device_class", "energy"), ("state_class", "total_increasing"))),
    ("sensor", "current_l1", "Current L1", False, (
        ("value_template", "{{ value_json.current_a[0] if value_json.current_a" + _NONE),
        ("unit_of_measurement", "A"), ("device_class", "current"), ("state_class", "measurement"))),
    ("sensor", "current_l2", "Current L2", False, (
        ("value_template", "{{ value_json.current_a[1] if value_json.current_a and value_json.current_a"
         " | length > 1" + _NONE),
        ("unit_of_measurement", "A"), ("device_class", "current"), ("state_class", "measurement"))),
    ("sensor", "current_l3", "Current L3", False, (
        ("value_template", "{{ value_json.current_a[2] if value_json.current_a and value_json.current_a"
         " | length > 2" + _NONE),
        ("unit_of_measurement", "A"), ("device_class", "current"), ("state_class", "measurement"))),
    ("sensor", "temperature", "Temperature", False, (
        ("value_template", "{{ value_json.temperature_c if value_json.temperature_c is not none" + _NONE),
        ("unit_of_measurement", "\u00b0C"), ("device_class", "temperature"), ("state_class", "measurement"),
        ("entity_category", "diagnostic"))),
    ("number", "max_current", "Max current", True, (
        ("command_topic", "@set/max_current"),
        ("value_template", "{{ value_json.max_a }}"), ("unit_of_measurement", "A"),
        ("device_class", "current"), ("min", 6), ("step", 1), ("mode", "slider"))),
    ("switch", "enabled", "Charging enabled", True, (
        ("command_topic", "@set/enabled"), ("value_template", "{{ 'ON' if value_json.enabled else 'OFF' }}"),
        ("payload_on", "ON"), ("payload_off", "OFF"), ("state_on", "ON"), ("state_off", "OFF"),
        ("icon", "mdi:ev-plug-type2"))),
    ("button", "sleep", "Pause charging", True, (
        ("command_topic", "@set/sleep"), ("payload_press", "PRESS"), ("icon", "mdi:pause"))),
)


def node_id(board_id):
    """The node id HA files the entities under: evse_<board id> in [a-zA-Z0-9_-] (2.7 of the HA docs)."""
    out = "evse_"
    for c in board_id:
        out += c if ("a" <= c <= "z" or "A" <= c <= "Z" or "0" <= c <= "9" or c in "_-") else "_"
    return out


def topic(i, node):
    e = ENTITIES[i]
    return "%s/%s/%s/%s/config" % (ROOT, e[0], node, e[1])


def wanted(i, phases, commands):
    """True if entity i is published: the command entities only with MQTT commands on, the currents of the
    phases the charger has."""
    e = ENTITIES[i]
    if e[3] and not commands:
        return False
    if e[1] == "current_l2" or e[1] == "current_l3":
        return phases == 3
    return True


def config(i, node, prefix, model, max_a):
    """(topic, JSON text) of entity i's config."""
    comp, oid, name, _cmd, fields = ENTITIES[i]
    d = {"name": name, "unique_id": node + "_" + oid, "object_id": node + "_" + oid,
         "availability_topic": prefix + "/availability", "payload_available": "online",
         "payload_not_available": "offline",
         "device": {"identifiers": [node], "name": "EVSE " + node[5:], "model": model,
                    "manufacturer": MANUFACTURER, "sw_version": VERSION}}
    if comp != "button":
        d["state_topic"] = prefix + "/status"
    for k, v in fields:
        if isinstance(v, str) and v[:1] == "@":
            v = prefix + "/" + v[1:]
        d[k] = v
    if comp == "number":
        # The installation's limit: a runtime limit can lower, never raise it (HA wants max above min: at
        # max_current_a 6 the slider shows 7, which the command layer caps at 6 all the same).
        d["max"] = max_a if max_a > 6 else 7
    return topic(i, node), jsonfmt.dumps(d)
