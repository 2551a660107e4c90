# The set-up page (firmware/web/static/setup.html) in a real browser: Debian's chromium headless through PyPI
# selenium (make chromium), the firmware's web code under CPython (tools/webdev.py) with the set-up access
# point of net/ap.py on the virtual board's radio mounted, on 127.0.0.1 only. Scan, choose a network, a
# wrong password shown beside its field, the right one joins, save, reboot requested.
import os
import shutil
import tempfile
import threading

import pytest

from host_tests.vboard_http import free_port as _free_port

webdriver = pytest.importorskip("selenium.webdriver")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(CHROMEDRIVER is None, reason="no chromedriver: make chromium")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
PHONE = (412, 915)  # a phone's viewport
DESKTOP = (1280, 800)
SHOTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "screenshots")
AP_PASS = "k7mq2x9pdw4h"
HOME_PASS = "vboard-pass"


@pytest.fixture
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="evse-chromium-")
    opts = Options()
    for f in FLAGS:
        opts.add_argument(f)
    opts.add_argument("--window-size=%d,%d" % PHONE)
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


def _fresh_web():
    """tools.webdev's Web and web.setup on one and the same microdot: a virtual-board test run earlier in this
    process drops the web modules it imported under the virtual asyncio (test_vboard_ap.py), and a set-up
    route answering another microdot's Response would not be understood by this one."""
    import sys

    from tools.vboard.vmain import drop_web_modules

    drop_web_modules()
    sys.modules.pop("tools.webdev", None)
    from tools.webdev import Dev
    from web.setup import mount

    return Dev, mount


@pytest.fixture
def server():
    from net import ap as apmod
    from tools.vboard import clock
    from tools.vboard.ports import network

    Dev, mount = _fresh_web()

    clock.patch_time()  # the fake radio's join time on the real clock (no virtual board runs here)
    clock.K = None
    network.AIR.reset()
    network.AIR.join_ms = 0
    network.AIR.add("cafe", "", rssi=-45, channel=11)
    network.AIR.add("neighbour", "n-pass-123", rssi=-82)
    d = Dev(_free_port(), events=[])
    a = apmod.AccessPoint(network, b"vboard01", AP_PASS, d.clock, lambda: True)
    assert a.start()
    a.addr = "127.0.0.1"  # the browser comes from 127.0.0.1: it stands for a phone on the access point
    mount(d.web, a)
    d.reboots = []
    d.cmd._reboot_fn = lambda: d.reboots.append(d.now)
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


def test_scan_choose_a_wrong_password_then_the_right_one_save_and_reboot(browser, server):
    drv = browser
    drv.get("http://127.0.0.1:%d/setup" % server.port)
    _wait(drv, lambda d: "EVSE-643031" in _text(d, "ap"), "the access point's name shown")
    drv.find_element("id", "scan").click()
    _wait(drv, lambda d: len(d.find_elements("css selector", "#nets li")) == 3, "three networks listed")
    items = drv.find_elements("css selector", "#nets li")
    assert [li.text.split(" ")[0] for li in items] == ["cafe", "vboard", "neighbour"], [li.text for li in items]
    os.makedirs(SHOTS, exist_ok=True)
    drv.save_screenshot(os.path.join(SHOTS, "setup-phone.png"))
    items[1].click()
    assert drv.find_element("id", "ssid").get_attribute("value") == "vboard"
    drv.find_element("id", "pw").send_keys("not-the-password")
    drv.find_element("id", "test").click()
    _wait(drv, lambda d: "wrong password" in _text(d, "password-err"), "a wrong password shown beside its field")
    assert server.cmd.settings.values["wifi_ssid"] == ""
    drv.find_element("id", "ssid").clear()  # a save with an empty network name is refused beside it
    drv.find_element("id", "save").click()
    _wait(drv, lambda d: "choose a network" in _text(d, "ssid-err"), "an empty network name refused")
    assert server.cmd.settings.values["wifi_ssid"] == ""
    drv.find_element("id", "ssid").send_keys("vboard")
    drv.find_element("id", "pw").clear()
    drv.find_element("id", "pw").send_keys(HOME_PASS)
    drv.find_element("id", "test").click()
    _wait(drv, lambda d: "Joined" in _text(d, "msg"), "the right password joins")
    assert "10.0.0.42" in _text(drv, "msg")
    drv.find_element("id", "save").click()
    _wait(drv, lambda d: "Saved" in _text(d, "msg"), "saved")
    v = server.cmd.settings.values
    assert v["wifi_ssid"] == "vboard" and v["wifi_password"] == HOME_PASS and not server.cmd.settings.dirty()
    _wait(drv, lambda d: d.find_element("id", "reboot").is_displayed(), "the reboot button offered")
    drv.find_element("id", "reboot").click()
    _wait(drv, lambda d: "Rebooting" in _text(d, "msg"), "reboot answered")
    _wait(drv, lambda d: server.reboots, "the reboot requested through the command layer")
    html = drv.page_source
    for s in (AP_PASS, HOME_PASS, "s1$"):
        assert s not in html, s
    drv.set_window_size(*DESKTOP)
    drv.save_screenshot(os.path.join(SHOTS, "setup-desktop.png"))
