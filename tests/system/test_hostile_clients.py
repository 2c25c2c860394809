"""Hostile clients (issue 25, item 5): while a real gatewayd delivers N scans, attackers on
other loopback addresses send an oversized batch (413), 50,000 junk envelopes under the real
device id in batches the server allows (429 soon), junk from fresh addresses (429 on the
device's trial envelope), more connections than the server takes (refused), a slowloris (cut)
and an idle keep-alive connection (closed). Every one of the N scans is stored exactly once,
and nothing is dead-lettered. Counts only: no timing is asserted.
"""
import json
import threading
import time

import jsonschema
import yaml

import hostile
from harness import ROOT, wait_for

RESPONSES = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())["paths"]["/v1/envelopes"]["post"]["responses"]


def answers_as_documented(status, doc):
    jsonschema.validate(doc, RESPONSES[str(status)]["content"]["application/json"]["schema"])

N = 300
MAX_CONNECTIONS = 24


def test_junk_floods_and_slow_clients_cost_little_and_every_real_scan_arrives_once(site):
    site.write_config()
    site.start_server(extra=["--max-connections", str(MAX_CONNECTIONS), "--header-timeout", "2",
                             "--idle-timeout", "3"])
    site.start_gateway()
    labels = [f"ACME-{i}" for i in range(N)]

    def terminal():
        for i in range(0, N, 10):
            site.scan(*labels[i:i + 10])
            time.sleep(0.1)

    scanning = threading.Thread(target=terminal)
    scanning.start()
    try:
        key_id = hostile.server_key_id(site, site.device)

        # Over the batch limits: 413 naming both, before anything is opened.
        big = hostile.Client(site, "127.0.0.3")
        status, _, doc = big.post(json.dumps({"envelopes": hostile.junk_envelopes(site.device, key_id, 501)}).encode())
        assert (status, doc["max_envelopes"], doc["max_bytes"]) == (413, 500, 1 << 20)
        answers_as_documented(status, doc)
        status, _, doc = big.post(b'{"envelopes":[' + b" " * (1 << 20) + b"]}")
        assert (status, doc["max_envelopes"], doc["max_bytes"]) == (413, 500, 1 << 20)
        answers_as_documented(status, doc)
        big.close()

        # 50,000 junk envelopes from one address: the first batch is opened, the rest answered 429.
        statuses, opened = hostile.flood(site, site.device, key_id, 50_000, source="127.0.0.2")
        assert len(statuses) == 100
        assert statuses[0][0] == 200
        refused = [s for s in statuses if s[0] == 429]
        assert len(refused) >= 98, statuses[:5]
        assert all(int(retry) > 0 for _, retry, _ in refused)
        assert opened <= 1000

        # Junk under the same device id from fresh addresses: refused on the trial envelope.
        for source in ("127.0.0.10", "127.0.0.11", "127.0.0.12"):
            client = hostile.Client(site, source)
            status, headers, doc = client.post(json.dumps(
                {"envelopes": hostile.junk_envelopes(site.device, key_id, 500, 100_000)}).encode())
            client.close()
            assert (status, doc["throttled"]) == (429, "device"), doc
            answers_as_documented(status, doc)
            assert int(headers["Retry-After"]) > 0

        # More connections than the server holds: the ones over the bound are closed at once.
        ok, refused_connections = hostile.many_connections(site, MAX_CONNECTIONS + 16)
        assert ok + refused_connections == MAX_CONNECTIONS + 16
        assert ok <= MAX_CONNECTIONS
        assert refused_connections >= 16

        # A head trickled a byte at a time is cut before it is complete; an idle connection is closed.
        sent, length, closed = hostile.slowloris(site)
        assert closed and sent < length, (sent, length)
        status_line, closed = hostile.idle_keep_alive(site)
        assert status_line == "HTTP/1.1 200 OK"
        assert closed
    finally:
        scanning.join()  # a failed step must not leave it writing to a FIFO the teardown closes
    stored = site.wait_events(N, timeout=180)
    assert sorted(e["text"] for e in stored) == sorted(labels)
    assert len({(e["device"], e["seq"]) for e in stored}) == N
    wait_for(lambda: site.spool_value("SELECT COUNT(*) FROM envelope") == 0, 60, "an empty spool")
    assert site.dead_letter_count() == 0
    # The server opened only what it answered: the junk it rejected is the junk answered 200
    # (plus the one envelope that found the key id); the trials it refused are not stored.
    assert site.events()["rejected"] == opened + 1
    log = site.log("server")
    assert "client address throttled" in log
    assert "device throttled" in log


def test_a_terminal_behind_a_throttled_address_waits_retry_after_and_loses_nothing(site):
    """Junk from the terminal's own address (127.0.0.1, as behind a shared NAT) shuts that
    address out: gatewayd is answered 429, keeps its scans spooled, waits Retry-After, and
    delivers every one once when the flood stops."""
    site.write_config()
    site.start_server(extra=["--throttle-max-seconds", "3"])
    site.start_gateway()
    key_id = hostile.server_key_id(site, site.device)
    stop = threading.Event()

    def attacker():
        while not stop.is_set():
            hostile.flood(site, "someone-else", key_id, 500, source="127.0.0.1")

    flooding = threading.Thread(target=attacker)
    flooding.start()
    labels = [f"ACME-{i}" for i in range(40)]
    try:
        site.scan(*labels[:20])
        wait_for(lambda: 'gatewayd_forward_failures_total{reason="http_429"}' in site.metrics(), 60,
                 "gatewayd answered 429")
        site.scan(*labels[20:])
    finally:
        stop.set()
        flooding.join()
    stored = site.wait_events(len(labels), timeout=120)
    assert sorted(e["text"] for e in stored) == sorted(labels)
    assert len({e["seq"] for e in stored}) == len(labels)
    wait_for(lambda: site.spool_value("SELECT COUNT(*) FROM envelope") == 0, 60, "an empty spool")
    assert site.dead_letter_count() == 0
    assert "HTTP 429" in site.log()


def test_a_gatewayd_sending_more_than_the_server_takes_adopts_its_limits_and_loses_nothing(site):
    """gatewayd configured over the server's batch limits: the server answers 413 (the large
    body at once, from its Content-Length, while gatewayd is still sending it), gatewayd adopts
    the limits the answer names, and every scan arrives once; none is dead-lettered."""
    config = site.write_config()
    config.write_text(config.read_text().replace("[forward]\n", "[forward]\nbatch_max = 2000\nbatch_max_kb = 4096\n"))
    gw = site.start_gateway()
    labels = [f"ACME-{i}" for i in range(1500)]
    site.scan(*labels)
    site.wait_spooled(len(labels))
    gw.kill()
    gw.wait()
    site.start_server(extra=["--max-batch-envelopes", "200", "--max-batch-kb", "64"])
    site.start_gateway()
    stored = site.wait_events(len(labels), timeout=180)
    assert sorted(e["text"] for e in stored) == sorted(labels)
    assert len({e["seq"] for e in stored}) == len(labels)
    wait_for(lambda: site.spool_value("SELECT COUNT(*) FROM envelope") == 0, 60, "an empty spool")
    assert site.dead_letter_count() == 0
    log = site.log()
    assert "HTTP 413 for a batch of" in log
    assert "per request from now on" in log
