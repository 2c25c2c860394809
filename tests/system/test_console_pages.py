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
import time

from browsers import no_horizontal_scroll, requested_hosts, shot, sign_in, viewport
from harness import wait_for

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


def start(site):
    (site.root / "policy.toml").write_text(POLICY)
    site.start_server(extra=["--policy", str(site.root / "policy.toml"), "--console"])
    cfg = site.write_config()
    cfg.write_text(cfg.read_text().replace("[heartbeat]\ninterval_s = 0", "[heartbeat]\ninterval_s = 1"))
    site.start_gateway()
    return f"https://127.0.0.1:{site.server_port}"


def row_refs(driver):
    return driver.execute_script("return [...document.querySelectorAll('#case-rows tr')].map(r => r.dataset.ref)")


def test_a_new_case_appears_live_and_every_page_fits(site, console):
    base = start(site)
    # The first scan, so the pages have a case and the terminal a heartbeat before the list opens.
    site.scan("ACME-100234")
    first = wait_for(lambda: next((e for e in site.events()["events"] if e.get("text") == "ACME-100234"), None), 20,
                     "the first scan at the server")
    assert first
    wait_for(lambda: any(e.get("kind") == "heartbeat" for e in site.events()["events"]), 20, "a heartbeat")

    sign_in(site, console, base, "handler.en")
    viewport(console, 1280, 800)
    console.get(base + "/console/cases")
    wait_for(lambda: len(row_refs(console)) == 1, 10, "the first case in the list")
    wait_for(lambda: console.execute_script("return document.getElementById('live').classList.contains('on')"), 10,
             "the list to go live")
    before = row_refs(console)
    marker = console.execute_script("window.__notReloaded = 1; return 1")
    assert marker == 1

    # A scan at the terminal: its case is in the list within a second, without a reload.
    t0 = time.monotonic()
    site.scan("ACME-100299")
    wait_for(lambda: len(row_refs(console)) == 2, 1.0 + 0.5, "the new case in the list without reloading", interval=0.02)
    seen_after = time.monotonic() - t0
    assert console.execute_script("return window.__notReloaded") == 1, "the page was not reloaded"
    new = [r for r in row_refs(console) if r not in before][0]
    assert row_refs(console)[0] == new, "newest first"
    row = console.find_element("id", f"case-{new}").text
    assert "100299" in row and "Northern Mutual" in row and "Harbour Re" in row
    assert no_horizontal_scroll(console)
    shot(console, "console-cases-1280x800-en.png")
    # The scan's last byte to the row on the page: the gateway's delivery and the feed's poll.
    assert seen_after <= 1.0, f"{seen_after:.2f} s"

    # The case list on a phone, in both languages.
    viewport(console, 390, 844, mobile=True)
    console.get(base + "/console/cases")
    wait_for(lambda: len(row_refs(console)) == 2, 10, "the list on a phone")
    assert no_horizontal_scroll(console), console.execute_script("return [document.documentElement.scrollWidth, innerWidth]")
    shot(console, "console-cases-390x844-en.png")
    sign_in(site, console, base, "handler.zh-Hans")
    console.get(base + "/console/cases")
    wait_for(lambda: len(row_refs(console)) == 2, 10, "the list in Chinese")
    assert console.execute_script("return document.documentElement.lang") == "zh-Hans"
    assert "已通知保险公司" in console.page_source
    assert no_horizontal_scroll(console)
    shot(console, "console-cases-390x844-zh-Hans.png")

    for lang in ("en", "zh-Hans"):
        sign_in(site, console, base, f"handler.{lang}")
        viewport(console, 1280, 800)
        console.get(base + "/console/cases")
        wait_for(lambda: len(row_refs(console)) == 2, 10, "the list")
        assert no_horizontal_scroll(console)
        shot(console, f"console-cases-1280x800-{lang}.png")

        console.get(base + f"/console/cases/{new}")
        assert console.execute_script("return document.querySelector('#case .ref').textContent") == new
        assert console.find_elements("css selector", ".timeline li.event"), "the timeline"
        assert console.find_elements("css selector", "form.progress select[name=state]"), "the form to move the case"
        assert "Thank you - the insurers are told" in console.page_source, "guidance as the policy wrote it"
        assert no_horizontal_scroll(console)
        shot(console, f"console-case-1280x800-{lang}.png")

        console.get(base + "/console/terminals")
        wait_for(lambda: console.find_elements("css selector", "tr.terminal[data-device='term-1'] svg.terminal-chart"), 10,
                 "the terminal and its chart")
        assert no_horizontal_scroll(console)
        shot(console, f"console-terminals-1280x800-{lang}.png")

        console.get(base + "/console/guidance")
        assert "class=subject schema=acme scanner=unidentified" in console.page_source
        assert no_horizontal_scroll(console)
        shot(console, f"console-guidance-1280x800-{lang}.png")

    # The handler moves the case through the page's form; the list shows the new state.
    sign_in(site, console, base, "handler.en")
    console.get(base + f"/console/cases/{new}")
    from selenium.webdriver.support.ui import Select
    Select(console.find_element("css selector", "form.progress select[name=state]")).select_by_value("assessor_assigned")
    console.find_element("css selector", "form.progress textarea[name=note]").send_keys("Assessor at 14:00")
    console.find_element("css selector", "form.progress button[type=submit]").click()
    wait_for(lambda: "Assessor assigned" in console.execute_script(
        "const h = document.querySelector('#case h1'); return h ? h.textContent : ''"), 10, "the moved case")
    assert "Assessor at 14:00" in console.page_source

    # An insurer sees its own row only, never the other insurer's.
    sign_in(site, console, base, "insurer-north.en")
    console.get(base + "/console/cases")
    wait_for(lambda: len(row_refs(console)) == 2, 10, "the insurer's cases")
    assert "Northern Mutual" in console.page_source and "Harbour" not in console.page_source
    console.get(base + f"/console/cases/{new}")
    assert "Northern Mutual" in console.page_source and "Harbour" not in console.page_source

    # An insurer not on it: the case page is 404 (its text is not in the page).
    sign_in(site, console, base, "insurer-elsewhere.en")
    console.get(base + f"/console/cases/{new}")
    assert "100299" not in console.page_source

    hosts = requested_hosts(console)
    assert hosts <= {"127.0.0.1"}, hosts
    print(f"console: new case in the list {seen_after * 1000:.0f} ms after the scan")

    # A server stopping while a list is live ends the feed and exits promptly; the page says
    # it is no longer live.
    sign_in(site, console, base, "handler.en")
    console.get(base + "/console/cases")
    wait_for(lambda: console.execute_script("return document.getElementById('live').classList.contains('on')"), 10,
             "the list to go live")
    t0 = time.monotonic()
    site.stop_server()
    stopped_after = time.monotonic() - t0
    # Not the feed's lifetime (60 s): the feed ends at once. What remains is TLS's own close of
    # the browser's idle connections (NIOSSL waits up to 5 s for the peer's close_notify, with
    # or without the console).
    assert stopped_after < 10, f"{stopped_after:.1f} s"
    wait_for(lambda: not console.execute_script("return document.getElementById('live').classList.contains('on')"), 10,
             "the list to say it is not live")


def test_the_case_page_shows_where_and_by_whom_the_scans_were_made(site, console):
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

    sign_in(site, console, base, "handler.en")
    viewport(console, 1280, 800)
    console.get(base + "/console/cases")
    wait_for(lambda: len(row_refs(console)) == 1, 10, "the case")
    ref = row_refs(console)[0]
    console.get(base + f"/console/cases/{ref}")
    timeline = console.find_element("css selector", ".timeline").text
    assert timeline.count("Outside the geofence") == 2, timeline
    assert pseudonym in timeline and "0042" not in timeline.replace(pseudonym, ""), timeline
    assert "Unidentified scanner" in timeline, "the scan after the logout"
    assert "Clock trusted (GPS" in timeline
    # Both scans at one spot (the fix is coarsened): one mark, numbered 1 and 2.
    assert len(console.find_elements("css selector", "figure.plot svg circle.scan.anomalous")) == 1, console.page_source
    assert console.find_element("css selector", "figure.plot svg text.scan-label").text == "1, 2"
    assert no_horizontal_scroll(console)
    shot(console, "console-case-plot-1280x800-en.png")
    sign_in(site, console, base, "handler.zh-Hans")
    console.get(base + f"/console/cases/{ref}")
    assert "在电子围栏之外" in console.find_element("css selector", ".timeline").text
    shot(console, "console-case-plot-1280x800-zh-Hans.png")
    assert requested_hosts(console) <= {"127.0.0.1"}
