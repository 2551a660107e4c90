# The status page in a real browser: Debian's chromium headless through PyPI selenium (make chromium), the
# firmware's web code under CPython (tools/webdev.py) against a charging session on the bench in real time,
# on 127.0.0.1 only. Log in, watch the status follow A -> B -> C, set the max current and see the offer follow.
import os
import shutil
import socket
import tempfile
import threading

import pytest

from tools.webdev import PASSWORD, Dev

webdriver = pytest.importorskip("selenium.webdriver")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(CHROMEDRIVER is None, reason="no chromedriver: make chromium")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=412,915")  # a phone's viewport
SHOTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "screenshots")


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


@pytest.fixture
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="evse-chromium-")
    opts = Options()
    for f in FLAGS:
        opts.add_argument(f)
    opts.add_argument("--user-data-dir=" + profile)
    chromium = shutil.which("chromium")
    if chromium:
        opts.binary_location = chromium
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def server():
    # Plugged in at 4 s, asking for power at 7 s (bench time, from when the server starts).
    d = Dev(_free_port(), events=[{"t_ms": 4000, "ev": "B"}, {"t_ms": 7000, "ev": "C"}])
    import asyncio

    t = threading.Thread(target=lambda: asyncio.run(d.main()), daemon=True)
    t.start()
    yield d
    d.stop()
    t.join(5)


def _text(drv, i):
    return drv.find_element("id", i).text


def _wait(drv, cond, what, s=20):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(drv, s, poll_frequency=0.05).until(lambda d: cond(d), what)  # a bound, not a timing check


def test_log_in_and_watch_a_session_a_b_c_then_set_the_max_current(browser, server):
    drv = browser
    drv.get("http://127.0.0.1:%d/" % server.port)
    seen = []

    def note(d):
        t = _text(d, "state")
        if t and (not seen or seen[-1] != t):
            seen.append(t)
        return t

    _wait(drv, lambda d: note(d) == "No vehicle connected", "state A shown")
    drv.find_element("id", "pw").send_keys("not the password")
    drv.find_element("id", "lb").click()
    _wait(drv, lambda d: "Refused" in _text(d, "msg"), "a wrong password is refused")
    assert not drv.find_element("id", "ctl").is_displayed()
    drv.find_element("id", "pw").clear()
    drv.find_element("id", "pw").send_keys(PASSWORD)
    drv.find_element("id", "lb").click()
    _wait(drv, lambda d: d.find_element("id", "ctl").is_displayed(), "logged in")
    _wait(drv, lambda d: note(d) == "Charging", "state C2 shown")
    assert seen[0] == "No vehicle connected" and seen[-1] == "Charging", seen
    assert any(s.startswith("Vehicle connected") for s in seen), seen
    _wait(drv, lambda d: _text(d, "contactor").startswith("closed"), "contactor closed shown")
    os.makedirs(SHOTS, exist_ok=True)
    drv.save_screenshot(os.path.join(SHOTS, "status-phone.png"))
    m = drv.find_element("id", "max")
    m.clear()
    m.send_keys("16")
    drv.find_element("id", "setmax").click()
    _wait(drv, lambda d: "Max current set" in _text(d, "msg"), "max current accepted")
    assert server.cmd.settings.values["max_current_a"] == 16
    _wait(drv, lambda d: _text(d, "offer").startswith("16.0 A"), "the offer follows to 16 A")
    html = drv.page_source
    assert PASSWORD not in html and "s1$" not in html
