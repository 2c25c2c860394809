"""Talking with the person on site (issue 26, part 3) in a real browser: a case handler's
question reaches the terminal's kiosk page through the case it follows, the person taps an
answer while the case server is down, and the answer reaches the server later as a sealed
`reply` event that went through the spool (surviving gatewayd killed with SIGKILL on the way);
the case then lists the question as answered with that answer. The kiosk page in Simplified
Chinese (`[kiosk] language = "zh-Hans"`), with its glyphs drawn by a CJK font, and an answer in
the person's own words redacted before it leaves the terminal. Screenshots in test-artifacts/.
"""
import json
import ssl
import urllib.error
import urllib.request

from browsers import shot
from harness import free_port, wait_for
from test_kiosk import STAFF_TOKEN, server_with_policy, shown_subject, start, state, text_of


def api(site, method, path, body=None, token=STAFF_TOKEN):
    ctx = ssl.create_default_context(cafile=str(site.root / "pki" / "ca.pem"))
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(f"https://127.0.0.1:{site.server_port}{path}", method=method, headers=headers,
                                 data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def asking(browser):
    """The id of the message the page asks now ("" when none)."""
    return browser.execute_script("return document.body.dataset.asking || ''")


def answer_buttons(browser):
    return browser.execute_script(
        "return [...document.querySelectorAll('#choices button')].map(b => { const r = b.getBoundingClientRect();"
        " return [b.textContent, r.width, r.height, r.bottom <= innerHeight && r.right <= innerWidth]; })")


def displayed(browser, element_id):
    return browser.execute_script(f"return getComputedStyle(document.getElementById('{element_id}')).display") != "none"


def open_case(site, browser, url, delivered):
    browser.get(url + "/")
    wait_for(lambda: browser.execute_script("return document.body.dataset.live") == "1", 10, "the page to go live")
    site.scan("ACME-100234")
    wait_for(lambda: shown_subject(browser) == "100234", 5, "the scan")
    wait_for(lambda: text_of(browser, "delivery") == delivered, 15, "the server's answer on the page")
    return state(url)["scans"][0]["case"]


def test_a_question_is_answered_at_the_kiosk_while_the_server_is_down_and_its_reply_arrives_sealed(site, browser):
    server_with_policy(site)
    port = free_port()
    start(site, port)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: "kiosk listening" in site.log(), 10, "the kiosk page")
    ref = open_case(site, browser, url, "received by the case server")
    assert ref.startswith("RC-")

    status, message = api(site, "POST", f"/v1/cases/{ref}/messages",
                          {"kind": "question", "text": "Is anyone hurt?", "choices": ["Yes", "No", "Not sure"]})
    assert status == 201, message
    assert api(site, "POST", f"/v1/cases/{ref}/messages", {"kind": "question", "text": "x"}, token="wrong")[0] == 401
    mid = message["id"]

    # The terminal learns of it from the case it follows, and asks in the scan's place.
    wait_for(lambda: asking(browser) == mid, 20, "the question on the kiosk page")
    assert text_of(browser, "asktext") == "Is anyone hurt?"
    assert ref in text_of(browser, "askfrom")
    buttons = answer_buttons(browser)
    assert [b[0] for b in buttons] == ["Yes", "No", "Not sure"]
    assert displayed(browser, "ask") and not displayed(browser, "current"), "the question in the scan's place"
    assert not displayed(browser, "own"), "no field for own words: the question has choices only"
    assert all(w >= 48 and h >= 48 and inside for _, w, h, inside in buttons), f"touch-sized, on screen: {buttons}"
    assert browser.execute_script("return document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth")
    assert "Waiting for your answer" in text_of(browser, "messages")
    shot(browser, "kiosk-talk-question-en.png")
    _, case = api(site, "GET", f"/v1/cases/{ref}", token=None)
    assert [(m["id"], m["answered"]) for m in case["messages"]] == [(mid, False)], "unanswered at the server too"

    # The server goes down; the person answers; the answer waits in the spool.
    site.stop_server()
    wait_for(lambda: "reconnecting" not in text_of(browser, "live"), 5, "the page still live (gatewayd is up)")
    seq_before = site.spool_value("SELECT value FROM meta WHERE key='last_seq'")
    browser.execute_script("document.querySelector('#choices button[data-answer=\"No\"]').click()")
    wait_for(lambda: asking(browser) == "", 10, "the question to leave the question area")
    assert not displayed(browser, "ask") and displayed(browser, "current")
    assert "Your answer is saved and will be sent: No" in text_of(browser, "messages")
    assert site.spool_value("SELECT value FROM meta WHERE key='last_seq'") == seq_before + 1
    assert site.spool_value("SELECT count(*) FROM envelope") >= 1
    shot(browser, "kiosk-talk-answered-en.png")
    doc = state(url)
    assert [(r["message"], r["case"], r["answer"]) for r in doc["replies"]] == [(mid, ref, "No")]
    # Answered here already: a second answer is refused.
    again = urllib.request.Request(url + "/api/reply", method="POST", headers={"Content-Type": "application/json"},
                                   data=json.dumps({"case": ref, "message": mid, "answer": "Yes"}).encode())
    try:
        urllib.request.urlopen(again, timeout=5)
        raise AssertionError("a second answer was taken")
    except urllib.error.HTTPError as e:
        assert e.code == 409
    # Not from another site's page in the kiosk's browser.
    foreign = urllib.request.Request(url + "/api/reply", method="POST",
                                     headers={"Content-Type": "application/json", "Origin": "http://evil.example"},
                                     data=json.dumps({"case": ref, "message": mid, "answer": "Yes"}).encode())
    try:
        urllib.request.urlopen(foreign, timeout=5)
        raise AssertionError("a cross-origin reply was taken")
    except urllib.error.HTTPError as e:
        assert e.code == 403
    # Nor from a page of another name made to resolve here (DNS rebinding): same origin to the
    # browser, but its Host is that name; neither a reply nor the kiosk's state is answered.
    for path, method, data in (("/api/reply", "POST", json.dumps({"case": ref, "message": mid, "answer": "Yes"}).encode()),
                               ("/api/state", "GET", None)):
        rebound = urllib.request.Request(url + path, method=method, data=data,
                                         headers={"Content-Type": "application/json", "Host": "evil.example:80",
                                                  "Origin": "http://evil.example:80"})
        try:
            urllib.request.urlopen(rebound, timeout=5)
            raise AssertionError(f"{path} answered a rebound name")
        except urllib.error.HTTPError as e:
            assert e.code == 421, e.code

    # gatewayd killed outright: the reply is on disk already.
    site.gateway.kill()
    site.gateway.wait(timeout=10)
    site.start_gateway()
    wait_for(lambda: site.log().count("kiosk listening") >= 2, 10, "gatewayd again")
    server_with_policy(site)
    replies = wait_for(lambda: [e for e in site.events()["events"] if e.get("kind") == "reply"], 60, "the reply at the server")
    assert len(replies) == 1, replies
    event = replies[0]
    assert event["reply"] == {"case": ref, "message": mid}
    assert event["text"] == "No" and "raw" not in event and event["reader"] == "kiosk"
    _, case = api(site, "GET", f"/v1/cases/{ref}", token=None)
    [m] = case["messages"]
    assert m["answered"] is True and m["answer"] == "No" and m["reply_event"] == event["id"], m

    # An instruction, with the server up: acknowledged with OK, filed with an empty answer.
    browser.get(url + "/")
    site.scan("ACME-100234")
    wait_for(lambda: text_of(browser, "delivery") == "received by the case server", 15, "the scan joining its case")
    status, told = api(site, "POST", f"/v1/cases/{ref}/messages", {"kind": "instruction", "text": "Keep people away"})
    assert status == 201, told
    wait_for(lambda: asking(browser) == told["id"], 20, "the instruction on the kiosk page")
    assert [b[0] for b in answer_buttons(browser)] == ["OK"]
    assert "A message from the case desk" in text_of(browser, "askfrom")
    browser.execute_script("document.querySelector('#choices button').click()")
    wait_for(lambda: asking(browser) == "", 10, "the instruction to leave the question area")
    wait_for(lambda: [m["answered"] for m in api(site, "GET", f"/v1/cases/{ref}", token=None)[1]["messages"]] == [True, True],
             30, "the acknowledgement at the server")
    _, case = api(site, "GET", f"/v1/cases/{ref}", token=None)
    assert case["messages"][1]["answer"] == ""
    wait_for(lambda: "Acknowledged" in text_of(browser, "messages"), 20, "the acknowledgement on the page")

    log = (site.root / "server.log").read_text() + site.log()
    assert "Is anyone hurt" not in log and "Keep people away" not in log, "message texts are never logged"


GLYPHS = """
const font = getComputedStyle(document.body).fontFamily;
function draw(ch) {
  const c = document.createElement("canvas"); c.width = 64; c.height = 64;
  const g = c.getContext("2d"); g.fillStyle = "#fff"; g.fillRect(0, 0, 64, 64);
  g.fillStyle = "#000"; g.font = "48px " + font; g.textBaseline = "top"; g.fillText(ch, 4, 4);
  return Array.from(g.getImageData(0, 0, 64, 64).data).join(",");
}
const tofu = draw("\\u{10FFFD}");
const chars = ["报", "告", "受", "损"].map(draw);
return {distinct: new Set(chars).size, tofu: chars.filter(c => c === tofu).length, ink: chars.map(c => c.split(",").filter(v => v !== "255").length)};
"""


def test_the_kiosk_speaks_simplified_chinese_with_real_glyphs_and_redacts_an_answer_in_own_words(site, browser):
    server_with_policy(site)
    port = free_port()
    cfg = site.write_config()
    cfg.write_text(cfg.read_text().replace('[kiosk]\nlisten = "127.0.0.1:0"',
                                           f'[kiosk]\nlisten = "127.0.0.1:{port}"\nfollow_cap_s = 3\nlanguage = "zh-Hans"'))
    site.start_gateway()
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: "kiosk listening" in site.log(), 10, "the kiosk page")
    ref = open_case(site, browser, url, "案件服务器已收到")
    assert browser.execute_script("return document.documentElement.lang") == "zh-Hans"
    assert browser.title == "报告受损物品"
    assert text_of(browser, "casestate") in ("已通知保险公司", "已立案"), text_of(browser, "casestate")
    # The server's own note, in the page's language (its form comes with the case); no
    # insurer's note reaches the terminal.
    wait_for(lambda: "由 term-1 的扫描开启" in text_of(browser, "notes"), 10, "the opening note in Chinese")
    assert "opened by" not in text_of(browser, "notes") and "notified" not in text_of(browser, "notes")

    status, message = api(site, "POST", f"/v1/cases/{ref}/messages",
                          {"kind": "question", "text": "有人受伤吗？", "choices": ["有", "没有"], "free_text": True})
    assert status == 201, message
    wait_for(lambda: asking(browser) == message["id"], 20, "the question on the kiosk page")
    assert "案件处理台的问题" in text_of(browser, "askfrom")
    assert [b[0] for b in answer_buttons(browser)] == ["有", "没有"]
    assert displayed(browser, "own"), "a field for an answer in the person's own words"
    glyphs = browser.execute_script(GLYPHS)
    assert glyphs["distinct"] == 4 and glyphs["tofu"] == 0 and min(glyphs["ink"]) > 20, \
        f"Chinese drawn with a CJK font, not as boxes (fonts-noto-cjk): {glyphs}"
    shot(browser, "kiosk-talk-question-zh-Hans.png")

    # An answer in the person's own words holding a phone number: redacted before it is sealed.
    browser.execute_script("document.getElementById('owntext').value = '请打电话 13812345678';"
                           "document.getElementById('ownsend').click()")
    wait_for(lambda: asking(browser) == "", 10, "the question to leave the question area")
    assert not displayed(browser, "ask")
    assert "13812345678" not in browser.page_source and "13812345678" not in json.dumps(state(url))
    wait_for(lambda: "已回答" in text_of(browser, "messages"), 20, "the server's record of the answer on the page")
    shot(browser, "kiosk-talk-answered-zh-Hans.png")
    _, case = api(site, "GET", f"/v1/cases/{ref}", token=None)
    [m] = case["messages"]
    assert m["answered"] and m["answer"] == "请打电话 138****5678", m
