"""Several case-server instances over one PostgreSQL database behind haproxy (docs/scale-out.md):
real processes, TLS passed through the balancer, kill -9 of an instance mid-stream."""
import concurrent.futures
import json
import os
import shutil
import signal
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

import hostile
from harness import CASE_SERVER, add_terminal, free_port, start_terminal, texts, wait_for

pytestmark = pytest.mark.skipif(shutil.which("haproxy") is None and not os.path.exists("/usr/sbin/haproxy"),
                                reason="haproxy is not installed (scripts/install-deps.sh test)")

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


class Fleet:
    """`n` case-server instances over `db`, and haproxy on the site's server port in front of
    them (TCP: each instance terminates TLS itself, so client certificates still reach it)."""

    def __init__(self, site, db, n=3, extra=()):
        self.site, self.db, self.extra = site, db, list(extra)
        self.ports = [free_port() for _ in range(n)]
        self.servers = [None] * n
        for i in range(n):
            self.start(i)
        cfg = site.root / "haproxy.cfg"
        cfg.write_text("\n".join([
            "global", "  maxconn 4000",
            "defaults", "  mode tcp", "  timeout connect 2s", "  timeout client 60s", "  timeout server 60s",
            "frontend fleet", f"  bind 127.0.0.1:{site.server_port}", "  default_backend instances",
            "backend instances", "  balance roundrobin",
            "  option httpchk GET /readyz", "  http-check expect status 200",
            # The PROXY protocol header names each connection's client to the instance, which
            # believes it from haproxy's address only (--trusted-proxy).
            *[f"  server s{i} 127.0.0.1:{p} send-proxy-v2 check check-ssl check-send-proxy verify none inter 300 fall 2 rise 1"
              for i, p in enumerate(self.ports)],
        ]) + "\n")
        subprocess.run([HAPROXY, "-c", "-q", "-f", str(cfg)], check=True)
        log = open(site.root / "haproxy.log", "ab")
        self.haproxy = subprocess.Popen([HAPROXY, "-db", "-f", str(cfg)], stdout=log, stderr=log)
        site.procs.append(self.haproxy)
        wait_for(lambda: self.readyz(site.server_port) == 200, 20, "haproxy to pass a request to an instance")

    def start(self, i):
        site = self.site
        ready = site.root / f"server{i}.ready"
        ready.unlink(missing_ok=True)
        log = open(site.root / f"server{i}.log", "ab")
        p = subprocess.Popen(
            [CASE_SERVER, "serve", "--port", str(self.ports[i]),
             "--cert", str(site.root / "pki" / "server.pem"), "--tls-key", str(site.root / "pki" / "server.key"),
             "--private-key", str(site.root / "server.key"), "--devices", str(site.root / "devices"),
             "--db", self.db, "--ready-file", str(ready), "--trusted-proxy", "127.0.0.1", *self.extra],
            stdout=log, stderr=log)
        site.procs.append(p)
        self.servers[i] = p
        wait_for(lambda: ready.exists() or p.poll() is not None, 30, f"instance {i} to listen")
        assert p.poll() is None, (site.root / f"server{i}.log").read_text()

    def kill(self, i):
        self.servers[i].send_signal(signal.SIGKILL)
        self.servers[i].wait()

    def readyz(self, port):
        # The server bounds its readiness check at 2 s (PostgresCaseStore.ready) and answers 503
        # then: wait longer than that for its answer, or a slow check reads as no answer.
        ctx = ssl.create_default_context(cafile=str(self.site.root / "pki" / "ca.pem"))
        try:
            with urllib.request.urlopen(f"https://127.0.0.1:{port}/readyz", context=ctx, timeout=6) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return None

    def events(self):
        out = subprocess.run([CASE_SERVER, "events", "--db", self.db, "--json"], check=True, capture_output=True,
                             text=True).stdout
        return json.loads(out)

    def cli(self, *args):
        return subprocess.run([CASE_SERVER, *args, "--db", self.db], check=True, capture_output=True, text=True).stdout

    def cases(self):
        out = subprocess.run([CASE_SERVER, "cases", "--db", self.db, "--json"], check=True, capture_output=True,
                             text=True).stdout
        return json.loads(out)


def add_gateway(site, k):
    """A gatewayd of its own (device term-k, key, FIFO, spool) pointed at the site's server port."""
    home = site.root / f"gw{k}"
    add_terminal(site, home, f"term-{k}")
    site.procs.append(start_terminal(home))
    return os.open(home / "scan.fifo", os.O_RDWR), home


def test_three_instances_behind_haproxy_lose_nothing_and_store_nothing_twice_across_a_kill_9(site, pg_db):
    gateways, per = 5, 4_000
    fleet = Fleet(site, pg_db, n=3)
    fifos = [add_gateway(site, k) for k in range(1, gateways + 1)]
    sent = {k: [f"ACME-{k}{i:06d}" for i in range(per)] for k in range(1, gateways + 1)}

    def feed(k):
        fd = fifos[k - 1][0]
        for i, label in enumerate(sent[k]):
            os.write(fd, (label + "\n").encode())
            if i % 50 == 0:
                time.sleep(0.02)

    writers = [threading.Thread(target=feed, args=(k,)) for k in sent]
    for w in writers:
        w.start()
    # Mid-stream: one instance dies without a word, comes back a second later.
    wait_for(lambda: len(fleet.events()["events"]) >= 3_000, 120, "the stream to be under way", interval=0.5)
    fleet.kill(1)
    time.sleep(1.0)
    fleet.start(1)
    for w in writers:
        w.join()
    total = gateways * per
    stored = wait_for(lambda: (lambda e: e if len(e["events"]) >= total else None)(fleet.events()), 300,
                      f"{total} events in the database", interval=1.0)
    got = texts(stored["events"])
    everything = [label for labels in sent.values() for label in labels]
    missing = set(everything) - set(got)
    twice = len(got) - len(set(got))
    retried = sum((home / "gatewayd.log").read_text().count("delivery failed; retrying later") for _, home in fifos)
    print(f"scale-out: in={total} stored={len(set(got))} lost={len(missing)} stored_twice={twice} "
          f"duplicates_absorbed={stored['duplicates']} rejected={stored['rejected']} failed_deliveries_retried={retried}")
    assert not missing, f"lost {len(missing)} scans, e.g. {sorted(missing)[:5]}"
    assert twice == 0 and len(got) == total
    assert stored["rejected"] == 0
    # Every scan named an object of its own: one case each.
    assert len(fleet.cases()) == total
    for _, home in fifos:
        assert "reader started" in (home / "gatewayd.log").read_text()


def test_fifty_simultaneous_scans_of_one_object_through_three_instances_open_one_case(site, pg_db):
    # Fifty sealed envelopes of one object, taken from a gateway's spool while no server runs.
    site.write_config(readers=[{"id": "fifo0", "kind": "line", "path": str(site.fifo), "dedup_ms": 0}])
    gw = site.start_gateway()
    site.scan(*["ACME-100234"] * 50)
    site.wait_spooled(50)
    gw.kill()
    gw.wait()
    envelopes = [json.loads(row[2]) for row in site.spool_rows()]
    assert len(envelopes) == 50

    fleet = Fleet(site, pg_db, n=3)
    ctx = ssl.create_default_context(cafile=str(site.root / "pki" / "ca.pem"))
    barrier = threading.Barrier(50)

    def post(envelope):
        body = json.dumps({"envelopes": [envelope]}).encode()
        req = urllib.request.Request(f"https://127.0.0.1:{site.server_port}/v1/envelopes", data=body,
                                     headers={"Content-Type": "application/json"}, method="POST")
        barrier.wait()
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return json.load(r)["results"][0]

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(post, envelopes))
    assert [r["status"] for r in results] == ["accepted"] * 50
    refs = {r["case"]["ref"] for r in results}
    assert len(refs) == 1, refs
    assert sum(1 for r in results if r["case"]["opened"]) == 1
    cases = fleet.cases()
    assert len(cases) == 1 and cases[0]["ref"] in refs
    assert len(fleet.events()["events"]) == 50
    # Which instances answered: haproxy spread the fifty over all three.
    served = [(site.root / f"server{i}.log").read_text().count("envelopes stored") for i in range(3)]
    print(f"one object, 50 simultaneous scans: cases={len(cases)} events=50 per_instance={served}")
    assert all(n > 0 for n in served), served


def test_readyz_follows_the_database(site, postgres, pg_db):
    fleet = Fleet(site, pg_db, n=1)
    assert fleet.readyz(fleet.ports[0]) == 200
    # The database goes away (dropped under the instance): not ready, still alive.
    from pg_fixtures import psql
    name = pg_db.split("?")[0].rsplit("/", 1)[1]
    psql(postgres, f"DROP DATABASE {name} WITH (FORCE)")
    wait_for(lambda: fleet.readyz(fleet.ports[0]) == 503, 20, "readyz to answer 503")
    ctx = ssl.create_default_context(cafile=str(site.root / "pki" / "ca.pem"))
    with urllib.request.urlopen(f"https://127.0.0.1:{fleet.ports[0]}/healthz", context=ctx, timeout=5) as r:
        assert r.status == 200
    # Back, but empty: reachable, and still not ready until an instance has migrated it.
    psql(postgres, f"CREATE DATABASE {name}")
    time.sleep(1.0)
    assert fleet.readyz(fleet.ports[0]) == 503


def test_insurers_are_notified_once_per_key_by_three_instances_across_a_kill_9(site, pg_db):
    """Every instance runs a dispatcher over the one outbox; the fake insurer of
    test_insurer_webhooks answers each key 503, then hangs, then 400, then accepts. One instance
    is killed with -9 while a request hangs: its claims lapse and another instance sends them."""
    from test_insurer_webhooks import FakeInsurer
    secrets = {"north": b"north-secret-" + b"n" * 40, "harbour": b"harbour-secret-" + b"h" * 40}
    fake = FakeInsurer(secrets)
    try:
        for name, secret in secrets.items():
            (site.root / f"{name}.secret").write_bytes(secret + b"\n")
        url = f"http://127.0.0.1:{fake.port}"
        (site.root / "policy.toml").write_text(f"""
[[insurer]]
id = "north"
webhook_url = "{url}/north"
secret_file = "north.secret"
[[insurer]]
id = "harbour"
webhook_url = "{url}/harbour"
secret_file = "harbour.secret"
[[coverage]]
subjects = ["1002*"]
insurers = ["north", "harbour"]
[webhooks]
timeout_ms = 1000
backoff_base_ms = 200
backoff_cap_ms = 1000
max_attempts = 50
""")
        fleet = Fleet(site, pg_db, n=3, extra=["--policy", str(site.root / "policy.toml")])
        site.write_config()
        site.start_gateway()
        subjects = [f"1002{i:02d}" for i in range(1, 9)]
        site.scan(*[f"ACME-{s}" for s in subjects])
        wait_for(lambda: len(fleet.events()["events"]) >= len(subjects), 60, "the scans stored")
        wait_for(lambda: fake.snapshot()["hanging"] > 0, 60, "a notification request hanging")
        assert len(fake.snapshot()["acted"]) < 2 * len(subjects), "the kill is to come before they are through"
        fleet.kill(0)
        fleet.start(0)

        refs = {c["ref"]: c["subject"] for c in fleet.cases()}
        assert sorted(refs.values()) == subjects
        expected = {(ref, ins, "opened") for ref in refs for ins in ("north", "harbour")}

        def acted():
            return {(p["case"], p["insurer"], p["event"]) for p in fake.snapshot()["acted"].values()}
        wait_for(lambda: acted() >= expected, 180, "every notification acted on", interval=0.5)
        wait_for(lambda: all(" delivered " in l for l in fleet.cli("notifications").splitlines()[1:]), 60,
                 "every notification recorded as delivered", interval=0.5)
        s = fake.snapshot()
        assert s["bad"] == 0
        assert acted() == expected
        keys_of = {}
        for key, p in s["acted"].items():
            keys_of.setdefault((p["case"], p["insurer"], p["event"]), []).append(key)
            assert len(s["bodies"][key]) == 1, f"{key} was sent with different bodies"
            assert s["attempts"][key] >= 4, "503, the hang and 400 came before the acceptance"
        assert all(len(k) == 1 for k in keys_of.values()), keys_of
        assert set(s["attempts"]) == set(s["acted"])
        sent_by = [(site.root / f"server{i}.log").read_text().count("insurer notified") for i in range(3)]
        print(f"webhooks over three instances: notifications={len(expected)} requests={s['requests']} "
              f"delivered_by_instance={sent_by}")
    finally:
        fake.close()


def test_a_junk_flood_through_haproxy_throttles_its_sender_not_the_balancer(site, pg_db):
    """Every connection reaches the instances from haproxy's address; the PROXY header it sends
    names the real client, so junk from 127.0.0.2 shuts out 127.0.0.2 (429) while a terminal on
    127.0.0.1 behind the same balancer delivers every scan without one refusal. One instance, so
    both connections meet the same throttle (each instance keeps its own counts)."""
    fleet = Fleet(site, pg_db, n=1)
    site.write_config()
    gw = site.start_gateway()
    n = 2_000
    labels = [f"ACME-9{i:05d}" for i in range(n)]

    def terminal():
        for i in range(0, n, 100):
            site.scan(*labels[i:i + 100])
            time.sleep(0.05)

    t = threading.Thread(target=terminal)
    t.start()
    key_id = hostile.server_key_id(site, "someone-else", source="127.0.0.9")
    statuses, opened = hostile.flood(site, "someone-else", key_id, 30_000, source="127.0.0.2")
    t.join()
    stored = wait_for(lambda: (lambda e: e if len(e["events"]) >= n else None)(fleet.events()), 120,
                      f"{n} scans stored", interval=0.5)
    got = texts(stored["events"])
    refused = [s for s in statuses if s[0] == 429]
    print(f"flood through haproxy: requests={len(statuses)} answered_429={len(refused)} junk_opened={opened} "
          f"terminal_scans={n} stored={len(set(got))} terminal_refusals={site.log().count('delivery failed')}")
    assert refused and all(s[2] == "address" for s in refused), statuses[:5]
    assert opened < 30_000
    assert sorted(got) == sorted(labels), "every scan stored once"
    assert "delivery failed" not in site.log(), "the terminal behind the same balancer was never refused"
    assert gw.poll() is None
