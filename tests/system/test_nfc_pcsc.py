"""NFC taps through PC/SC end to end: a real pcscd with vpcd, the tag emulator (nfc_emulator.py)
as an ACR122U with tags on it, the real gatewayd and case-server. Counts what went in (taps) and
what came out (events at the server, signals at the reader)."""
import json
import os
import subprocess
import time

import pytest

from harness import GATEWAYD, wait_for
from nfc_emulator import NfcEmulator, Tag, digital_link, ndef_tlv, text_record, uri_record

READER = NfcEmulator.READER
SCHEMAS = """
[[schema]]
name = "gtin"
decoded = "gs1"
subject_ai = "01"
"""


@pytest.fixture
def tapsite(site, pcscd, nfc_tag_reader):
    """A site whose gatewayd reads the emulated reader through the test's pcscd."""
    site.start_server()
    site.write_config(readers=[{"id": "tap0", "kind": "nfc", "reader": READER}], extra=SCHEMAS)
    site.start_gateway(env_extra=pcscd.env)
    wait_for(lambda: "backend=pcsc" in site.log() and "reader connected" in site.log(), 20, "the PC/SC reader")
    # At each signal, how many envelopes the spool holds: the beep must come after the commit.
    spooled_at_signal = []
    nfc_tag_reader.on_signal = lambda s: spooled_at_signal.append(
        site.spool_value("SELECT value FROM meta WHERE key = 'last_seq'"))
    site.nfc = nfc_tag_reader
    site.pcscd = pcscd
    site.spooled_at_signal = spooled_at_signal
    return site


def tap_and_lift(site, tag, signals_before):
    site.nfc.tap(tag)
    site.nfc.wait_signals(signals_before + 1, timeout=15)
    site.nfc.lift()


def test_each_tap_is_one_event_with_its_decoded_content_and_a_beep_after_the_commit(tapsite):
    s = tapsite
    long_text = "Water on the floor of room 4.12, " * 9
    tags = [
        ("uri", Tag.ntag213(uri_record("https://example.com/kiosk/4711"))),
        ("text", Tag.ntag215(text_record("Claim 4711: window broken"), uid=bytes.fromhex("04112233445566"))),
        ("dl", Tag.ntag215(uri_record(digital_link()), uid=bytes.fromhex("04AABBCCDDEEF0"))),
        ("classic", Tag.mifare_classic_1k()),
        ("long", Tag.ntag215(text_record(long_text), uid=bytes.fromhex("04998877665544"))),
        ("corrupt", Tag.corrupt_tlv(uid=bytes.fromhex("04010203040506"))),
        # A whole TLV whose record claims 48 payload bytes and holds 4: a damaged message.
        ("damaged", Tag.ntag213(message=bytes.fromhex("D1013055") + b"\x04abc", uid=bytes.fromhex("04A0A1A2A3A4A5"))),
    ]
    for i, (_, tag) in enumerate(tags):
        tap_and_lift(s, tag, i)
    events = s.wait_events(len(tags), timeout=30)
    time.sleep(1.0)
    events = s.events()["events"]
    assert len(events) == len(tags), json.dumps(events, indent=1)
    by = {name: e for (name, _), e in zip(tags, events)}
    for (name, tag), e in zip(tags, events):
        assert e["reader"] == "tap0"
        assert e["nfc"]["uid"] == s.pseudonym(tag.uid.hex().upper()), name
        assert tag.uid.hex().upper() not in json.dumps(e), f"{name}: the UID left the terminal"
    assert by["uri"]["decoded"]["ndef"][0]["uri"] == "https://example.com/kiosk/4711"
    assert by["uri"]["nfc"]["type"] == "ntag213"
    assert by["text"]["decoded"]["ndef"][0]["text"] == "Claim 4711: window broken"
    assert by["text"]["nfc"]["type"] == "ntag215"
    assert by["dl"]["decoded"]["format"] == "gs1-digital-link"
    assert by["dl"]["tag"] == {"class": "subject", "schema": "gtin", "subject": "09506000134352"}
    assert by["classic"]["nfc"]["type"] == "mifare_classic_1k"
    assert by["classic"]["text"] == s.pseudonym(tags[3][1].uid.hex().upper())
    assert "decoded" not in by["classic"] or by["classic"]["decoded"]["format"] == "text"
    assert by["long"]["decoded"]["ndef"][0]["text"] == long_text, "a 3-byte TLV length, many READs"
    assert "CC smaller than its TLV" in by["corrupt"]["misread"]["reason"]
    assert by["corrupt"]["misread"]["format"] == "nfc" and "ndef" not in json.dumps(by["corrupt"].get("decoded"))
    # The reader: green and one beep for each good tap, red and two beeps for the misread, each
    # only once its envelope was in the spool.
    colors = [(sig.color, sig.beeps) for sig in s.nfc.signals]
    assert colors == [("green", 1)] * 5 + [("red", 2)] * 2, colors
    assert s.spooled_at_signal == list(range(1, len(tags) + 1)), s.spooled_at_signal
    # The reads asked only for what the tags hold: never past the page the CC bounds.
    corrupt_reads = [a.command[3] for a in s.nfc.apdus if a.command[:2] == b"\xff\xb0" and a.t > s.nfc.signals[4].t]
    assert corrupt_reads and all(p * 4 < 16 + 16 for p in corrupt_reads), corrupt_reads
    assert by["damaged"]["misread"]["format"] == "ndef" and "truncated" in by["damaged"]["misread"]["reason"]
    assert "nfc tap misread" in s.log()
    # No UID in clear on the terminal either: not in its log, not in the spool or its WAL.
    stored = b"".join(p.read_bytes() for p in s.root.glob("spool.db*"))
    for _, tag in tags:
        for form in (tag.uid.hex().upper(), tag.uid.hex()):
            assert form not in s.log(), form
            assert form.encode() not in stored and tag.uid not in stored, form


def test_a_tag_left_on_the_reader_is_one_event_and_a_new_tap_of_it_another(tapsite):
    s = tapsite
    tag = Tag.ntag213(uri_record("https://example.com/held"))
    s.nfc.tap(tag)
    s.nfc.wait_signals(1, timeout=15)
    time.sleep(3.0)  # pcscd polls every 400 ms: the tag stays present through several polls
    assert len(s.nfc.signals) == 1
    assert len(s.wait_events(1)) == 1
    s.nfc.lift()
    time.sleep(1.0)  # pcscd sees the reader empty at its next poll
    s.nfc.tap(tag)
    s.nfc.wait_signals(2, timeout=15)
    time.sleep(1.0)
    assert len(s.events()["events"]) == 2


def test_a_tag_lifted_mid_read_is_a_torn_read_never_a_partial_message(tapsite):
    s = tapsite
    tag = Tag.ntag215(text_record("x" * 300))
    s.nfc.tear_after(2)
    s.nfc.tap(tag)
    e = s.wait_events(1, timeout=20)[0]
    assert e["misread"]["format"] == "nfc" and e["misread"]["reason"].startswith("torn read"), e
    assert "decoded" not in e and e.get("raw") in (None, ""), e
    assert e["nfc"]["uid"] == s.pseudonym(tag.uid.hex().upper())
    # The next tap reads whole.
    s.nfc.wait(lambda: s.nfc.tag is None, what="the torn tag gone")
    good = Tag.ntag213(uri_record("https://example.com/after"))
    s.nfc.tap(good)
    events = s.wait_events(2, timeout=20)
    assert events[1]["decoded"]["ndef"][0]["uri"] == "https://example.com/after"


def test_pcscd_killed_and_restarted_the_reader_comes_back(tapsite):
    s = tapsite
    tap_and_lift(s, Tag.ntag213(uri_record("https://example.com/before")), 0)
    s.wait_events(1)
    s.pcscd.kill()
    wait_for(lambda: "nfc reader lost pcscd" in s.log() or "nfc reader waiting for pcscd" in s.log(), 20,
             "gatewayd to notice")
    time.sleep(2.0)  # it keeps trying, and says so once
    s.pcscd.start()
    s.nfc.wait_connected(timeout=15)
    wait_for(lambda: "pcscd answers again" in s.log(), 20, "gatewayd to reconnect")
    tap_and_lift(s, Tag.ntag213(uri_record("https://example.com/after-restart"),
                                uid=bytes.fromhex("04556677889900")), 1)
    events = s.wait_events(2, timeout=20)
    assert events[1]["decoded"]["ndef"][0]["uri"] == "https://example.com/after-restart"
    log = s.log()
    assert log.count("nfc reader waiting for pcscd") <= 1 and log.count("nfc reader lost pcscd") <= 1, log[-3000:]
    assert s.gateway.poll() is None
    # Loaded because a PC/SC reader is configured; libusb is not.
    maps = open(f"/proc/{s.gateway.pid}/maps").read()
    assert "libpcsclite" in maps and "libusb" not in maps


def test_probe_reports_pcscd_and_its_readers(site, pcscd, nfc_tag_reader):
    site.write_config(readers=[{"id": "tap0", "kind": "nfc", "reader": READER}])
    env = dict(os.environ, **pcscd.env, RUNTIME_DIRECTORY=str(site.root / "run"))
    nfc_tag_reader.tap(Tag.ntag213(uri_record("https://example.com/p")))
    nfc_tag_reader.wait_detected()
    r = subprocess.run([GATEWAYD, "--probe", "--json", "--config", str(site.root / "gatewayd.toml")],
                       capture_output=True, text=True, env=env, timeout=60)
    check = next(c for c in json.loads(r.stdout)["checks"] if c["name"] == "reader tap0")
    assert check["status"] == "ok", check
    assert f"'{READER}' — selected, a card is on it" in check["lines"], check
    assert "'Virtual PCD 00 01' — not selected" in " ".join(check["lines"]), check
    pcscd.kill()
    r = subprocess.run([GATEWAYD, "--probe", "--config", str(site.root / "gatewayd.toml")],
                       capture_output=True, text=True, env=env, timeout=60)
    line = next(l for l in r.stdout.splitlines() if l.startswith("reader tap0"))
    assert "FAIL" in line and "pcscd is not reachable" in line, r.stdout


def test_listen_shows_a_tap_as_it_would_be_sealed(site, pcscd, nfc_tag_reader):
    site.write_config(readers=[{"id": "tap0", "kind": "nfc", "reader": READER}])
    env = dict(os.environ, **pcscd.env, RUNTIME_DIRECTORY=str(site.root / "run"))
    p = subprocess.Popen([GATEWAYD, "--probe", "--listen", "5", "--config", str(site.root / "gatewayd.toml")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    tag = Tag.ntag213(uri_record("https://example.com/listen"))
    time.sleep(1.0)
    nfc_tag_reader.tap(tag)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert "reader=tap0" in out, out + err
    assert tag.uid.hex().upper() not in out, out
    assert "listen: 1 scans seen" in err or "listen: 1 scan seen" in err, err
    assert not (site.root / "spool.db").exists()
