# The set-up page's routes on the web server while the set-up access point is up (net/ap.py): scan, test a
# network, save it through the command layer, reboot into station mode. docs/web.md "First boot".
from microdot import Response  # pyright: ignore[reportMissingImports] -- PyPI, in the image

from evse import errcodes

from .server import answer, as_dict, error

_TOKEN_HEADER = "X-Setup-Token"
_FIELDS = (("ssid", "wifi_ssid"), ("password", "wifi_password"))
_RESULTS = {"wrong_password": ("password", "wrong password for this network"),
            "not_found": ("ssid", "network not in reach"),
            "timeout": ("ssid", "no answer from the network within 15 s"),
            "failed": ("ssid", "the radio could not join"),
            "busy": (None, "a scan or a test is running, try again")}


def client_ip(addr):
    """The client's IPv4 address as text from what the stream gives: a (host, port) tuple (lwIP ports,
    CPython) or a raw sockaddr_in (the unix port). None if neither."""
    if isinstance(addr, (tuple, list)) and addr:
        return str(addr[0])
    if isinstance(addr, (bytes, bytearray)) and len(addr) >= 8 and addr[0] == 2:  # AF_INET, little-endian
        return "%d.%d.%d.%d" % (addr[4], addr[5], addr[6], addr[7])
    return None


def _subnet(ip):
    return ip.rsplit(".", 1)[0] if ip else None


def ip_host(host):
    """True if a Host header names the server by an IPv4 address (with or without a port). A page whose
    domain name was re-pointed at the charger (DNS rebinding) sends its own name: it gets no token."""
    if not host:
        return False
    name = host.split(":")[0]
    parts = name.split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not p or len(p) > 3 or not p.isdigit():
            return False
    return True


class Setup:
    """The set-up routes of web (a web.server.Web) for ap (a net.ap.AccessPoint). A write needs the page's
    token (X-Setup-Token, given by GET /api/setup: a cross-origin page cannot read it) and a client on the
    access point's own network (the WPA2 password let it in) or a web login."""

    def __init__(self, web, ap, token):
        self.web = web
        self.ap = ap
        self.token = token
        self.saves = 0
        from evse.commands import Caller

        self.caller = Caller("setup", pin=False)  # authenticated by the access point's WPA2 password
        r = web.route
        r("/setup")(self._page)
        r("/api/setup")(self._info)
        r("/api/setup/scan", methods=["POST"])(self._scan)
        r("/api/setup/test", methods=["POST"])(self._test)
        r("/api/setup/save", methods=["POST"])(self._save)
        r("/api/setup/reboot", methods=["POST"])(self._reboot)

    def _closed(self):
        if not self.ap.up():
            return error(404, errcodes.UNKNOWN_COMMAND, "the set-up access point is not up")
        return None

    async def _page(self, req):
        bad = self._closed()
        if bad is not None:
            return bad
        try:
            f = open(self.web.static_dir + "/setup.html.gz", "rb")
        except OSError:
            return error(404, errcodes.UNKNOWN_COMMAND, "page not installed")
        return Response(f, 200, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip",
                                 "Cache-Control": "no-cache"})

    async def _info(self, req):
        bad = self._closed()
        if bad is not None:
            return bad
        v = self.web.commands.settings.values
        d = as_dict(self.ap.pairs())
        d["token"] = self.token if self._local(req) else None
        d["wifi_ssid"] = v["wifi_ssid"] or None
        d["scan_ok"] = bool(self.ap.heavy_ok())
        return answer(d)

    def _local(self, req):
        """True if the client is on the access point's network (its /24) and names the server by its
        address, or holds a web login."""
        if not ip_host(req.headers.get("Host")):
            return self._login(req)
        ip = client_ip(req.client_addr)
        if ip is not None and _subnet(ip) == _subnet(self.ap.addr):
            return True
        return self._login(req)

    def _login(self, req):
        return self.web.auth.find(req.cookies.get("evse_s"), self.web.clock()) is not None

    def _write(self, req):
        """The JSON body of a set-up POST, or the error Response."""
        bad = self._closed()
        if bad is not None:
            return bad
        if not self._local(req):
            return error(403, errcodes.LOCKED, "set-up only from the access point's network, or log in")
        if req.headers.get(_TOKEN_HEADER) != self.token:
            return error(403, errcodes.LOCKED, "set-up token missing or wrong: reload the page")
        return self.web._body(req)

    async def _scan(self, req):
        obj = self._write(req)
        if isinstance(obj, Response):
            return obj
        ok, why, nets = self.ap.scan()
        if not ok:
            return error(409, errcodes.REFUSED, why)
        return answer({"ok": True, "networks": nets})

    def _write_fields(self, req):
        """(ssid, password) of a set-up POST that may write, or the error Response."""
        obj = self._write(req)
        return obj if isinstance(obj, Response) else self._fields(obj)

    def _fields(self, obj):
        """(ssid, password) checked by the settings' own rules, or the error Response naming the field."""
        st = self.web.commands.settings
        out = []
        for key, setting in _FIELDS:
            t = obj.get(key, "")
            if t is None:
                t = ""
            if not isinstance(t, str):
                return _field_error(400, errcodes.BAD_VALUE, key, "text expected")
            if key == "ssid" and not t:
                return _field_error(400, errcodes.BAD_VALUE, key, "choose a network")
            if t:
                ok, v, code, msg = st.validate(setting, t)
                if not ok:
                    return _field_error(400, code, key, msg)
            out.append(t)
        return out[0], out[1]

    async def _test(self, req):
        f = self._write_fields(req)
        if isinstance(f, Response):
            return f
        result, ip = await self.ap.test(f[0], f[1], self.web.sleep_ms)
        if result == "joined":
            return answer({"ok": True, "result": result, "ip": ip})
        field, text = _RESULTS.get(result, ("ssid", result))
        r = _field_error(503 if result == "busy" else 409, errcodes.REFUSED, field, text)
        return r

    async def _save(self, req):
        f = self._write_fields(req)
        if isinstance(f, Response):
            return f
        cmds = self.web.commands
        old = cmds.settings.values["wifi_ssid"]
        # Checked above by the same rules: these can only fail for a reason of the moment; then the SSID
        # goes back, so a refusal changes nothing.
        for key, words in (("ssid", ["set", "wifi_ssid", f[0]]), ("password", ["set", "wifi_password", f[1] or "none"])):
            r = cmds.run(self.caller, words)
            if not r.ok:
                if key == "password":
                    cmds.run(self.caller, ["set", "wifi_ssid", old or "none"])
                return _field_error(400, r.code, key, r.text)
        r = cmds.run(self.caller, ["save"])
        if not r.ok:
            return error(500, r.code, r.text)
        self.saves += 1
        d = as_dict(r.pairs)
        d["ok"] = True
        d["wifi_ssid"] = f[0]
        return answer(d)

    async def _reboot(self, req):
        obj = self._write(req)
        if isinstance(obj, Response):
            return obj
        cmds = self.web.commands
        if cmds.charger.installation_locked():
            # The console's reboot opens the contactor first; from the set-up page a session is never ended.
            return error(409, errcodes.SESSION, "a vehicle is connected: reboot after it leaves")
        r = cmds.run(self.caller, ["reboot"])
        if not r.ok:
            return error(409, r.code, r.text)
        if r.after is not None:
            import asyncio

            asyncio.create_task(self.web._after(r.after))
        return answer({"ok": True, "rebooting": True})


def _field_error(status, code, field, text):
    return answer({"ok": False, "code": code, "error": text, "field": field}, status)


def mount(web, ap):
    """Add the set-up routes to web for ap (once: a second call finds them there). The Setup."""
    s = getattr(web, "setup", None)
    if s is None:
        from binascii import hexlify
        from os import urandom

        s = Setup(web, ap, hexlify(urandom(16)).decode())
        web.setup = s
    return s
