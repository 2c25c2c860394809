"""The supervision console and the terminal's kiosk page together (issue 26, part 5): two
headless Chromium browsers, a case handler's (or insurer's, or admin's) console at 1280×800 and
the terminal's kiosk page at 800×480, against a real case-server (`--console`, a policy, a staff
token) and a real gatewayd with its kiosk page.

- A scan at the terminal is a new row in the handler's open case list within a second, without
  a reload; the handler moves the case with the case page's form and the kiosk shows the new state.
- A question sent with the case page's form reaches the kiosk; the operator taps an answer while
  the case server is down; the answer waits in gatewayd's spool, reaches the server as a sealed
  `reply` event once it is back, and the handler's case page shows it answered.
- An insurer account sees only the cases its insurer is on, and of those never another
  insurer's (nor the desk's) notes, in pages or in the change feed; direct URLs answer 404 for a
  case it is not on and 403 for pages of other roles.
- Every page at 1280×800 and the case list at 390×844, in English and Simplified Chinese, with
  no horizontal scrolling; nothing fetched from anywhere but loopback.

Screenshots go to test-artifacts/. With GATEWAYD_DOC_SCREENSHOTS=1 the tests also copy the ones
docs/console.md shows to docs/console/ (scaled down, PNG): run this file with it set to
regenerate them after a change to the pages.
"""
import os
import threading
import time
from pathlib import Path

import pytest
from browsers import ARTIFACTS, add_account, no_horizontal_scroll, requested_hosts, shot, sign_in, viewport
from harness import free_port, wait_for
from test_kiosk import STAFF_TOKEN, post_progress, state, text_of

ROOT = Path(__file__).resolve().parents[2]
DOC_SHOTS = ROOT / "docs" / "console"

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
[[coverage]]
subjects = ["2002*"]
insurers = ["harbour"]

[[site]]
id = "depot-a"
name = "Depot A"
devices = ["term-*"]

[[guidance]]
id = "acme-bystander"
class = "subject"
schema = "acme"
scanner = "unidentified"
title = "Thank you - the insurers are told"
text = "Keep a safe distance from the damaged object."
steps = ["Keep people away", "Call 112 if anyone is hurt"]
"""

# What the kiosk says once the server has a scan, per language; the question each test asks.
RECEIVED = {"en": "received by the case server", "zh-Hans": "案件服务器已收到"}
QUESTION = {"en": ("Is anyone hurt?", ["Yes", "No", "Not sure"], "No"),
            "zh-Hans": ("有人受伤吗？", ["有", "没有", "不确定"], "没有")}


# The screenshots docs/console.md shows: (artifact, name in docs/console/, widest side in px).
DOCS = [
    ("flow-console-login-1280x800-en.png", "login.png", 900),
    ("flow-console-cases-1280x800-en.png", "cases-en.png", 1000),
    ("flow-console-cases-1280x800-zh-Hans.png", "cases-zh-Hans.png", 1000),
    ("flow-console-cases-390x844-zh-Hans.png", "cases-phone-zh-Hans.png", 390),
    ("flow-console-case-1280x800-en.png", "case.png", 1000),
    ("flow-console-case-messages-en.png", "case-messages-en.png", 640),
    ("flow-console-terminals-1280x800-en.png", "terminals.png", 1000),
    ("flow-console-guidance-1280x800-en.png", "guidance.png", 1000),
    ("flow-kiosk-question-en.png", "kiosk-question-en.png", 800),
    ("flow-kiosk-question-zh-Hans.png", "kiosk-question-zh-Hans.png", 800),
]


def copy_to_docs(artifact):
    """With GATEWAYD_DOC_SCREENSHOTS=1: the screenshot as docs/console.md shows it, scaled so
    its widest side is at most the listed width and stored as an optimised 8-bit PNG (each well
    under 200 KB)."""
    if os.environ.get("GATEWAYD_DOC_SCREENSHOTS") != "1":
        return
    for name, doc, widest in DOCS:
        if name != artifact:
            continue
        from PIL import Image
        DOC_SHOTS.mkdir(exist_ok=True)
        image = Image.open(ARTIFACTS / name).convert("RGB")
        scale = min(1.0, widest / max(image.size))
        if scale < 1.0:
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(DOC_SHOTS / doc, optimize=True)
        assert (DOC_SHOTS / doc).stat().st_size < 200_000, doc


def doc_shot(driver, name, element=None):
    path = shot(driver, name, element)
    copy_to_docs(name)
    return path


def widths(driver):
    return driver.execute_script("return [document.documentElement.scrollWidth, innerWidth, location.pathname]")


def status_of(driver, path, method="GET", csrf=True):
    """The HTTP status the browser gets for `path` with its session (a POST with the page's CSRF
    token), redirects not followed."""
    return driver.execute_async_script("""
        const [path, method, csrf, done] = arguments;
        const meta = document.querySelector('meta[name="csrf-token"]');
        const headers = csrf && meta ? {"X-CSRF-Token": meta.content} : {};
        const body = method === "POST" ? new URLSearchParams({state: "closed", note: "x", kind: "question",
                                                                text: "x", choice: "a"}) : undefined;
        fetch(path, {method, headers, body, redirect: "manual", credentials: "same-origin"})
          .then(r => done(r.type === "opaqueredirect" ? 303 : r.status), e => done(String(e)));
    """, path, method, csrf)


def row_refs(driver):
    return driver.execute_script("return [...document.querySelectorAll('#case-rows tr')].map(r => r.dataset.ref)")


def live(driver):
    return driver.execute_script("const l = document.getElementById('live'); return !!l && l.classList.contains('on')")


def start_server(site):
    (site.root / "policy.toml").write_text(POLICY)
    (site.root / "staff.token").write_text(STAFF_TOKEN + "\n")
    site.start_server(extra=["--policy", str(site.root / "policy.toml"), "--staff-token-file", str(site.root / "staff.token"),
                             "--console"])
    return f"https://127.0.0.1:{site.server_port}"


def start_gateway(site, language="en", heartbeat_s=0):
    """gatewayd with its kiosk page on a known port, following shown cases at least every 2 s."""
    port = free_port()
    cfg = site.write_config()
    text = cfg.read_text().replace('[kiosk]\nlisten = "127.0.0.1:0"',
                                   f'[kiosk]\nlisten = "127.0.0.1:{port}"\nfollow_cap_s = 2\nlanguage = "{language}"')
    text = text.replace("[heartbeat]\ninterval_s = 0", f"[heartbeat]\ninterval_s = {heartbeat_s}")
    assert f"127.0.0.1:{port}" in text
    cfg.write_text(text)
    site.start_gateway()
    wait_for(lambda: "kiosk listening" in site.log(), 10, "the kiosk page")
    return f"http://127.0.0.1:{port}"


def open_kiosk(kiosk, url):
    kiosk.get(url + "/")
    wait_for(lambda: kiosk.execute_script("return document.body.dataset.live") == "1", 10, "the kiosk page to go live")


def test_a_scan_is_a_live_case_row_and_the_handlers_move_reaches_the_kiosk(site, console, kiosk):
    base = start_server(site)
    url = start_gateway(site)
    open_kiosk(kiosk, url)

    sign_in(site, console, base, "handler.en")
    console.get(base + "/console/cases?open=open")
    wait_for(lambda: live(console), 10, "the open case list to go live")
    assert row_refs(console) == []
    console.execute_script("window.__notReloaded = 1")

    # The scan: its case is a row of the open list within a second, the page not reloaded.
    t_scan = time.time()
    site.scan("ACME-100234")
    wait_for(lambda: row_refs(console), 1.0 + 2.0, "the new case in the list without reloading", interval=0.02)
    t_row = time.time()
    assert console.execute_script("return window.__notReloaded") == 1, "the page was reloaded"
    [ref] = row_refs(console)
    assert ref.startswith("RC-")
    row = console.find_element("id", f"case-{ref}").text
    assert "100234" in row and "Northern Mutual" in row and "Harbour Re" in row and "Depot A" in row, row
    # When the server stored the scan (its database's clock: the same machine's wall clock).
    arrived = site.spool_value("SELECT received_at_ns FROM event", path=site.root / "cases.db") / 1e9
    print(f"console flow: new case row {1000 * (t_row - t_scan):.0f} ms after the scan's last byte, "
          f"{1000 * (t_row - arrived):.0f} ms after its arrival at the server")
    assert t_row - t_scan <= 1.0, f"{t_row - t_scan:.2f} s from the scan to the row"
    wait_for(lambda: text_of(kiosk, "delivery") == RECEIVED["en"], 10, "the server's answer on the kiosk")
    assert ref in text_of(kiosk, "caseref")

    # The handler opens the case from its row and moves it with the case page's form.
    console.find_element("css selector", f"#case-{ref} a").click()
    wait_for(lambda: console.current_url.endswith(f"/console/cases/{ref}"), 10, "the case page")
    from selenium.webdriver.support.ui import Select
    Select(console.find_element("css selector", "form.progress select[name=state]")).select_by_value("assessor_assigned")
    console.find_element("css selector", "form.progress textarea[name=note]").send_keys("Assessor arrives at 14:00")
    console.find_element("css selector", "form.progress button[type=submit]").click()
    wait_for(lambda: "Assessor assigned" in console.execute_script(
        "const s = document.querySelector('#case h1 .state'); return s ? s.textContent : ''"), 10, "the moved case")
    assert "Assessor arrives at 14:00" in console.find_element("css selector", ".case-notes").text

    # The kiosk follows the case: the new state and the note, without anyone touching it.
    wait_for(lambda: text_of(kiosk, "casestate") == "assessor assigned", 20, "the new state on the kiosk")
    assert "Assessor arrives at 14:00" in text_of(kiosk, "notes")
    shot(kiosk, "flow-kiosk-moved-en.png")

    # Back in the open list, the row has the new state.
    console.get(base + "/console/cases?open=open")
    wait_for(lambda: row_refs(console) == [ref], 10, "the case in the open list")
    assert "Assessor assigned" in console.find_element("id", f"case-{ref}").text
    hosts = requested_hosts(console) | requested_hosts(kiosk)

    # The move is in the audit log, with who made it.
    sign_in(site, console, base, "admin.en")
    console.get(base + "/console/audit")
    moves = [r.text for r in console.find_elements("css selector", "tbody tr") if "Case moved" in r.text]
    assert len(moves) == 1 and "handler.en" in moves[0] and ref in moves[0] and "assessor_assigned" in moves[0], moves
    assert (hosts | requested_hosts(console)) <= {"127.0.0.1"}


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_a_question_from_the_case_page_is_answered_at_the_kiosk_through_the_spool(site, console, kiosk, lang):
    base = start_server(site)
    url = start_gateway(site, language=lang)
    open_kiosk(kiosk, url)
    site.scan("ACME-100234")
    wait_for(lambda: text_of(kiosk, "delivery") == RECEIVED[lang], 20, "the server's answer on the kiosk")
    ref = state(url)["scans"][0]["case"]

    # The handler asks through the case page's form (three choices; the other fields empty).
    text, choices, answer = QUESTION[lang]
    sign_in(site, console, base, f"handler.{lang}")
    console.get(base + f"/console/cases/{ref}")
    form = console.find_element("css selector", "form.send-message")
    assert form.find_element("css selector", "input[name=kind][value=question]").is_selected()
    form.find_element("css selector", "textarea[name=text]").send_keys(text)
    for field, choice in zip(form.find_elements("css selector", "input[name=choice]"), choices):
        field.send_keys(choice)
    form.find_element("css selector", "button[type=submit]").click()
    sent = wait_for(lambda: console.find_elements("css selector", "#messages li.message"), 10, "the question on the case page")
    assert len(sent) == 1 and "unanswered" in sent[0].get_attribute("class")
    mid = sent[0].get_attribute("data-message")
    assert text in sent[0].text
    assert [c.text for c in sent[0].find_elements("css selector", ".choices li")] == choices

    # The kiosk learns of it from the case it follows and asks in the scan's place.
    wait_for(lambda: kiosk.execute_script("return document.body.dataset.asking || ''") == mid, 20, "the question on the kiosk")
    assert text_of(kiosk, "asktext") == text
    buttons = kiosk.find_elements("css selector", "#choices button")
    assert [b.text for b in buttons] == choices
    assert all(b.size["height"] >= 48 and b.is_displayed() for b in buttons), "touch-sized"
    doc_shot(kiosk, f"flow-kiosk-question-{lang}.png")

    # The case server goes down; the operator taps an answer; it waits in gatewayd's spool.
    site.stop_server()
    seq_before = site.spool_value("SELECT value FROM meta WHERE key='last_seq'")
    assert site.spool_value("SELECT count(*) FROM envelope") == 0
    next(b for b in buttons if b.text == answer).click()
    wait_for(lambda: kiosk.execute_script("return document.body.dataset.asking || ''") == "", 10,
             "the question to leave the kiosk's question area")
    wait_for(lambda: site.spool_value("SELECT count(*) FROM envelope") == 1, 10, "the reply in the spool")
    assert site.spool_value("SELECT value FROM meta WHERE key='last_seq'") == seq_before + 1
    assert [(r["message"], r["case"], r["answer"]) for r in state(url)["replies"]] == [(mid, ref, answer)]
    time.sleep(1)
    assert site.spool_value("SELECT count(*) FROM envelope") == 1, "held while the server is down"
    assert not [e for e in site.events()["events"] if e.get("kind") == "reply"]
    shot(kiosk, f"flow-kiosk-answered-{lang}.png")

    # The server is back: the spool delivers the reply, a sealed event of kind "reply".
    start_server(site)
    replies = wait_for(lambda: [e for e in site.events()["events"] if e.get("kind") == "reply"], 60, "the reply at the server")
    wait_for(lambda: site.spool_value("SELECT count(*) FROM envelope") == 0, 20, "the spool to empty")
    [event] = replies
    assert event["reply"] == {"case": ref, "message": mid}, event
    assert event["text"] == answer and event["reader"] == "kiosk" and event["device"] == site.device, event
    assert event["seq"] == seq_before + 1, "the spool's sequence number, sealed with the event"

    # The handler's case page shows the question answered, with the answer.
    def answered():
        console.get(base + f"/console/cases/{ref}")
        items = console.find_elements("css selector", f"#messages li.message[data-message='{mid}']")
        return items and "answered" in items[0].get_attribute("class").split() and items[0]
    item = wait_for(answered, 20, "the answer on the case page", interval=0.5)
    assert item.find_element("css selector", ".answer").text == answer
    assert [c.text for c in item.find_elements("css selector", ".choices li.chosen")] == [answer]
    console.execute_script("document.getElementById('messages').scrollIntoView()")
    doc_shot(console, f"flow-console-case-messages-{lang}.png", element=console.find_element("id", "messages"))
    assert requested_hosts(console) <= {"127.0.0.1"} and requested_hosts(kiosk) <= {"127.0.0.1"}


def test_an_insurer_sees_only_its_cases_and_its_own_notes(site, console):
    base = start_server(site)
    url = start_gateway(site)
    site.scan("ACME-100234", "ACME-200211")
    wait_for(lambda: len([s for s in state(url)["scans"] if s.get("case")]) == 2, 20, "both cases at the server")
    refs = {s["subject"]: s["case"] for s in state(url)["scans"]}
    shared, harbours = refs["100234"], refs["200211"]

    # Each insurer's note (over the staff API, as an insurer's system would) and the desk's.
    for body in ({"state": "acknowledged", "note": "North claim N-12", "insurer": "north"},
                 {"state": "acknowledged", "note": "Harbour claim H-77", "insurer": "harbour"},
                 {"state": "assessor_assigned", "note": "Desk note D-5"}):
        status, _ = post_progress(site, shared, body)
        assert status == 200, body
    assert post_progress(site, harbours, {"state": "acknowledged", "note": "Harbour only H-88", "insurer": "harbour"})[0] == 200

    sign_in(site, console, base, "insurer-north.en")
    console.get(base + "/console/cases")
    wait_for(lambda: live(console), 10, "the insurer's list to go live")
    assert row_refs(console) == [shared]
    # Its navigation: cases and guidance, no terminals, no accounts.
    assert [a.get_attribute("pathname") for a in console.find_elements("css selector", "header nav.main a")] == [
        "/console/cases", "/console/guidance"]
    page = console.page_source
    assert "Northern Mutual" in page and "Harbour" not in page and harbours not in page and "200211" not in page

    console.find_element("css selector", f"#case-{shared} a").click()
    wait_for(lambda: console.current_url.endswith(f"/console/cases/{shared}"), 10, "the case page")
    shown = console.find_element("id", "case").text
    assert "N-12" in shown, shown
    page = console.page_source
    for hidden in ("Harbour", "H-77", "D-5"):
        assert hidden not in page, hidden
    # Its own insurer's form only: no form to move the case or to message the terminal.
    assert console.find_elements("css selector", "form.progress select[name=state]")
    assert not console.find_elements("css selector", "form.send-message")

    # The change feed is an answer too: harbour's notes made while it is open send the insurer the
    # shared case's row, without them, and nothing of harbour's own case.
    made = []
    later = threading.Timer(1.0, lambda: made.extend([
        post_progress(site, shared, {"state": "claim_opened", "note": "Harbour H-99", "insurer": "harbour"})[0],
        post_progress(site, harbours, {"state": "claim_opened", "note": "Harbour H-98", "insurer": "harbour"})[0]]))
    later.start()
    feed = console.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const ctl = new AbortController(); let text = "";
        setTimeout(() => { ctl.abort(); done(text); }, 4000);
        fetch(`/console/events?since=${Date.now()}000000`, {signal: ctl.signal}).then(async r => {
          const reader = r.body.getReader(); const dec = new TextDecoder();
          for (;;) { const {value, done: end} = await reader.read(); if (end) break; text += dec.decode(value); }
        }).catch(() => {});
    """)
    later.join()
    assert made == [200, 200], made
    assert f'"ref":"{shared}"' in feed.replace(" ", "") and "Northern Mutual" in feed, feed[:2000]
    for hidden in ("Harbour", "H-77", "H-88", "H-98", "H-99", "D-5", harbours):
        assert hidden not in feed, (hidden, feed[:2000])

    # Direct URLs: a case it is not on is 404 like one that does not exist; other roles' pages 403.
    assert status_of(console, f"/console/cases/{harbours}") == 404
    assert status_of(console, "/console/cases/RC-0000-NOPE") == 404
    assert status_of(console, f"/console/cases/{harbours}/progress", "POST") == 404
    assert status_of(console, f"/console/cases/{shared}/messages", "POST") == 403
    assert status_of(console, "/console/terminals") == 403
    assert status_of(console, "/console/accounts") == 403
    assert status_of(console, "/console/audit") == 403
    # And what the person sees there.
    console.get(base + f"/console/cases/{harbours}")
    assert "200211" not in console.page_source and "H-88" not in console.page_source
    assert console.find_element("tag name", "h1").text == "Not found"
    console.get(base + "/console/terminals")
    assert "term-1" not in console.page_source
    assert console.find_element("tag name", "h1").text == "Not allowed"
    shot(console, "flow-console-insurer-forbidden-en.png")
    assert requested_hosts(console) <= {"127.0.0.1"}


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_every_page_fits_without_horizontal_scrolling(site, console, lang):
    base = start_server(site)
    start_gateway(site, heartbeat_s=1)
    site.scan("ACME-100234")
    wait_for(lambda: any(e.get("kind") == "heartbeat" for e in site.events()["events"])
             and any(e.get("text") == "ACME-100234" for e in site.events()["events"]), 20, "a scan and a heartbeat")
    for who in ("handler.en", "insurer-north.en"):
        add_account(site, who)

    def check(name, path=None, width=1280, height=800):
        viewport(console, width, height, mobile=width < 600)
        if path:
            console.get(base + path)
        assert console.execute_script("return document.documentElement.lang") == lang, (path, lang)
        assert no_horizontal_scroll(console), widths(console)
        return doc_shot(console, f"flow-console-{name}-{width}x{height}-{lang}.png")

    # The sign-in page speaks the browser's language.
    console.execute_cdp_cmd("Network.enable", {})
    console.execute_cdp_cmd("Network.setExtraHTTPHeaders",
                            {"headers": {"Accept-Language": "zh-CN,zh;q=0.9" if lang == "zh-Hans" else "en-GB,en;q=0.9"}})
    console.execute_cdp_cmd("Network.clearBrowserCookies", {})
    check("login", "/console/login")
    check("login", "/console/login", 390, 844)

    sign_in(site, console, base, f"admin.{lang}")
    console.get(base + "/console/cases")
    wait_for(lambda: len(row_refs(console)) == 1, 10, "the case in the list")
    [ref] = row_refs(console)
    # The console's navigation on every page: who is signed in, the admin's own pages, sign-out.
    assert console.find_element("css selector", "header .who").text == f"admin.{lang}"
    assert [a.get_attribute("pathname") for a in console.find_elements("css selector", "header nav.main a")] == [
        "/console/cases", "/console/terminals", "/console/guidance", "/console/accounts", "/console/audit"]
    assert console.find_element("css selector", "header form.signout button").is_displayed()
    check("cases")
    check("cases", "/console/cases", 390, 844)
    check("case", f"/console/cases/{ref}")
    assert console.find_elements("css selector", ".timeline li.event"), "the case's timeline"
    check("terminals", "/console/terminals")
    assert console.find_elements("css selector", "tr.terminal[data-device='term-1'] svg.terminal-chart")
    check("guidance", "/console/guidance")
    assert "acme-bystander" in console.page_source
    check("accounts", "/console/accounts")
    assert {"handler.en", "insurer-north.en", f"admin.{lang}"} <= set(console.find_element("tag name", "main").text.split())
    check("audit", "/console/audit")
    assert f"admin.{lang}" in console.find_element("tag name", "main").text
    hosts = requested_hosts(console)
    assert hosts <= {"127.0.0.1"}, hosts
