"""The console's pages (issue 26, part 2) in a real browser: headless Chromium (selenium)
against a real case-server with a policy and a real gatewayd sending scans and heartbeats.

What a case handler must see: a new case in the list within a second of the scan, without
reloading (server-sent events); the case's page (timeline, plot, insurers, forms); the
terminals with their charts; the guidance. Every page at 1280×800 and the case list at 390×844
(a phone), with no horizontal scrolling, in English and Simplified Chinese; nothing fetched
from anywhere but the case server. Screenshots go to test-artifacts/.

Each user is a real account (`case-server users add`, password on standard input) and signs
in through the login page, as a person would.
"""
import json
import shutil
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from harness import wait_for

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

POLICY = """
[[insurer]]
id = "north"
name = "Northern Mutual"
[[insurer]]
id = "harbour"
name = "Harbour Re"

[[coverage]]
subjects = ["1002*"]
insurers = ["north", "harbour"]

[[guidance]]
id = "acme-bystander"
class = "subject"
schema = "acme"
scanner = "unidentified"
title = "Thank you - the insurers are told"
text = "Keep a safe distance from the damaged object."
steps = ["Keep people away", "Call 112 if anyone is hurt"]
"""


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,800",
              # Nothing resolves but loopback: a page that asked for anything else would fail.
              "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
              "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        opts.add_argument(a)
    opts.binary_location = CHROMIUM
    # The case server's certificate is signed by the test's own CA.
    opts.set_capability("acceptInsecureCerts", True)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    yield driver
    driver.quit()


def viewport(driver, width, height, mobile=False):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


def shot(driver, name):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 1000
    return path


def no_horizontal_scroll(driver):
    return driver.execute_script("return document.documentElement.scrollWidth <= innerWidth")


PASSWORD = "a long console password 26"


def sign_in(site, driver, base, who):
    """Signs `who` in through the login page: "<role>[-<insurer>].<language>" ("handler.en",
    "insurer-north.zh-Hans"), an account made with `case-server users add` the first time."""
    import subprocess
    from harness import CASE_SERVER
    role_insurer, lang = who.split(".", 1)
    role, _, insurer = role_insurer.partition("-")
    made = site.__dict__.setdefault("console_accounts", set())
    if who not in made:
        args = ["users", "add", who, "--role", role, "--language", lang, "--db", str(site.root / "cases.db")]
        args += ["--insurer", insurer] if insurer else ["--site", "*"] if role == "handler" else []
        r = subprocess.run([CASE_SERVER, *args], input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        made.add(who)
    # Every cookie of the browser (the session's has Path=/console, which delete_all_cookies
    # misses from a page outside it).
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.get(base + "/console/login")
    wait_for(lambda: driver.find_elements("id", "name"), 10, f"the login page, not {driver.page_source[:600]}")
    driver.find_element("id", "name").send_keys(who)
    driver.find_element("id", "password").send_keys(PASSWORD + "\n")
    wait_for(lambda: driver.current_url.endswith("/console/cases"), 20, f"{who} to be signed in")


def requested_hosts(driver):
    hosts = set()
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            if url.startswith(("http:", "https:", "ws:", "wss:")):
                hosts.add(urlparse(url).hostname)
    return hosts


def start(site):
    (site.root / "policy.toml").write_text(POLICY)
    site.start_server(extra=["--policy", str(site.root / "policy.toml"), "--console"])
    cfg = site.write_config()
    cfg.write_text(cfg.read_text().replace("[heartbeat]\ninterval_s = 0", "[heartbeat]\ninterval_s = 1"))
    site.start_gateway()
    return f"https://127.0.0.1:{site.server_port}"


def row_refs(driver):
    return driver.execute_script("return [...document.querySelectorAll('#case-rows tr')].map(r => r.dataset.ref)")


def test_a_new_case_appears_live_and_every_page_fits(site, browser):
    base = start(site)
    # The first scan, so the pages have a case and the terminal a heartbeat before the list opens.
    site.scan("ACME-100234")
    first = wait_for(lambda: next((e for e in site.events()["events"] if e.get("text") == "ACME-100234"), None), 20,
                     "the first scan at the server")
    assert first
    wait_for(lambda: any(e.get("kind") == "heartbeat" for e in site.events()["events"]), 20, "a heartbeat")

    sign_in(site, browser, base, "handler.en")
    viewport(browser, 1280, 800)
    browser.get(base + "/console/cases")
    wait_for(lambda: len(row_refs(browser)) == 1, 10, "the first case in the list")
    wait_for(lambda: browser.execute_script("return document.getElementById('live').classList.contains('on')"), 10,
             "the list to go live")
    before = row_refs(browser)
    marker = browser.execute_script("window.__notReloaded = 1; return 1")
    assert marker == 1

    # A scan at the terminal: its case is in the list within a second, without a reload.
    t0 = time.monotonic()
    site.scan("ACME-100299")
    wait_for(lambda: len(row_refs(browser)) == 2, 1.0 + 0.5, "the new case in the list without reloading", interval=0.02)
    seen_after = time.monotonic() - t0
    assert browser.execute_script("return window.__notReloaded") == 1, "the page was not reloaded"
    new = [r for r in row_refs(browser) if r not in before][0]
    assert row_refs(browser)[0] == new, "newest first"
    row = browser.find_element("id", f"case-{new}").text
    assert "100299" in row and "Northern Mutual" in row and "Harbour Re" in row
    assert no_horizontal_scroll(browser)
    shot(browser, "console-cases-1280x800-en.png")
    # The scan's last byte to the row on the page: the gateway's delivery and the feed's poll.
    assert seen_after <= 1.0, f"{seen_after:.2f} s"

    # The case list on a phone, in both languages.
    viewport(browser, 390, 844, mobile=True)
    browser.get(base + "/console/cases")
    wait_for(lambda: len(row_refs(browser)) == 2, 10, "the list on a phone")
    assert no_horizontal_scroll(browser), browser.execute_script("return [document.documentElement.scrollWidth, innerWidth]")
    shot(browser, "console-cases-390x844-en.png")
    sign_in(site, browser, base, "handler.zh-Hans")
    browser.get(base + "/console/cases")
    wait_for(lambda: len(row_refs(browser)) == 2, 10, "the list in Chinese")
    assert browser.execute_script("return document.documentElement.lang") == "zh-Hans"
    assert "已通知保险公司" in browser.page_source
    assert no_horizontal_scroll(browser)
    shot(browser, "console-cases-390x844-zh-Hans.png")

    for lang in ("en", "zh-Hans"):
        sign_in(site, browser, base, f"handler.{lang}")
        viewport(browser, 1280, 800)
        browser.get(base + "/console/cases")
        wait_for(lambda: len(row_refs(browser)) == 2, 10, "the list")
        assert no_horizontal_scroll(browser)
        shot(browser, f"console-cases-1280x800-{lang}.png")

        browser.get(base + f"/console/cases/{new}")
        assert browser.execute_script("return document.querySelector('#case .ref').textContent") == new
        assert browser.find_elements("css selector", ".timeline li.event"), "the timeline"
        assert browser.find_elements("css selector", "form.progress select[name=state]"), "the form to move the case"
        assert "Thank you - the insurers are told" in browser.page_source, "guidance as the policy wrote it"
        assert no_horizontal_scroll(browser)
        shot(browser, f"console-case-1280x800-{lang}.png")

        browser.get(base + "/console/terminals")
        wait_for(lambda: browser.find_elements("css selector", "tr.terminal[data-device='term-1'] svg.terminal-chart"), 10,
                 "the terminal and its chart")
        assert no_horizontal_scroll(browser)
        shot(browser, f"console-terminals-1280x800-{lang}.png")

        browser.get(base + "/console/guidance")
        assert "class=subject schema=acme scanner=unidentified" in browser.page_source
        assert no_horizontal_scroll(browser)
        shot(browser, f"console-guidance-1280x800-{lang}.png")

    # The handler moves the case through the page's form; the list shows the new state.
    sign_in(site, browser, base, "handler.en")
    browser.get(base + f"/console/cases/{new}")
    from selenium.webdriver.support.ui import Select
    Select(browser.find_element("css selector", "form.progress select[name=state]")).select_by_value("assessor_assigned")
    browser.find_element("css selector", "form.progress textarea[name=note]").send_keys("Assessor at 14:00")
    browser.find_element("css selector", "form.progress button[type=submit]").click()
    wait_for(lambda: "Assessor assigned" in browser.execute_script(
        "const h = document.querySelector('#case h1'); return h ? h.textContent : ''"), 10, "the moved case")
    assert "Assessor at 14:00" in browser.page_source

    # An insurer sees its own row only, never the other insurer's.
    sign_in(site, browser, base, "insurer-north.en")
    browser.get(base + "/console/cases")
    wait_for(lambda: len(row_refs(browser)) == 2, 10, "the insurer's cases")
    assert "Northern Mutual" in browser.page_source and "Harbour" not in browser.page_source
    browser.get(base + f"/console/cases/{new}")
    assert "Northern Mutual" in browser.page_source and "Harbour" not in browser.page_source

    # An insurer not on it: the case page is 404 (its text is not in the page).
    sign_in(site, browser, base, "insurer-elsewhere.en")
    browser.get(base + f"/console/cases/{new}")
    assert "100299" not in browser.page_source

    hosts = requested_hosts(browser)
    assert hosts <= {"127.0.0.1"}, hosts
    print(f"console: new case in the list {seen_after * 1000:.0f} ms after the scan")

    # A server stopping while a list is live ends the feed and exits promptly; the page says
    # it is no longer live.
    sign_in(site, browser, base, "handler.en")
    browser.get(base + "/console/cases")
    wait_for(lambda: browser.execute_script("return document.getElementById('live').classList.contains('on')"), 10,
             "the list to go live")
    t0 = time.monotonic()
    site.stop_server()
    stopped_after = time.monotonic() - t0
    # Not the feed's lifetime (60 s): the feed ends at once. What remains is TLS's own close of
    # the browser's idle connections (NIOSSL waits up to 5 s for the peer's close_notify, with
    # or without the console).
    assert stopped_after < 10, f"{stopped_after:.1f} s"
    wait_for(lambda: not browser.execute_script("return document.getElementById('live').classList.contains('on')"), 10,
             "the list to say it is not live")


def test_the_case_page_shows_where_and_by_whom_the_scans_were_made(site, browser):
    """A real gpsd (gpsfake) and an operator's session: the case page's timeline shows the
    operator only as the pseudonym the event carries, the location anomaly and the clock's
    trust, and its plot places the located scans (the terminal's geofence is 8 km away)."""
    import datetime
    from test_gps import REAL_TIME, GPSFake, config, nmea_log
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    fake = GPSFake(site, nmea_log(site.root / "3d.nmea", 3, now, n=300), cycle=REAL_TIME).start()
    config(site, fake.port, extra="[geofence]\n[[geofence.area]]\nlat = 31.30\nlon = 121.50\nradius_m = 1000\n",
           max_skew_ms=5000)
    (site.root / "policy.toml").write_text(POLICY)
    site.start_server(extra=["--policy", str(site.root / "policy.toml"), "--console"])
    site.start_gateway()
    base = f"https://127.0.0.1:{site.server_port}"
    wait_for(lambda: "gpsd connected" in site.log(), 20, "gpsd")
    time.sleep(2)
    site.scan("OP-0042", "ACME-100234", "LOGOUT", "ACME-100234")
    events = site.wait_events(4)
    assert [e["location"]["fix"] for e in events] == ["3d"] * 4, [e.get("location") for e in events]
    pseudonym = site.pseudonym("0042")

    sign_in(site, browser, base, "handler.en")
    viewport(browser, 1280, 800)
    browser.get(base + "/console/cases")
    wait_for(lambda: len(row_refs(browser)) == 1, 10, "the case")
    ref = row_refs(browser)[0]
    browser.get(base + f"/console/cases/{ref}")
    timeline = browser.find_element("css selector", ".timeline").text
    assert timeline.count("Outside the geofence") == 2, timeline
    assert pseudonym in timeline and "0042" not in timeline.replace(pseudonym, ""), timeline
    assert "Unidentified scanner" in timeline, "the scan after the logout"
    assert "Clock trusted (GPS" in timeline
    # Both scans at one spot (the fix is coarsened): one mark, numbered 1 and 2.
    assert len(browser.find_elements("css selector", "figure.plot svg circle.scan.anomalous")) == 1, browser.page_source
    assert browser.find_element("css selector", "figure.plot svg text.scan-label").text == "1, 2"
    assert no_horizontal_scroll(browser)
    shot(browser, "console-case-plot-1280x800-en.png")
    sign_in(site, browser, base, "handler.zh-Hans")
    browser.get(base + f"/console/cases/{ref}")
    assert "在电子围栏之外" in browser.find_element("css selector", ".timeline").text
    shot(browser, "console-case-plot-1280x800-zh-Hans.png")
    assert requested_hosts(browser) <= {"127.0.0.1"}
