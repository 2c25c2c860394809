"""A reader that floods is a broken reader, and says so (issue 28, item 4).

5 MB of random bytes (fixed seed) with a few real labels among them go into the line reader,
paced over several seconds as a broken device would send them. Nothing is dropped: the labels
arrive once each as the subjects they are, every line that could be text arrives as itself, and
the noise arrives coalesced — a few `noise` misreads whose counts sum to the noise lines the
framer made (computed here, independently) — while the log (one warning), the metrics, the
probe and the kiosk's reader badge say that the reader floods.
"""
import json
import os
import random
import re
import subprocess
import threading
import time
import urllib.request

from harness import GATEWAYD, wait_for

MAX_LINE = 4096
ALLOWED_CONTROLS = {0x04, 0x09, 0x1C, 0x1D, 0x1E, 0x1F}
NOISE_REASON = re.compile(r"^(\d+) lines, (\d+) bytes within 1 s")


def frame(stream):
    """The lines LineFramer makes of a byte stream: LF, CR and CRLF end a line, empty lines are
    skipped, an unterminated tail is no line, and a line over MAX_LINE is discarded (overlong)."""
    pieces = re.split(rb"\r\n|\r|\n", stream)[:-1]
    return [p for p in pieces if p and len(p) <= MAX_LINE]


def is_noise(line):
    """docs/decoding.md's definition: not UTF-8, or a control character other than TAB, EOT, FS,
    GS, RS, US (C0, DEL and C1 are controls)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return any((ord(c) < 0x20 and ord(c) not in ALLOWED_CONTROLS) or 0x7F <= ord(c) <= 0x9F for c in text)


def probe(site):
    r = subprocess.run([GATEWAYD, "--probe", "--json", "--config", str(site.root / "gatewayd.toml")],
                       capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, RUNTIME_DIRECTORY=str(site.root / "run")))
    doc = json.loads(r.stdout)
    return next(c for c in doc["checks"] if c["name"] == "reader fifo0")


def reader_line(site):
    with urllib.request.urlopen(site.kiosk_url() + "/api/state", timeout=5) as r:
        readers = json.load(r)["readers"]
    return next(r for r in readers if r.startswith("fifo0:"))


def metric(site, name):
    for line in site.metrics().splitlines():
        if line.startswith(name + "{") and 'reader="fifo0"' in line:
            return float(line.rsplit(" ", 1)[1])
    return None


def test_random_bytes_into_a_line_reader_are_coalesced_noise_and_a_reported_flood(site):
    site.write_config(readers=[{"id": "fifo0", "kind": "line", "path": str(site.fifo)}])
    site.start_server()
    site.start_gateway()
    wait_for(lambda: "reader started" in site.log(), 10, "the line reader")

    rng = random.Random(2804)
    junk = rng.randbytes(5 * 1024 * 1024)
    labels = ["ACME-1001", "ACME-1002", "ACME-1003", "ACME-1004"]
    cuts = [len(junk) // 3, 2 * len(junk) // 3]
    stream = (labels[0].encode() + b"\n" + junk[:cuts[0]] + b"\n" + labels[1].encode() + b"\n"
              + junk[cuts[0]:cuts[1]] + b"\n" + labels[2].encode() + b"\n" + junk[cuts[1]:]
              + b"\n" + labels[3].encode() + b"\n")

    lines = frame(stream)
    noise = [l for l in lines if is_noise(l)]
    text = [l for l in lines if not is_noise(l)]
    assert [l for l in text if l.startswith(b"ACME-")] == [l.encode() for l in labels]
    assert len(noise) > 30_000 and len(text) < len(noise) // 50

    # Paced like a broken device: about 5,000 lines a second for 8 s (the default flood is
    # more than 500 a second for 2 s).
    fd = site.open_fifo()

    def write():
        for i in range(0, len(stream), 65536):
            os.write(fd, stream[i:i + 65536])
            time.sleep(0.1)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        # While it floods: the kiosk's reader badge, the probe (from the daemon's readers.json).
        flooding = wait_for(lambda: (lambda r: r if "flooding" in r else None)(reader_line(site)), 15,
                            "the kiosk to show the reader flooding")
        assert "noisy" in flooding, flooding
        assert metric(site, "gatewayd_reader_flooding") == 1
        during = probe(site)
    finally:
        writer.join()
    assert during["status"] == "warn", during
    assert during["reader"]["health"]["flooding"], during
    assert "flooding" in during["detail"] and any("flooding:" in l for l in during["lines"]), during

    def settled():
        events = site.events()["events"]
        got = [e for e in events if (e.get("misread") or {}).get("format") == "noise"]
        total = sum(int(NOISE_REASON.match(e["misread"]["reason"]).group(1)) for e in got)
        return events if total >= len(noise) and len(events) - len(got) >= len(text) else None

    events = sorted(wait_for(settled, 120, "every line delivered"), key=lambda e: e["seq"])
    noise_events = [e for e in events if (e.get("misread") or {}).get("format") == "noise"]
    genuine = [e for e in events if e not in noise_events]

    # The labels once each, as the subjects they are, in order; every other text line as itself.
    acme = [e for e in genuine if (e.get("text") or "").startswith("ACME-")]
    assert [e["text"] for e in acme] == labels
    assert all(e["tag"]["class"] == "subject" and "misread" not in e for e in acme)
    assert len(genuine) == len(text)

    # The noise: its counts and sizes sum to the framer's noise lines, in far fewer events, each
    # before the genuine line that followed it in the stream (none is held past one).
    counts = [NOISE_REASON.match(e["misread"]["reason"]) for e in noise_events]
    assert all(counts), [e["misread"] for e in noise_events][:3]
    assert sum(int(m.group(1)) for m in counts) == len(noise)
    assert sum(int(m.group(2)) for m in counts) == sum(len(l) for l in noise)
    assert len(noise_events) < len(noise) // 50, len(noise_events)
    assert all(e["tag"]["class"] == "unknown" and not e.get("text") for e in noise_events)
    for label in labels:
        at = next(e["seq"] for e in acme if e["text"] == label)
        before = sum(int(NOISE_REASON.match(e["misread"]["reason"]).group(1)) for e in noise_events if e["seq"] < at)
        assert before == sum(1 for l in lines[:lines.index(label.encode())] if is_noise(l)), label

    # One warning for the episode, its end noticed once the input stopped; never the content.
    wait_for(lambda: "reader flood over" in site.log(), 20, "the flood to end")
    log = site.log()
    assert len(re.findall(r"reader floods: more scans a second than flood_rate", log)) == 1, log[-3000:]
    warning = next(l for l in log.splitlines() if "reader floods:" in l)
    assert "reader=fifo0" in warning and re.search(r"rate=\d+", warning), warning
    assert "\ufffd" not in log

    # Counted: the noise lines, one episode, no longer flooding.
    assert metric(site, "gatewayd_reader_noise_total") == len(noise)
    assert metric(site, "gatewayd_reader_floods_total") == 1
    assert metric(site, "gatewayd_reader_flooding") == 0

    # Afterwards the probe and the kiosk still flag the reader: its last flood, its noise.
    after = probe(site)
    assert after["status"] == "warn" and "noisy" in after["detail"], after
    health = after["reader"]["health"]
    assert not health["flooding"] and health["floods"] == 1 and health["noise_lines"] == len(noise)
    assert health["last_flood"]["ended_at"] and health["last_flood"]["peak_rate"] > 500
    assert any("flooded" in l for l in after["lines"]), after
    badge = reader_line(site)
    assert "noisy" in badge and "flooded" in badge, badge
