"""A scan travels from a reader to the reference case server, end to end."""
import base64

from harness import texts, wait_for


def test_thousand_scans_through_a_fifo_arrive_exactly_once(site):
    site.write_config()
    site.start_server()
    site.start_gateway()
    sent = [f"ACME-{i:08d}" for i in range(1000)]
    site.scan(*sent)
    events = site.wait_events(1000)
    # Exactly those 1,000: nothing missing, nothing extra, each opened and equal to the input.
    assert sorted(texts(events)) == sorted(sent)
    assert len(events) == 1000
    assert all(base64.b64decode(e["raw"]).decode() == e["text"] for e in events)
    assert all(e["tag"] == {"class": "subject", "schema": "acme", "subject": e["text"][5:]} for e in events)
    seqs = sorted(e["seq"] for e in events)
    assert seqs == list(range(1, 1001)), "sequence numbers are gapless"
    # Order of capture is kept: seq follows the order the lines were written.
    by_seq = sorted(events, key=lambda e: e["seq"])
    assert texts(by_seq) == sent
    # Delivered envelopes left the spool.
    assert site.spool_rows() == []


def test_server_that_starts_late_gets_everything_spooled_before(site):
    site.write_config()
    site.start_gateway()
    sent = [f"ACME-{i:08d}" for i in range(300)]
    site.scan(*sent)
    site.wait_spooled(300)
    assert len(site.spool_rows()) == 300, "all 300 held in the spool while the server is down"
    wait_for(lambda: "delivery failed; retrying later" in site.log(), 10, "the forwarder to report the server down")
    site.start_server()
    events = site.wait_events(300)
    assert sorted(texts(events)) == sorted(sent)
    assert len(events) == 300


def test_unknown_labels_are_forwarded_as_unknown_not_dropped(site):
    site.write_config()
    site.start_server()
    site.start_gateway()
    site.scan("ACME-42", "something else", "ACME-x")
    events = site.wait_events(3)
    classes = {e["text"]: e["tag"] for e in events}
    assert classes["ACME-42"] == {"class": "subject", "schema": "acme", "subject": "42"}
    assert classes["something else"] == {"class": "unknown"}
    assert classes["ACME-x"] == {"class": "unknown"}
