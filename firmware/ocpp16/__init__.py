# OCPP-J 1.6 charge point (issue 13): pure protocol logic in cp.py and its helpers, the transport in ws.py and
# task.py. docs/ocpp.md.
