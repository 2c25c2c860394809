"""kill -9 of a real gatewayd in the middle of a stream: nothing lost, repeats absorbed."""
import random
import signal
import threading
import time

from harness import texts, wait_for

N = 10_000
KILLS = 50


def test_sigkill_mid_stream_loses_nothing_and_duplicates_nothing(site):
    site.write_config()
    site.start_server()
    gw = site.start_gateway()
    sent = [f"ACME-{i:08d}" for i in range(N)]
    done = threading.Event()

    def writer():
        # Whole lines, one write each, paced so the stream spans the kills.
        for i, label in enumerate(sent):
            site.scan(label)
            if i % 10 == 0:
                time.sleep(0.012)
        done.set()

    t = threading.Thread(target=writer)
    t.start()
    rng = random.Random(9)
    kills = 0
    while kills < KILLS:
        time.sleep(rng.uniform(0.05, 0.35))
        gw.send_signal(signal.SIGKILL)
        gw.wait()
        kills += 1
        gw = site.start_gateway()
    t.join()
    assert done.is_set()
    events = site.wait_events(N, timeout=300)
    got = texts(events)
    missing = set(sent) - set(got)
    extra = len(got) - len(set(got))
    stats = site.events()
    print(f"kill9: in={N} delivered={len(set(got))} dead-lettered={site.dead_letter_count()} lost={len(missing)} repeats_stored={extra} "
          f"repeats_absorbed_by_server={stats['duplicates']} kills={kills}")
    assert not missing, f"lost {len(missing)} scans, e.g. {sorted(missing)[:5]}"
    assert extra == 0 and len(got) == N, "each scan is stored once"
    assert kills == KILLS
    # After the kills, the restarted gateway recognised input it had spooled but not consumed.
    assert "reader started" in site.log()


def kill_at(site, failpoint):
    """Starts gatewayd with `failpoint` armed, waits until it pauses there, kills it with -9."""
    gw = site.start_gateway(failpoints=f"{failpoint}=5000")
    wait_for(lambda: f"failpoint {failpoint}" in site.log(), 10, f"gatewayd to reach {failpoint}")
    gw.send_signal(signal.SIGKILL)
    gw.wait()


def test_kill_after_commit_before_consume_does_not_spool_the_scan_twice(site):
    """The window between the spool commit and consuming the bytes from the FIFO."""
    site.write_config()
    site.start_server()
    site.scan("ACME-00000001", "ACME-00000002")
    kill_at(site, "after-commit")
    site.start_gateway()
    wait_for(lambda: "skipped input already spooled before a restart" in site.log(), 10, "the restart to recognise the input")
    site.scan("ACME-00000003")
    events = site.wait_events(3)
    time.sleep(1)
    events = site.events()["events"]
    assert sorted(texts(events)) == ["ACME-00000001", "ACME-00000002", "ACME-00000003"]


def test_kill_while_skipping_input_already_spooled_does_not_spool_it_twice(site):
    """The window inside a restart's skip: the bytes are consumed, the mark is not yet gone."""
    site.write_config()
    site.start_server()
    site.scan("ACME-00000001", "ACME-00000002")
    kill_at(site, "after-commit")
    kill_at(site, "after-skip")
    site.start_gateway()
    site.scan("ACME-00000003")
    wait_for(lambda: "reader started" in site.log().split("failpoint after-skip")[-1], 10, "the third start")
    events = site.wait_events(3)
    time.sleep(1)
    events = site.events()["events"]
    assert sorted(texts(events)) == ["ACME-00000001", "ACME-00000002", "ACME-00000003"]
    assert site.spool_value("SELECT value FROM meta WHERE key = 'last_seq'") == 3, "each scan spooled once"


def test_kill_after_post_before_settle_is_absorbed_by_server_dedup(site):
    """The window between the server storing a batch and the gateway removing it."""
    site.write_config()
    site.start_server()
    gw = site.start_gateway(failpoints="after-post=5000")
    site.scan("ACME-00000001", "ACME-00000002")
    wait_for(lambda: "failpoint after-post" in site.log(), 10, "the post")
    assert len(site.events()["events"]) == 2
    gw.send_signal(signal.SIGKILL)
    gw.wait()
    assert len(site.spool_rows()) == 2, "not yet settled when killed"
    site.start_gateway()
    wait_for(lambda: site.events()["duplicates"] == 2, 20, "the resend to be absorbed as duplicates")
    wait_for(lambda: site.spool_rows() == [], 10, "the spool to drain")
    assert sorted(texts(site.events()["events"])) == ["ACME-00000001", "ACME-00000002"]
