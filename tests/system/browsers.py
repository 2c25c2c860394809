"""Headless Chromium (Debian's chromium and chromium-driver, driven by selenium) for the system
tests that look at the kiosk page and the console as a person would: a driver of a given
viewport, the fixtures the tests share (conftest.py imports them), screenshots into
test-artifacts/, the checks every page gets, and signing in to the console through its login page.
"""
import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
from harness import CASE_SERVER, wait_for

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# Every console account the tests make has this password.
PASSWORD = "a long console password 26"


def chromium(width, height, tls=False, loopback_only=False, log_requests=False):
    """A headless Chromium whose page is exactly `width`×`height` (a window's size includes its
    frame). `tls`: the case server's certificate, signed by the test's own CA, is accepted.
    `loopback_only`: nothing resolves but 127.0.0.1, so a page that asked for anything else would
    fail, and the browser makes no requests of its own. `log_requests`: the performance log that
    `requested_hosts` reads."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    args = ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={width},{height}"]
    if loopback_only:
        args += ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    for a in args:
        opts.add_argument(a)
    opts.binary_location = CHROMIUM
    if tls:
        opts.set_capability("acceptInsecureCerts", True)
    if log_requests:
        opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    viewport(driver, width, height)
    return driver


@pytest.fixture
def browser():
    """The terminal's 800×480 touchscreen showing the kiosk page (test_kiosk, test_talk)."""
    driver = chromium(800, 480)
    yield driver
    driver.quit()


@pytest.fixture
def console():
    """A console user's 1280×800 screen, fetching nothing but from loopback, its requests logged."""
    driver = chromium(1280, 800, tls=True, loopback_only=True, log_requests=True)
    yield driver
    driver.quit()


@pytest.fixture
def kiosk():
    """The kiosk page at 800×480 beside a console (test_console_flow): loopback only, its
    requests logged, like the console's."""
    driver = chromium(800, 480, loopback_only=True, log_requests=True)
    yield driver
    driver.quit()


def viewport(driver, width, height, mobile=False):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


def shot(driver, name, element=None):
    """A screenshot in test-artifacts/: the page, or only `element` when given."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    if element is not None:
        element.screenshot(str(path))
    else:
        driver.save_screenshot(str(path))
    assert path.stat().st_size > 1000
    return path


def no_horizontal_scroll(driver):
    return driver.execute_script("return document.documentElement.scrollWidth <= innerWidth")


def requested_hosts(driver):
    """Every host the browser asked for since the last call (needs `log_requests`)."""
    hosts = set()
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            if url.startswith(("http:", "https:", "ws:", "wss:")):
                hosts.add(urlparse(url).hostname)
    return hosts


def add_account(site, who):
    """`who` is "<role>[-<insurer>].<language>" ("handler.en", "insurer-north.zh-Hans"), made once
    with `case-server users add` (the password on standard input)."""
    role_insurer, lang = who.split(".", 1)
    role, _, insurer = role_insurer.partition("-")
    made = site.__dict__.setdefault("console_accounts", set())
    if who in made:
        return
    args = ["users", "add", who, "--role", role, "--language", lang, "--db", str(site.root / "cases.db")]
    args += ["--insurer", insurer] if insurer else ["--site", "*"] if role == "handler" else []
    r = subprocess.run([CASE_SERVER, *args], input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    made.add(who)


def sign_in(site, driver, base, who):
    """Signs `who` (see `add_account`, which makes the account the first time) in through the
    login page, as a person would."""
    add_account(site, who)
    # Every cookie of the browser (the session's has Path=/console, which delete_all_cookies
    # misses from a page outside it).
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.get(base + "/console/login")
    wait_for(lambda: driver.find_elements("id", "name"), 10, f"the login page, not {driver.page_source[:600]}")
    driver.find_element("id", "name").send_keys(who)
    driver.find_element("id", "password").send_keys(PASSWORD + "\n")
    wait_for(lambda: driver.current_url.endswith("/console/cases"), 20, f"{who} to be signed in")
