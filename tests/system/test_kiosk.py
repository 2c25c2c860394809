"""The kiosk page (issue 10) in a real browser: headless Chromium (Debian's chromium and
chromium-driver, driven by selenium) on an 800×480 window, against a real gatewayd and a real
case-server with a policy (two insurers, guidance for one event type).

What a person at the terminal must see: the scan within a second, then that the case server has
it, its case, what to do now and each insurer's progress as the server reports it; guidance for
a type the server has none for (taken from the most similar type, and recorded so); the page
going on after gatewayd restarts; nothing personal beyond what redaction leaves. Screenshots go
to test-artifacts/.
"""
import json
import os
import ssl
import subprocess
import time
import urllib.error
import urllib.request

from browsers import shot
from harness import CASE_SERVER, free_port, wait_for

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
steps = ["Keep people away", "Call 112 if anyone is hurt", "Wait nearby if you can"]
"""
STAFF_TOKEN = "staff-token-for-the-kiosk-test-0123"


def text_of(driver, element_id):
    return driver.execute_script(f"return document.getElementById('{element_id}').textContent")


def shown_subject(driver):
    """The current scan's subject as the page shows it ("" while the idle prompt shows)."""
    return driver.execute_script("return document.getElementById('scan').classList.contains('hidden') ? '' : "
                                 "document.getElementById('subject').textContent")


def state(url):
    with urllib.request.urlopen(url + "/api/state", timeout=5) as r:
        return json.load(r)


def start(site, kiosk_port, extra_schema=True):
    cfg = site.write_config(extra="[[schema]]\nname = \"plant\"\npattern = 'PLANT-(?<subject>[0-9]+)'\n" if extra_schema else "")
    text = cfg.read_text().replace('[kiosk]\nlisten = "127.0.0.1:0"', f'[kiosk]\nlisten = "127.0.0.1:{kiosk_port}"\nfollow_cap_s = 3')
    assert f"127.0.0.1:{kiosk_port}" in text
    cfg.write_text(text)
    return site.start_gateway()


def server_with_policy(site):
    (site.root / "policy.toml").write_text(POLICY)
    (site.root / "staff.token").write_text(STAFF_TOKEN + "\n")
    site.start_server(extra=["--policy", str(site.root / "policy.toml"), "--staff-token-file", str(site.root / "staff.token")])


def case_server(site, *args):
    return subprocess.run([CASE_SERVER, *args, "--db", str(site.root / "cases.db")], check=True, capture_output=True, text=True).stdout


def post_progress(site, ref, body, token=STAFF_TOKEN):
    ctx = ssl.create_default_context(cafile=str(site.root / "pki" / "ca.pem"))
    req = urllib.request.Request(f"https://127.0.0.1:{site.server_port}/v1/cases/{ref}/progress", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"}, method="POST")
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_kiosk_shows_the_scan_its_guidance_and_case_progress_and_survives_a_restart(site, browser):
    server_with_policy(site)
    port = free_port()
    start(site, port)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: "kiosk listening" in site.log(), 10, "the kiosk page")
    browser.get(url + "/")
    wait_for(lambda: browser.execute_script("return document.body.dataset.live") == "1", 10, "the page to go live")
    assert "Scan or tap" in text_of(browser, "idle")

    # A scan appears within a second of its last byte.
    fd = site.open_fifo()
    t0 = time.monotonic()
    os.write(fd, b"ACME-100234\n")
    wait_for(lambda: shown_subject(browser) == "100234", 1.0, "the scan on the page within a second", interval=0.02)
    seen_after = time.monotonic() - t0
    wait_for(lambda: text_of(browser, "delivery") == "received by the case server", 10, "the server's answer on the page")
    assert text_of(browser, "gtitle") == "Thank you - the insurers are told"
    assert "Call 112 if anyone is hurt" in text_of(browser, "gsteps")
    assert text_of(browser, "ghow") == "", "configured guidance, not borrowed"
    ref = state(url)["scans"][0]["case"]
    assert ref.startswith("RC-")
    assert ref in text_of(browser, "caseref")
    insurers = text_of(browser, "insurers")
    assert "Northern Mutual" in insurers and "Harbour Re" in insurers and insurers.count("notified") == 2
    shot(browser, "kiosk-800x480-received.png")
    # Readable on the 800×480 touchscreen: everything fits, nothing scrolls.
    assert browser.execute_script("return [innerWidth, innerHeight]") == [800, 480]
    assert browser.execute_script("return document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth")

    # Progress at the server shows up on the page: the case's, by the command; an insurer's,
    # over HTTP with the staff token (a wrong token is refused).
    case_server(site, "progress", ref, "assessor_assigned", "Assessor arrives at 14:00")
    wait_for(lambda: text_of(browser, "casestate") == "assessor assigned", 20, "the case's progress on the page")
    assert post_progress(site, ref, {"state": "acknowledged", "note": "Claim 118", "insurer": "harbour"}, token="wrong")[0] == 401
    status, body = post_progress(site, ref, {"state": "acknowledged", "note": "Claim 118", "insurer": "harbour"})
    assert status == 200 and [i["state"] for i in body["insurers"]] == ["notified", "acknowledged"]
    wait_for(lambda: "acknowledged" in text_of(browser, "insurers"), 20, "the insurer's progress on the page")
    assert "Assessor arrives at 14:00" in text_of(browser, "notes")
    assert post_progress(site, ref, {"state": "teleported"})[0] == 400
    shot(browser, "kiosk-800x480-progress.png")

    # gatewayd restarts; the page notices, reconnects by itself and shows new scans again.
    gw = site.procs[-1]
    gw.terminate()
    gw.wait(timeout=20)
    wait_for(lambda: browser.execute_script("return document.body.dataset.live") == "0", 10, "the page to notice")
    assert "reconnecting" in text_of(browser, "live")
    start(site, port)
    wait_for(lambda: browser.execute_script("return document.body.dataset.live") == "1", 20, "the page to reconnect")
    # Recent scans are kept in memory only: the restarted daemon shows none.
    wait_for(lambda: shown_subject(browser) == "", 10, "the idle page after the restart")
    assert state(url)["scans"] == []
    os.write(fd, b"ACME-100234\n")
    wait_for(lambda: shown_subject(browser) == "100234", 1.0, "a scan after the restart within a second", interval=0.02)
    wait_for(lambda: text_of(browser, "delivery") == "received by the case server", 10, "its answer")
    after = state(url)["scans"][0]
    assert after.get("case") == ref, f"the same object joins its open case: {after}"

    # A type the server has no guidance for gets the most similar type's, and says so.
    os.write(fd, b"PLANT-555\n")
    wait_for(lambda: shown_subject(browser) == "555" and text_of(browser, "gtitle") != "", 10, "guidance for the new type")
    assert text_of(browser, "gtitle") == "Thank you - the insurers are told"
    assert "similar case (class=subject schema=acme scanner=unidentified)" in text_of(browser, "ghow")
    links = case_server(site, "guidance")
    line = next(l for l in links.splitlines() if l.startswith("class=subject schema=plant scanner=unidentified"))
    assert "acme-bystander" in line and "similar" in line and "class=subject schema=acme scanner=unidentified (class,scanner)" in line
    shot(browser, "kiosk-800x480-similar.png")
    print(f"kiosk: scan on the page {seen_after * 1000:.0f} ms after its last byte")


def test_kiosk_shows_waiting_scans_and_no_personal_data(site, browser):
    """Server down: the scan shows as saved and waiting, with the reason; then delivered. A label
    carrying a phone number shows only what redaction left, on the page and in its state."""
    port = free_port()
    start(site, port, extra_schema=False)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: "kiosk listening" in site.log(), 10, "the kiosk page")
    browser.get(url + "/")
    wait_for(lambda: browser.execute_script("return document.body.dataset.live") == "1", 10, "the page to go live")
    site.scan("call owner 13812345678", "ACME-100777")
    wait_for(lambda: shown_subject(browser) == "100777", 2, "the scan")
    assert "unknown tag" in text_of(browser, "recentrows"), "the unreadable label is listed, as an unknown tag"
    wait_for(lambda: text_of(browser, "delivery") == "saved, waiting to send" and text_of(browser, "reason") != "", 15,
             "the scan to wait, with the reason")
    assert "waiting" in text_of(browser, "spool")
    shot(browser, "kiosk-800x480-waiting.png")
    site.start_server()
    wait_for(lambda: text_of(browser, "delivery") == "received by the case server", 20, "delivery once the server is up")
    doc = json.dumps(state(url))
    for value in ("13812345678", "12345678", "1381234"):
        assert value not in browser.page_source and value not in doc
    # What left the terminal was redacted too (the page shows no more than the server got).
    assert [e["text"] for e in site.events()["events"]] == ["call owner 138****5678", "ACME-100777"]


def test_technician_page_shows_the_probe(site, browser):
    site.start_server()
    port = free_port()
    start(site, port, extra_schema=False)
    wait_for(lambda: "kiosk listening" in site.log(), 10, "the kiosk page")
    browser.get(f"http://127.0.0.1:{port}/technician")
    wait_for(lambda: text_of(browser, "verdict") not in ("", "Checking…"), 60, "the probe's verdict")
    rows = browser.execute_script("return [...document.querySelectorAll('#checks tr')].map(r => [r.cells[0].textContent, r.className])")
    names = [n for n, _ in rows]
    for check in ("config", "device key", "server key", "spool", "server"):
        assert check in names, names
    assert dict(rows)["config"] in ("ok", "warn")
    assert dict(rows)["server"] == "ok", rows
    shot(browser, "technician-800x480.png")


def test_kiosk_shows_the_gps_fix_as_redaction_leaves_it_and_the_operator_session(site, browser):
    """A real gpsd (gpsfake) and operator sessions: the page shows the fix with coordinates only
    as coarsened by the built-in rule (4 decimals), and who is signed in only as the pseudonym
    events carry; nobody after the logout tag."""
    import datetime
    from test_gps import LAT, LON, GPSFake, config, nmea_log
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    fake = GPSFake(site, nmea_log(site.root / "3d.nmea", 3, now, n=300)).start()
    port = free_port()
    cfg = config(site, fake.port)
    cfg.write_text(cfg.read_text().replace('[kiosk]\nlisten = "127.0.0.1:0"', f'[kiosk]\nlisten = "127.0.0.1:{port}"'))
    site.start_server()
    site.start_gateway()
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: "gpsd connected" in site.log() and "kiosk listening" in site.log(), 20, "gpsd and the kiosk")
    browser.get(url + "/")
    wait_for(lambda: text_of(browser, "gps").startswith("GPS 3D"), 20, "the fix on the page")
    assert "8 sat" in text_of(browser, "gps")
    loc = state(url)["location"]
    assert (loc["lat"], loc["lon"]) == (round(LAT, 4), round(LON, 4)), "coarsened as an event would be"
    assert str(LAT) not in browser.page_source and str(LON) not in browser.page_source
    assert text_of(browser, "operator") == "nobody signed in"

    site.scan("OP-0042")
    wait_for(lambda: text_of(browser, "operator").startswith("operator "), 10, "the session on the page")
    pseudonym = site.pseudonym("0042")
    assert pseudonym[:14] in text_of(browser, "operator"), (pseudonym, text_of(browser, "operator"))
    assert "0042" not in text_of(browser, "operator").replace(pseudonym[:14], ""), "never the badge id"
    site.scan("ACME-100234")
    wait_for(lambda: shown_subject(browser) == "100234", 2, "the operator's scan")
    assert state(url)["scans"][0]["operator"].endswith(pseudonym)
    site.scan("LOGOUT")
    wait_for(lambda: text_of(browser, "operator") == "nobody signed in", 10, "the logout on the page")
    shot(browser, "kiosk-800x480-gps-operator.png")
