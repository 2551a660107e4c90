# EVSE charging core: pure J1772 / IEC 61851-1 logic shared by the boards and the host bench.
VERSION = "0.1.0"
