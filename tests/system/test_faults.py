"""The fault suite (issue 6): a real gatewayd against a real case-server, with faults injected
between them (tests/system/faultproxy.py) or done to the processes. Every case counts what went
in and what came out, prints `in / delivered / dead-lettered / lost`, and asserts lost = 0.
"""
import os
import random
import signal
import subprocess
import threading
import time

from faultproxy import FaultProxy
from harness import ROOT, texts, wait_for, walljump

FAST = "\n".join(["[forward]", "backoff_base_ms = 100", "backoff_cap_ms = 1000", "connect_timeout_ms = 1000",
                  "read_timeout_ms = 1000", "request_timeout_ms = 3000", "linger_ms = 20"])


def config_via(site, port, forward=FAST, redact=""):
    """gatewayd.toml pointing at `port` (a fault proxy) with the given [forward] table."""
    text = site.write_config(redact=redact).read_text()
    start = text.index("[forward]")
    end = text.index("[", text.index("\n", start))
    text = text[:start] + forward + "\n" + text[end:]
    text = text.replace(f"https://127.0.0.1:{site.server_port}", f"https://127.0.0.1:{port}")
    (site.root / "gatewayd.toml").write_text(text)
    return site.root / "gatewayd.toml"


def report(name, sent, site, spool=None):
    """Counts: delivered (at the server), dead-lettered and still waiting (in the spool); lost
    is what is in none of the three."""
    events = site.events()["events"]
    got = set(texts(events))
    spool = spool or site.root / "spool.db"
    dead = spool_count(spool, "dead_letter")
    waiting = spool_count(spool, "envelope")
    lost = len(set(sent) - got) - dead - waiting
    print(f"{name}: in={len(sent)} delivered={len(got)} dead-lettered={dead} waiting={waiting} lost={lost} "
          f"stored={len(events)} duplicates_absorbed={site.events()['duplicates']}")
    return got, dead, lost


def test_server_errors_timeouts_resets_and_a_poison_envelope(site):
    site.start_server()
    proxy = FaultProxy(site.root / "pki" / "server.pem", site.root / "pki" / "server.key", site.server_port,
                       site.root / "pki" / "ca.pem").start()
    proxy.script.extend(["status:500", "status:503:1", "status:429:1", "hang:3", "reset", "status:502"])
    proxy.poison = {7, 33, 150}
    config_via(site, proxy.port)
    site.start_gateway()
    sent = [f"ACME-{i:05d}" for i in range(1, 201)]
    for k in range(0, len(sent), 50):
        site.scan(*sent[k:k + 50])
        time.sleep(0.5)
    wait_for(lambda: len(site.events()["events"]) + site.dead_letter_count() >= len(sent), 90, "every scan delivered or dead-lettered")
    wait_for(lambda: spool_count(site.root / "spool.db", "envelope") == 0, 30, "the spool to settle")
    got, dead, lost = report("server-faults", sent, site)
    proxy.stop()

    assert lost == 0
    assert sorted(r[0] for r in site.spool_rows("dead_letter")) == [7, 33, 150], "exactly the envelopes the server refuses"
    reasons = [r[4] for r in site.spool_rows("dead_letter")]
    assert all(r.startswith("http_400: envelope seq") for r in reasons), reasons
    assert len(got) == len(sent) - 3
    modes = proxy.modes()
    for m in ["status:500", "status:503:1", "status:429:1", "hang:3", "reset", "status:502"]:
        assert m in modes, f"the fault {m} was never exercised"
    # Retry-After is a floor for the next attempt.
    times = [(t, m) for t, m, _ in proxy.requests]
    for i, (t, m) in enumerate(times[:-1]):
        if m in ("status:503:1", "status:429:1"):
            assert times[i + 1][0] - t >= 0.95, f"retried {times[i + 1][0] - t:.2f}s after {m}"
    log = site.log()
    for words in ["HTTP 500", "HTTP 503", "HTTP 429", "read timeout", "HTTP 502", "sending them one at a time",
                  "server rejected an envelope; kept as dead letter"]:
        assert words in log, f"no log line says {words!r}"
    status = site.spool_status()
    assert status["dead_letters"] == 3 and status["depth"] == 0
    assert status["forwarder"]["circuit"] == "closed" and status["forwarder"]["failures_total"] >= 6
    # Every fault is also a metric, by reason.
    metrics = site.metrics()
    for reason in ["http_500", "http_503", "http_429", "http_502", "read_timeout"]:
        assert f'gatewayd_forward_failures_total{{reason="{reason}"}}' in metrics, f"no metric for {reason}"
    assert "gatewayd_dead_letters 3" in metrics and "gatewayd_delivered_total 197" in metrics, metrics[-1500:]


def test_a_server_certificate_from_another_ca_is_refused_with_a_clear_error(site):
    other = site.root / "other-pki"
    subprocess.run([str(ROOT / "scripts" / "make-pki.sh"), str(other)], check=True)
    site.start_server()
    proxy = FaultProxy(other / "server.pem", other / "server.key", site.server_port, site.root / "pki" / "ca.pem").start()
    config_via(site, proxy.port)
    site.start_gateway()
    sent = [f"ACME-{i}" for i in range(20)]
    site.scan(*sent)
    wait_for(lambda: "delivery failed" in site.log() and site.log().count("delivery failed") >= 3, 30, "repeated TLS failures")
    got, dead, lost = report("wrong-ca", sent, site)
    proxy.stop()
    assert lost == 0
    assert got == set() and dead == 0 and proxy.requests == [], "no request may pass an unverified TLS handshake"
    assert site.spool_status()["depth"] == len(sent), "everything waits in the spool"
    log = site.log()
    assert "TLS" in log and ("certificate" in log.lower() or "CERTIFICATE_VERIFY_FAILED" in log), log[-2000:]
    assert site.spool_status()["forwarder"]["circuit"] == "open"


def test_server_down_for_two_minutes_then_back(site):
    config_via(site, site.server_port, forward=FAST.replace("backoff_cap_ms = 1000", "backoff_cap_ms = 5000"))
    site.start_gateway()
    sent = [f"ACME-{i:04d}" for i in range(300)]
    start = time.monotonic()
    for k in range(0, len(sent), 30):  # scans keep coming during the outage
        site.scan(*sent[k:k + 30])
        time.sleep(10)
    site.wait_spooled(len(sent))
    time.sleep(max(0, 120 - (time.monotonic() - start)))
    down = site.spool_status()
    assert down["depth"] == len(sent) and down["forwarder"]["circuit"] == "open"
    failures = down["forwarder"]["failures_total"]
    site.start_server()
    site.wait_events(len(sent), timeout=60)
    wait_for(lambda: spool_count(site.root / "spool.db", "envelope") == 0, 30, "the spool to settle")
    got, dead, lost = report("down-2-minutes", sent, site)
    assert lost == 0 and dead == 0 and len(got) == len(sent)
    # Capped backoff: two minutes at a 5 s cap is tens of attempts, not thousands.
    assert 10 <= failures <= 200, failures
    assert site.spool_status()["forwarder"]["circuit"] == "closed"


def test_a_drained_backlog_hands_its_memory_back_and_scanning_goes_on(site):
    """An outage's backlog (more than BacklogWatch's 5,000) drained: once the spool is empty the
    forwarder drops the code pages and freed heap the drain used, says so in one line, and the
    daemon goes on taking and delivering scans on pages mapped again."""
    import re
    config_via(site, site.server_port)
    site.start_gateway()
    backlog = [f"ACME-B{i:05d}" for i in range(6000)]
    site.scan(*backlog)
    site.wait_spooled(len(backlog), timeout=60)
    site.start_server()
    site.wait_events(len(backlog), timeout=120)
    wait_for(lambda: "backlog drained" in site.log(), 30, "the backlog-drained line")
    line = next(l for l in site.log().splitlines() if "backlog drained" in l)
    fields = dict(re.findall(r"(\w+)=(\d+)", line))
    # Every envelope of the backlog left the spool on its own answer; failed attempts while
    # the server was down are not counted.
    assert int(fields["envelopes"]) == len(backlog), line
    assert int(fields["rss_kib_after"]) < int(fields["rss_kib_before"]), line
    assert site.log().count("backlog drained") == 1
    after = [f"ACME-A{i:05d}" for i in range(20)]
    for label in after:
        site.scan(label)
        time.sleep(0.05)
    site.wait_events(len(backlog) + len(after), timeout=60)
    wait_for(lambda: spool_count(site.root / "spool.db", "envelope") == 0, 30, "the spool to settle")
    got, dead, lost = report("backlog-drained", backlog + after, site)
    assert lost == 0 and dead == 0 and len(got) == len(backlog) + len(after)


def test_case_server_killed_and_restarted_mid_batch(site):
    config_via(site, site.server_port)
    site.start_server()
    site.start_gateway()
    sent = [f"ACME-{i:06d}" for i in range(3000)]
    done = threading.Event()

    def writer():
        for i in range(0, len(sent), 20):
            site.scan(*sent[i:i + 20])
            time.sleep(0.02)
        done.set()

    t = threading.Thread(target=writer)
    t.start()
    rng = random.Random(6)
    for _ in range(6):
        time.sleep(rng.uniform(0.2, 0.8))
        site.server.send_signal(signal.SIGKILL)
        site.server.wait()
        time.sleep(rng.uniform(0.0, 0.5))
        site.start_server()
    t.join()
    assert done.is_set()
    events = site.wait_events(len(sent), timeout=120)
    wait_for(lambda: spool_count(site.root / "spool.db", "envelope") == 0, 30, "the spool to settle")
    got, dead, lost = report("server-restarts", sent, site)
    assert lost == 0 and dead == 0
    assert len(events) == len(set(texts(events))) == len(sent), "distinct events stored = scans made"


def spool_count(path, table):
    import sqlite3
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def test_spool_file_system_full_back_pressures_then_resumes(site):
    if os.geteuid() != 0:
        import pytest
        pytest.skip("mounting a small tmpfs needs root")
    fs = site.root / "spoolfs"
    fs.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(fs)], check=True)
    gw = None
    try:
        config = config_via(site, site.server_port)
        config.write_text(config.read_text().replace(f'path = "{site.root / "spool.db"}"', f'path = "{fs / "spool.db"}"'))
        gw = site.start_gateway()
        wait_for(lambda: (fs / "spool.db").exists(), 10, "the spool on the small file system")
        sent = [f"ACME-{i:05d}" for i in range(3000)]
        # The first scans are spooled while there is room (the server is down, so they stay).
        # Waiting for them first keeps the test independent of how many scans the reader
        # groups into its first commit: one group larger than the space left would fail whole.
        early = 50
        site.scan(*sent[:early])
        wait_for(lambda: site.spool_value("SELECT count(*) FROM envelope", path=fs / "spool.db") >= early, 30,
                 "the first scans in the spool")
        # Then leave about 300 KiB free, and the rest pile up and fill it.
        free = os.statvfs(fs).f_bavail * os.statvfs(fs).f_frsize
        filler = fs / "filler"
        filler.write_bytes(b"\0" * max(0, free - 300 * 1024))
        writer = threading.Thread(target=lambda: site.scan(*sent[early:]), daemon=True)
        writer.start()
        wait_for(lambda: "cannot spool scans; holding the reader until the spool is writable" in site.log(), 60, "back-pressure")
        log = site.log()
        assert "full" in log.lower(), "the message says the disk is full"
        held = spool_count(fs / "spool.db", "envelope")
        assert early <= held < len(sent), held
        time.sleep(2)
        assert spool_count(fs / "spool.db", "envelope") == held, "nothing more is taken while full"
        assert gw.poll() is None, "gatewayd keeps running"
        # Space returns, then the server: everything flows.
        filler.unlink()
        site.start_server()
        writer.join(timeout=120)
        site.wait_events(len(sent), timeout=180)
        wait_for(lambda: spool_count(fs / "spool.db", "envelope") == 0, 30, "the spool to settle")
        got, dead, lost = report("spool-fs-full", sent, site, spool=fs / "spool.db")
        assert lost == 0 and dead == 0 and len(got) == len(sent)
        assert "spool writable again; reader resumed" in site.log()
        import sqlite3
        con = sqlite3.connect(str(fs / "spool.db"))
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
    finally:
        if gw and gw.poll() is None:
            gw.send_signal(signal.SIGKILL)
            gw.wait()
        subprocess.run(["umount", "-l", str(fs)], check=False)


def test_wall_clock_jumps_do_not_stall_or_reorder_delivery(site):
    """gatewayd's wall clock (CLOCK_REALTIME) jumps two days back, then two days forward,
    while it waits out an outage; its monotonic clocks are left alone. Backoff and timeouts
    measure intervals on the monotonic clock, so the jumps change the timestamps in the events
    and nothing else."""
    import datetime
    import shutil
    lib, offset = walljump(site)
    env = {"LD_PRELOAD": str(lib), "WALLJUMP_FILE": str(offset)}
    # Certificates valid from three days ago, so the terminal's TLS check holds at -2 days.
    shutil.rmtree(site.root / "pki")
    (site.root / "pki-offset").write_text(str(-3 * 86400))
    subprocess.run([str(ROOT / "scripts" / "make-pki.sh"), str(site.root / "pki")], check=True,
                   env=dict(os.environ, LD_PRELOAD=str(lib), WALLJUMP_FILE=str(site.root / "pki-offset")))
    config_via(site, site.server_port, forward=FAST.replace("backoff_cap_ms = 1000", "backoff_cap_ms = 3000"))
    site.start_gateway(env_extra=env)
    sent = []
    for k, jump in enumerate([0, -2 * 86400, 2 * 86400]):
        offset.write_text(f"{jump}\n")
        time.sleep(1.5)
        batch = [f"ACME-{k}{i:03d}" for i in range(50)]
        sent += batch
        site.scan(*batch)
        site.wait_spooled(len(sent))
        time.sleep(2)  # the forwarder is in backoff across the jump
    site.start_server()
    events = site.wait_events(len(sent), timeout=45)
    wait_for(lambda: spool_count(site.root / "spool.db", "envelope") == 0, 30, "the spool to settle")
    got, dead, lost = report("clock-jumps", sent, site)
    assert lost == 0 and dead == 0 and len(got) == len(sent)
    assert sorted(e["seq"] for e in events) == list(range(1, len(sent) + 1)), "gapless, in order"
    now = datetime.datetime.now(datetime.timezone.utc)
    captured = {}
    for e in events:
        captured.setdefault(e["text"][:6], datetime.datetime.fromisoformat(e["captured_at"].replace("Z", "+00:00")))
    assert abs((captured["ACME-0"] - now).total_seconds()) < 600
    assert (now - captured["ACME-1"]).total_seconds() > 86_400, "the shifted clock was in effect: stamps two days back"
    assert (captured["ACME-2"] - now).total_seconds() > 86_400, "and two days ahead"
