# What OCPP is told of the charger: a connector's status and error code (OCPP 1.6 7.7 ChargePointStatus,
# 7.6 ChargePointErrorCode) from the status snapshot, and sampled values from its meter readings.

# Fault name -> ChargePointErrorCode. The fault name itself goes in vendorErrorCode.
ERRORS = (
    ("gfci_trip", "GroundFailure"),
    ("gfci_selftest", "GroundFailure"),
    ("no_ground", "GroundFailure"),
    ("relay_welded", "PowerSwitchFailure"),
    ("relay_fail_close", "PowerSwitchFailure"),
    ("over_current", "OverCurrentFailure"),
    ("over_temperature", "HighTemperature"),
    ("lock_failed", "ConnectorLockFailure"),
    ("diode", "EVCommunicationError"),
    ("cp_short", "EVCommunicationError"),
    ("pilot_fault", "EVCommunicationError"),
    ("ev_not_responding", "EVCommunicationError"),
    ("meter_lost", "PowerMeterFailure"),
    ("temp_sensor", "OtherError"),
    ("pp_invalid", "OtherError"),
    ("vent_required", "OtherError"),
)
ADVISORY = ("meter_lost",)  # reported with the status it has, not as Faulted (it stops nothing by default)


def error_of(faults):
    """(errorCode, vendorErrorCode or None, info or None) for the active fault names."""
    for name, code in ERRORS:
        if name in faults:
            info = ",".join(faults)
            return code, name, info[:50]
    if faults:  # a fault this table does not know yet
        return "OtherError", faults[0][:50], None
    return "NoError", None, None


def connector_status(v, tx, operative, finishing):
    """ChargePointStatus of connector 1 from the snapshot dict v; tx the transaction going on (cp.Tx) or None;
    finishing: a transaction ended and the vehicle is still there."""
    serious = [f for f in v["faults"] if f not in ADVISORY]
    st = v["state"]
    if serious:
        return "Faulted"
    if not operative:
        return "Unavailable"
    if tx is not None:
        if tx.stopping is not None:
            return "Finishing"
        if v["contactor"] == "closed":
            return "Charging"
        if st == "B2":
            return "SuspendedEV"
        if st == "A":
            return "Preparing"
        return "SuspendedEVSE"
    if not v["enabled"] and st == "F":
        return "Unavailable"
    if st == "A":
        return "Available"
    if finishing:
        return "Finishing"
    return "Preparing"


def _dec(ma):
    """'16.0' for 16000 mA (A with one decimal)."""
    return "%d.%d" % (ma // 1000, ma % 1000 // 100)


def sample(v, measurands, context):
    """sampledValue objects for the measurands from the snapshot dict v; those not measured now are left out."""
    out = []
    for m in measurands:
        if m == "Energy.Active.Import.Register":
            if v.get("total_wh") is not None:
                out.append({"value": str(v["total_wh"]), "context": context, "measurand": m, "unit": "Wh",
                            "location": "Outlet"})
        elif m == "Power.Active.Import":
            if v.get("power_w") is not None:
                out.append({"value": str(v["power_w"]), "context": context, "measurand": m, "unit": "W",
                            "location": "Outlet"})
        elif m == "Current.Import":
            cur = v.get("current_ma")
            if cur:
                for i in range(len(cur)):
                    out.append({"value": _dec(cur[i]), "context": context, "measurand": m, "unit": "A",
                                "phase": "L%d" % (i + 1), "location": "Outlet"})
        elif m == "Current.Offered":
            out.append({"value": _dec(v.get("offered_ma") or 0), "context": context, "measurand": m, "unit": "A",
                        "location": "Outlet"})
    return out
