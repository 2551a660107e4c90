# The charger on the network: WiFi station, MQTT client, telemetry, commands and Home Assistant discovery
# (docs/network.md). Imported only when a wifi_ssid or an mqtt_host is set: a charger without costs no RAM.
