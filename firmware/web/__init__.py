# The web page on the charger (issue 14, docs/web.md): a microdot server beside the control loop.
