"""The spool's bounds and overflow policies, and `gatewayd spool` for technicians."""
import os
import subprocess

from harness import GATEWAYD, texts, wait_for


def spool(site, *args, check=True):
    env = dict(os.environ, RUNTIME_DIRECTORY=str(site.root / "run"))
    return subprocess.run([GATEWAYD, "spool", *args, "--config", str(site.root / "gatewayd.toml")],
                          capture_output=True, text=True, env=env, check=check)


def with_spool_limits(site, extra):
    cfg = site.write_config()
    text = cfg.read_text().replace("[spool]\n", "[spool]\n" + extra + "\n")
    cfg.write_text(text)


def test_block_holds_the_reader_at_the_bound_and_loses_nothing(site):
    with_spool_limits(site, 'max_envelopes = 50\noverflow = "block"')
    site.start_gateway()
    sent = [f"ACME-{i}" for i in range(80)]
    for i in range(0, 50, 10):  # an empty spool takes any one batch: fill it in steps
        site.scan(*sent[i:i + 10])
        site.wait_spooled(i + 10)
    site.scan(*sent[50:])
    wait_for(lambda: "is full" in site.log(), 20, "the spool-full message")
    st = site.spool_status()
    assert st["depth"] == 50 and st["dropped_total"] == 0 and st["overflow"] == "block"
    assert "holding the reader" in site.log() and "max_envelopes = 50" in site.log()
    site.start_server()
    events = site.wait_events(len(sent), timeout=60)
    print(f"overflow-block: in={len(sent)} delivered={len(set(texts(events)))} dead-lettered=0 lost={len(set(sent) - set(texts(events)))}")
    assert sorted(texts(events)) == sorted(sent)


def test_drop_oldest_counts_and_logs_every_drop(site):
    with_spool_limits(site, 'max_envelopes = 50\noverflow = "drop_oldest"')
    site.start_gateway()
    sent = [f"ACME-{i}" for i in range(80)]
    for i in range(0, 80, 10):
        site.scan(*sent[i:i + 10])
        site.wait_spooled(i + 10)
    st = site.spool_status()
    assert st["depth"] == 50 and st["dropped_total"] == 30
    log = site.log()
    assert "spool full: dropped the oldest envelopes (overflow = drop_oldest)" in log
    assert "dropped_total=30" in log
    out = spool(site, "status").stdout
    assert "dropped:      30" in out and "overflow = drop_oldest" in out, out
    rows = spool(site, "list", "--limit", "100").stdout.strip().splitlines()
    assert len(rows) == 1 + 50 and rows[1].split("\t")[0] == "31", "the oldest 30 are gone"
    site.start_server()
    site.wait_events(50)
    wait_for(lambda: site.spool_status()["depth"] == 0, 20, "the spool to drain")
    seqs = sorted(e["seq"] for e in site.events()["events"])
    # A batch the forwarder already had in flight when its rows were dropped may still arrive;
    # everything after the drop does, and the rest of 1–30 is a gap the server can see.
    assert set(range(31, 81)) <= set(seqs) and len(seqs) < 80, seqs
    print(f"overflow-drop_oldest: in=80 delivered={len(seqs)} dead-lettered=0 dropped_by_policy=30 lost_outside_policy=0")


def test_dead_letters_listed_retried_after_the_fix_and_purged(site):
    site.write_config()
    registered = (site.root / "devices" / f"{site.device}.pem")
    key = registered.read_text()
    registered.unlink()  # the server does not know this terminal yet
    site.start_server()
    site.start_gateway()
    site.scan("ACME-1", "ACME-2", "ACME-3")
    wait_for(lambda: site.dead_letter_count() == 3, 20, "three dead letters")
    listed = spool(site, "list", "--dead").stdout
    assert listed.count("unknown_device") == 3, listed
    assert "dead letters: 3" in spool(site, "status").stdout
    r = spool(site, "purge-dead", check=False)
    assert r.returncode != 0 and "--yes" in r.stderr, "purging everything needs --yes"
    registered.write_text(key)  # the cause is fixed
    first = listed.splitlines()[1].split("\t")[1]
    assert "1 dead letters back in the queue" in spool(site, "retry-dead", first).stdout
    wait_for(lambda: len(site.events()["events"]) == 1, 20, "the retried envelope delivered")
    assert "2 dead letters back in the queue" in spool(site, "retry-dead").stdout
    events = site.wait_events(3)
    assert sorted(texts(events)) == ["ACME-1", "ACME-2", "ACME-3"]
    site.scan("ACME-4")
    wait_for(lambda: len(site.events()["events"]) == 4, 20, "a normal scan after")
    assert site.dead_letter_count() == 0
    assert "0 dead letters deleted" in spool(site, "purge-dead", "--yes").stdout
