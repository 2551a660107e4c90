# The shapes of the requests a central system sends (OCPP 1.6 JSON schemas, the parts a charge point checks),
# for rpc.check(). Ranges the schemas leave open are bounded here (an int32; no negative ids or durations):
# outside them a request is answered TypeConstraintViolation.

_N = 2147483647  # the largest int32
_NAT = (0, _N)
_ID = (1, _N)  # transaction ids, profile ids: the 1.6 schemas take any integer; ours are positive
ID_TAG = 20  # CiString20Type

PURPOSES = ("ChargePointMaxProfile", "TxDefaultProfile", "TxProfile")
KINDS = ("Absolute", "Recurring", "Relative")
MEASURANDS = ("Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Current.Offered")

PERIOD = {"startPeriod": ("i", True, _NAT), "limit": ("n", True, (0, 1000000)),
          "numberPhases": ("i", False, (1, 3))}
SCHEDULE = {"duration": ("i", False, _NAT), "startSchedule": ("t", False, None),
            "chargingRateUnit": ("e", True, ("A", "W")),
            "chargingSchedulePeriod": ("a", True, ("o", PERIOD, 1, None)),
            "minChargingRate": ("n", False, (0, 1000000))}
PROFILE = {"chargingProfileId": ("i", True, _ID), "transactionId": ("i", False, _ID),
           "stackLevel": ("i", True, _NAT), "chargingProfilePurpose": ("e", True, PURPOSES),
           "chargingProfileKind": ("e", True, KINDS), "recurrencyKind": ("e", False, ("Daily", "Weekly")),
           "validFrom": ("t", False, None), "validTo": ("t", False, None),
           "chargingSchedule": ("o", True, SCHEDULE)}

TRIGGERS = ("BootNotification", "DiagnosticsStatusNotification", "FirmwareStatusNotification", "Heartbeat",
            "MeterValues", "StatusNotification")

# action -> request shape, for the requests this charge point carries out
REQUESTS = {
    "ChangeAvailability": {"connectorId": ("i", True, _NAT), "type": ("e", True, ("Inoperative", "Operative"))},
    "ChangeConfiguration": {"key": ("s", True, 50), "value": ("s", True, 500)},
    "ClearCache": {},
    "ClearChargingProfile": {"id": ("i", False, _ID), "connectorId": ("i", False, _NAT),
                             "chargingProfilePurpose": ("e", False, PURPOSES), "stackLevel": ("i", False, _NAT)},
    "DataTransfer": {"vendorId": ("s", True, 255), "messageId": ("s", False, 50), "data": ("x", False, None)},
    "GetCompositeSchedule": {"connectorId": ("i", True, _NAT), "duration": ("i", True, _NAT),
                             "chargingRateUnit": ("e", False, ("A", "W"))},
    "GetConfiguration": {"key": ("a", False, ("s", 50, 0, None))},
    "RemoteStartTransaction": {"connectorId": ("i", False, _NAT), "idTag": ("s", True, ID_TAG),
                               "chargingProfile": ("o", False, PROFILE)},
    "RemoteStopTransaction": {"transactionId": ("i", True, (-_N - 1, _N))},
    "Reset": {"type": ("e", True, ("Hard", "Soft"))},
    "SetChargingProfile": {"connectorId": ("i", True, _NAT), "csChargingProfiles": ("o", True, PROFILE)},
    "TriggerMessage": {"requestedMessage": ("e", True, TRIGGERS), "connectorId": ("i", False, _NAT)},
    "UnlockConnector": {"connectorId": ("i", True, _NAT)},
}

# OCPP 1.6 requests of the profiles this charge point does not carry (Firmware Management, Local Auth List
# Management, Reservation): answered NotSupported. Any other action is NotImplemented.
UNSUPPORTED = ("CancelReservation", "GetDiagnostics", "GetLocalListVersion", "ReserveNow", "SendLocalList",
               "UpdateFirmware")
