"""Decoding through the real gatewayd: `gatewayd decode`, decoded models and misreads in the
delivered events, and the per-reader dedup window."""
import json
import subprocess
import time

from harness import GATEWAYD, texts


def decode(*args):
    return subprocess.run([GATEWAYD, "decode", *args], capture_output=True, text=True, timeout=30)


def test_decode_cli_prints_the_model_and_flags_misreads():
    r = decode("--json", "]C10109506000134352" + "\x1d" + "10ABC")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["format"] == "gs1" and d["symbology"] == "]C1"
    assert [(e["ai"], e["value"]) for e in d["gs1"]] == [("01", "09506000134352"), ("10", "ABC")]
    r = decode("--hex", "3074257BF7194E4000001A85")
    assert r.returncode == 0 and "urn:epc:tag:sgtin-96:3.0614141.812345.6789" in r.stdout
    r = decode("https://id.gs1.org/01/09506000134353")
    assert r.returncode == 65 and "misread" in r.stdout and "check digit" in r.stdout
    r = decode("--hint", "bogus", "x")
    assert r.returncode != 0 and "--hint" in r.stderr


def test_events_carry_decoded_models_and_misreads(site):
    site.write_config()
    site.start_server()
    site.start_gateway()
    site.scan("]C10109506000134352\x1d10LOT7", "]C10109506000134353", "ACME-42")
    events = {e["text"]: e for e in site.wait_events(3)}
    good = events["]C10109506000134352\x1d10LOT7"]
    assert good["decoded"]["format"] == "gs1" and good["symbology"] == "]C1"
    assert good.get("misread") is None
    bad = events["]C10109506000134353"]
    assert bad["misread"]["format"] == "gs1" and "check digit" in bad["misread"]["reason"]
    assert bad["tag"] == {"class": "unknown"} and "decoded" not in bad
    assert events["ACME-42"]["tag"]["class"] == "subject"


def test_dedup_window_turns_repeated_reads_into_one_event(site):
    site.write_config(readers=[{"id": "rfid", "kind": "line", "path": str(site.fifo), "dedup_ms": 1500}])
    site.start_server()
    site.start_gateway()
    for _ in range(10):
        site.scan("E2801160600002")
        time.sleep(0.05)
    site.scan("OTHER-TAG")
    time.sleep(2.0)
    site.scan("E2801160600002")  # back after the window: a new scan
    events = site.wait_events(3)
    time.sleep(1)
    assert sorted(texts(site.events()["events"])) == ["E2801160600002", "E2801160600002", "OTHER-TAG"]
