# The web pages in a real browser: Debian's chromium headless through PyPI selenium (make chromium), against
# the whole firmware on the virtual board in real time (tools.vboard.pty_host --deploy: the MicroPython unix
# port, the host's sockets, 127.0.0.1 only) with a metered session and an earth fault on its scenario: log
# in (a wrong password first), the status follows A -> B -> C, the max current set and the offer follows, the
# fault appears and clears, the chart draws, a setting out of range is refused beside its field, a forged
# cross-origin form changes nothing, no secret reaches the page. The expired login runs against
# tools/webdev.py (the same web code under CPython), whose clock the test can jump. Screenshots of every page,
# phone-sized and desktop, go to build/screenshots/; with EVSE_SHOTS=1 also to docs/screenshots/ (checked in).
# Waits are bounds, never timing checks. pytest only (subprocesses, threads).
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tools.webdev import PASSWORD as DEV_PASSWORD
from tools.webdev import Dev

from host_tests.vboard_http import free_port as _free_port

webdriver = pytest.importorskip("selenium.webdriver")
CHROMEDRIVER = shutil.which("chromedriver")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICROPYTHON = os.path.join(ROOT, ".venv", "bin", "micropython")
pytestmark = [pytest.mark.skipif(CHROMEDRIVER is None, reason="no chromedriver: make chromium"),
              pytest.mark.skipif(not os.path.exists(MICROPYTHON), reason="no MicroPython unix port in .venv")]
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--dns-prefetch-disable", "--window-size=1280,800")
PHONE = (412, 915)  # a common Android phone's viewport in CSS pixels
DESKTOP = (1280, 800)
SHOTS = os.path.join(ROOT, "build", "screenshots")
DOC_SHOTS = os.path.join(ROOT, "docs", "screenshots")
PASSWORD = "plug-and-charge"  # the board's web_password (its hash goes into the scenario)
# The board's scenario (board ms): plugged in at 12 s, asking for power at 16 s, the earth lost at 40 s and
# back at 50 s. Late enough that chromium is up and the page shows A first; the tests wait for each.
B_MS, C_MS, NO_EARTH_MS, EARTH_MS = 12000, 16000, 40000, 50000
WAIT_S = 40  # the longest a test waits for something the board does (a bound, not a timing check)


class Board:
    """The deployed firmware on the virtual board (pty_host) serving the web page on a free port."""

    def __init__(self, tmp):
        sys.path.insert(0, os.path.join(ROOT, "firmware"))
        from evse import pinhash

        self.port = _free_port()
        sc = {"duration_ms": 900000,
              "settings": {"web": True, "web_port": self.port, "web_password": pinhash.make(PASSWORD),
                           "meter": "sdm630", "phases": 3},
              "events": [{"t_ms": B_MS, "ev": "B"}, {"t_ms": C_MS, "ev": "C"},
                         {"t_ms": NO_EARTH_MS, "ground": False}, {"t_ms": EARTH_MS, "ground": True}]}
        path = os.path.join(tmp, "web_browser.json")
        with open(path, "w") as f:
            json.dump(sc, f)
        self.p = subprocess.Popen([sys.executable, "-m", "tools.vboard.pty_host", "--board", "pico", "--flash",
                                   os.path.join(tmp, "flash"), "--deploy", "--scenario", path], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True)
        r, _, _ = select.select([self.p.stdout], [], [], 60)
        assert r and self.p.stdout.readline().startswith("vboard: /dev/")
        self.url = "http://127.0.0.1:%d/" % self.port
        self.wait(lambda: self.get("api/status") is not None, "the board's server up")

    def get(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as r:
                return json.loads(r.read().decode())
        except OSError:
            return None

    def raw(self, path):
        with urllib.request.urlopen(self.url + path, timeout=5) as r:
            return r.read()

    def wait(self, cond, what, s=WAIT_S):
        import time

        end = time.time() + s  # a bound on waiting, not a timing check
        while time.time() < end:
            if cond():
                return
            time.sleep(0.1)
        raise AssertionError("not seen within %d s: %s" % (s, what))

    def close(self):
        self.p.terminate()
        try:
            self.p.wait(20)
        except subprocess.TimeoutExpired:
            self.p.kill()


@pytest.fixture(scope="module")
def board():
    tmp = tempfile.mkdtemp(prefix="evse-web-board-")
    b = Board(tmp)
    try:
        yield b
    finally:
        b.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _chromium():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="evse-chromium-")
    opts = Options()
    for f in FLAGS:
        opts.add_argument(f)
    opts.add_argument("--user-data-dir=" + profile)
    # No speculative connections: an idle preconnected socket holds one of the board's 4 slots for 5 s
    opts.add_experimental_option("prefs", {"net.network_prediction_options": 2})
    chromium = shutil.which("chromium")
    if chromium:
        opts.binary_location = chromium
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts), profile


@pytest.fixture(scope="module")
def browser():
    drv, profile = _chromium()
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _viewport(drv, size):
    w, h = size
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 600})


def _text(drv, i):
    return drv.find_element("id", i).text


def _wait(drv, cond, what, s=WAIT_S):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(drv, s, poll_frequency=0.05).until(lambda d: cond(d), what)  # a bound, not a timing check


def _login(drv, password):
    drv.find_element("id", "pw").clear()
    drv.find_element("id", "pw").send_keys(password)
    drv.find_element("id", "lb").click()


def _tab(drv, url, name):
    drv.get(url + "#" + name)
    _wait(drv, lambda d: d.find_element("id", "tab-" + name).is_displayed(), name + " shown")


def test_log_in_and_watch_a_session_a_b_c_then_set_the_max_current(browser, board):
    drv = browser
    _viewport(drv, PHONE)
    drv.get(board.url)
    seen = []

    def note(d):
        t = _text(d, "state")
        if t and t != "…" and (not seen or seen[-1] != t):
            seen.append(t)
        return t

    _wait(drv, lambda d: note(d) == "No vehicle connected", "state A shown")
    _login(drv, "not the password")
    _wait(drv, lambda d: "Refused" in _text(d, "msg"), "a wrong password is refused")
    assert not drv.find_element("id", "ctl").is_displayed()
    assert drv.get_cookie("evse_s") is None
    _login(drv, PASSWORD)
    _wait(drv, lambda d: d.find_element("id", "ctl").is_displayed(), "logged in")
    _wait(drv, lambda d: note(d) == "Charging", "state C2 shown")
    assert seen[0] == "No vehicle connected" and seen[-1] == "Charging", seen
    assert any(s.startswith("Vehicle connected") for s in seen), seen
    _wait(drv, lambda d: _text(d, "contactor").startswith("closed"), "contactor closed shown")
    _wait(drv, lambda d: _text(d, "power").endswith("kW") and _text(d, "phases").count(" A") == 3,
          "power and three phase currents shown")
    assert _text(drv, "offer").startswith("32.0 A"), _text(drv, "offer")
    m = drv.find_element("id", "max")
    m.clear()
    m.send_keys("16")
    drv.find_element("id", "setmax").click()
    _wait(drv, lambda d: "Max current set" in _text(d, "msg"), "max current accepted")
    _wait(drv, lambda d: _text(d, "offer").startswith("16.0 A"), "the offer follows to 16 A")
    duty = float(_text(drv, "offer").split("(")[1].split()[0])
    assert 26 <= duty <= 27.5, duty  # 16 A / 0.6 A per % (IEC 61851-1 A.2): the pilot follows
    st = board.get("api/status")
    assert st["offered_ma"] == 16000 and st["limit_ma"] == 16000, st


def test_a_fault_appears_and_clears_on_the_status_and_faults_pages(browser, board):
    drv = browser
    _viewport(drv, PHONE)
    _tab(drv, board.url, "status")  # the same page, not a reload: no second event stream waiting to be noticed
    _wait(drv, lambda d: "no earth" in _text(d, "faults"), "the earth fault shown on the status page")
    _tab(drv, board.url, "faults")
    _wait(drv, lambda d: d.find_elements("id", "fa-no_ground"), "the fault listed as active")
    assert "protective earth" in _text(drv, "fa-no_ground")
    _wait(drv, lambda d: "no earth" in _text(d, "faults-history"), "the fault in the history")
    _wait(drv, lambda d: not d.find_elements("id", "fa-no_ground"), "the fault cleared", WAIT_S + 20)
    _wait(drv, lambda d: "all good" in _text(d, "faults-active"), "no active fault shown")
    row = [r.text for r in drv.find_elements("css selector", "#faults-history tr") if "no earth" in r.text][0]
    assert " 1 " in " " + row + " ", row  # once
    _tab(drv, board.url, "status")
    _wait(drv, lambda d: _text(d, "faults") == "", "no fault on the status page")


def test_the_chart_draws_power_offer_and_state_bands(browser, board):
    drv = browser
    _viewport(drv, PHONE)
    _tab(drv, board.url, "chart")
    _wait(drv, lambda d: len(d.find_elements("css selector", "#chart rect.band")) >= 2, "state bands drawn")
    _wait(drv, lambda d: d.find_element("id", "ch-power").get_attribute("d").count("L") >= 2, "a power line")
    classes = set(e.get_attribute("class") for e in drv.find_elements("css selector", "#chart rect.band"))
    assert "band bA" in classes and "band bC" in classes, classes  # no vehicle, then charging
    assert "minutes ago" in drv.find_element("id", "chart").text
    c = board.get("api/chart")
    assert c["period_s"] == 10 and len(c["points"]) >= 2, c
    assert any(p[2] == "C2" and p[0] and p[0] > 1000 for p in c["points"]) or \
        board.get("api/status")["state"] != "C2", c  # sampled while charging (unless it has not been 10 s)


def test_settings_an_out_of_range_value_is_refused_beside_its_field_and_a_good_one_applied(browser, board):
    drv = browser
    _viewport(drv, PHONE)
    _tab(drv, board.url, "settings")
    _wait(drv, lambda d: d.find_elements("id", "in-max_current_a"), "the settings listed")
    _wait(drv, lambda d: d.find_element("id", "sv-max_current_a").is_enabled(), "saving allowed (logged in)")
    assert "6..80 A" in _text(drv, "set-max_current_a")
    before = board.get("api/settings")
    inp = drv.find_element("id", "in-max_current_a")
    inp.clear()
    inp.send_keys("99")
    drv.find_element("id", "sv-max_current_a").click()
    _wait(drv, lambda d: "range 6..80 A" in _text(d, "er-max_current_a"), "the range error beside the field")
    assert board.get("api/settings") == before  # nothing changed
    inp = drv.find_element("id", "in-limit_min")
    inp.clear()
    inp.send_keys("90")
    drv.find_element("id", "sv-limit_min").click()
    _wait(drv, lambda d: _text(d, "er-limit_min") == "set", "the good value accepted")
    got = [s for s in board.get("api/settings")["settings"] if s["name"] == "limit_min"][0]
    assert got["value"] == 90, got
    assert "not saved" in _text(drv, "saved-state") and drv.find_element("id", "save-flash").is_displayed()
    # the secrets: write-only fields, empty, with a placeholder
    pw = drv.find_element("id", "in-web_password")
    assert pw.get_attribute("type") == "password" and pw.get_attribute("value") == ""
    assert pw.get_attribute("placeholder") == "set: unchanged"


_FORGED = """<!doctype html><html><body>
<form id="a" method="POST" enctype="text/plain" action="%(url)sapi/settings" target="fa">
<input name='{"name": "max_current_a", "value": 6, "x": "' value='"}'></form>
<form id="b" method="POST" enctype="text/plain" action="%(url)sapi/command" target="fb">
<input name='{"line": "disable", "x": "' value='"}'></form>
<iframe name="fa" id="fa"></iframe><iframe name="fb"></iframe>
<script>var sent=false;document.getElementById("fa").onload=function(){  // a answered (the charger's
try{this.contentWindow.location.href}catch(e){if(!sent){sent=true;document.getElementById("b").submit()}}};  // origin)
document.getElementById("a").submit();</script>
</body></html>"""


def test_a_forged_form_from_another_origin_changes_nothing(browser, board):
    drv = browser
    _tab(drv, board.url, "status")
    _wait(drv, lambda d: d.find_element("id", "ctl").is_displayed(), "still logged in on the charger")
    before = board.get("api/status")
    assert before["enabled"] and before["limit_ma"] == 16000, before
    page = (_FORGED % {"url": board.url}).encode()
    posted = []

    class Evil(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 -- http.server's name
            posted.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *a):
            pass

    evil = HTTPServer(("127.0.0.1", 0), Evil)  # another port: another origin
    t = threading.Thread(target=evil.serve_forever, daemon=True)
    t.start()
    try:
        drv.get("http://127.0.0.1:%d/" % evil.server_address[1])
        _wait(drv, lambda d: len(d.find_elements("tag name", "iframe")) == 2, "the forged page loaded")

        def answered(d):  # both forms went to the charger and came back refused (its JSON error in each frame)
            out = []
            for f in d.find_elements("tag name", "iframe"):
                d.switch_to.frame(f)
                out.append(d.find_element("tag name", "body").text)
                d.switch_to.default_content()
            return all('"ok": false' in x for x in out)

        _wait(drv, answered, "both forged posts answered with a refusal")
    finally:
        evil.shutdown()
    after = board.get("api/status")
    assert after["enabled"] is True and after["limit_ma"] == 16000, after
    assert posted[0] == "/"  # (then maybe /favicon.ico: a GET, harmless)


def test_no_secret_in_the_page_or_any_api_answer(browser, board):
    drv = browser
    from evse import pinhash  # noqa: F401 -- (the board's stored form starts "s1$")

    for name in ("status", "chart", "settings", "sessions", "faults"):
        _tab(drv, board.url, name)
        html = drv.page_source
        assert PASSWORD not in html and "s1$" not in html, name
    for path in ("api/status", "api/chart", "api/settings", "api/sessions", "api/faults", "api/session"):
        body = board.raw(path).decode()
        assert PASSWORD not in body and "s1$" not in body, path
    s = [x for x in board.get("api/settings")["settings"] if x["name"] == "web_password"][0]
    assert s["value"] == "****", s


def test_screenshots_of_every_page_phone_and_desktop(browser, board):
    drv = browser
    _tab(drv, board.url, "sessions")
    _wait(drv, lambda d: d.find_elements("css selector", "#sessions-table tr"), "the session listed")
    assert "in progress" in _text(drv, "sessions-table") or "kWh" in _text(drv, "sessions-table")
    os.makedirs(SHOTS, exist_ok=True)
    written = []
    for size, kind in ((PHONE, "phone"), (DESKTOP, "desktop")):
        _viewport(drv, size)
        for name in ("status", "chart", "settings", "sessions", "faults"):
            _tab(drv, board.url, name)
            if name == "chart":
                _wait(drv, lambda d: d.find_elements("css selector", "#chart rect.band"), "chart drawn")
            elif name == "settings":
                _wait(drv, lambda d: d.find_elements("id", "in-max_current_a"), "settings listed")
            elif name == "status":
                _wait(drv, lambda d: _text(d, "link") == "live", "live")
            else:
                _wait(drv, lambda d: d.find_elements("css selector", "#%s tr" % (
                    "sessions-table" if name == "sessions" else "faults-history")), name + " listed")
            path = os.path.join(SHOTS, "%s-%s.png" % (name, kind))
            assert drv.save_screenshot(path)
            written.append(path)
    for p in written:
        with open(p, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", p
    if os.environ.get("EVSE_SHOTS") == "1":  # refresh the checked-in copies (docs/web.md "Screenshots")
        os.makedirs(DOC_SHOTS, exist_ok=True)
        for p in written:
            shutil.copy(p, DOC_SHOTS)


# ---- the expired login, against the same web code under CPython (tools/webdev.py), whose clock we jump


@pytest.fixture
def dev():
    d = Dev(_free_port(), events=[])
    import asyncio

    t = threading.Thread(target=lambda: asyncio.run(d.main()), daemon=True)
    t.start()
    yield d
    d.stop()
    t.join(5)


def test_an_expired_login_is_refused_and_changes_nothing(dev):
    drv, profile = _chromium()
    try:
        url = "http://127.0.0.1:%d/" % dev.port
        drv.get(url)
        _wait(drv, lambda d: _text(d, "state") == "No vehicle connected", "the page up")
        _login(drv, DEV_PASSWORD)
        _wait(drv, lambda d: d.find_element("id", "ctl").is_displayed(), "logged in")
        assert drv.get_cookie("evse_s") is not None
        dev.skew += 31 * 60 * 1000  # past the session's 30 min
        m = drv.find_element("id", "max")
        m.clear()
        m.send_keys("10")
        drv.find_element("id", "setmax").click()
        _wait(drv, lambda d: "log in first" in _text(d, "msg"), "the expired login refused")
        assert dev.cmd.settings.values["max_current_a"] == 32
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)
