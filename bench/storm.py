#!/usr/bin/env python3
"""Reconnect storm model (issue 6): a fleet of gateways loses the case server at the same moment
and the server returns DOWN seconds later. Each gateway retries on gatewayd's schedule — the
pure function in Sources/GatewayCore/Forward/Backoff.swift:

    ceiling(n) = min(cap, base * 2**n)      n = failures so far
    delay(n)   = uniform(0, ceiling(n))      full jitter

An attempt while the server is down fails at once (connection refused). We record when each
gateway's first attempt after the return arrives, and print arrivals per second at the server:
the peak second and how long until 50/95/100% of the fleet is back. The same fleet without
jitter (delay = ceiling) is shown for contrast: it arrives in lock-step.

With --real, the same schedule drives real requests (make bench): T simulated terminals, each
holding a backlog of B sealed envelopes (made by `gatewayd-bench storm-fixtures`: a device key
per terminal, registered with the server, and the backlog as gatewayd's POST bodies of at most
--batch envelopes). For each store (--db: sqlite, postgres, postgres2 = two instances over one
database behind haproxy) and each outage length (--outages), a fresh database and a case-server
that has just returned; each terminal makes its first attempt when the model says it would (the
outage itself is not waited out: while the server is down every attempt is refused at once and
changes nothing but the failure count, which the model carries), then sends its batches one
after another over one kept-alive TLS connection, and on any failure (refused, reset, timeout,
a status other than 200) waits as gatewayd does — Retry-After, if the server sent one, plus
uniform(0, ceiling(failures)) — and sends the same batch again. Reported: seconds from the
server's return until 50/95/100 % of the terminals have their whole backlog stored, the peak
requests and envelopes per second, request latency, failures by kind, rejected envelopes, and
the CPU seconds of case-server, PostgreSQL and this driver (which shares the machine).

Usage: bench/storm.py [--gateways 200] [--down 300] [--base 0.5] [--cap 60] [--seed 1]
       bench/storm.py --real --bin DIR [--terminals 500] [--backlog 200] [--batch 500]
                      [--db sqlite,postgres] [--outages 300,2] [--postgres URL] [--keep] [--out FILE]
"""
import argparse
import asyncio
import collections
import json
import os
import random
import shutil
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")


def first_after(down, base, cap, rng, jitter=True, offset=0.0):
    """Time of this gateway's first attempt at or after `down`."""
    return schedule(down, base, cap, rng, jitter, offset)[0]


def schedule(down, base, cap, rng, jitter=True, offset=0.0):
    """(time of the first attempt at or after `down`, failures before it)."""
    t, n = offset, 0
    while t < down:
        ceiling = min(cap, base * 2 ** n)
        t += rng.uniform(0, ceiling) if jitter else ceiling
        n += 1
    return t, n


def summary(name, times, down):
    per_second = collections.Counter(int(t - down) for t in times)
    peak_s, peak = max(per_second.items(), key=lambda kv: kv[1])
    ordered = sorted(t - down for t in times)
    q = lambda p: ordered[min(len(ordered) - 1, int(p * len(ordered)))]
    print(f"{name:>12}: peak {peak:4d} arrivals in one second (second {peak_s}); "
          f"back: 50% {q(0.5):6.1f}s  95% {q(0.95):6.1f}s  100% {ordered[-1]:6.1f}s after the server returned")
    return peak


def quantile(ordered, p):
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


# --- the real storm ----------------------------------------------------------------------------


def cpu_seconds(pid, children=False):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12]) + (int(f[13]) + int(f[14]) if children else 0)) / TICK


def cluster_cpu(pgdir):
    """CPU seconds of one PostgreSQL cluster: postmaster, live children, reaped children."""
    post = int(open(Path(pgdir) / "data" / "postmaster.pid").readline())
    total = cpu_seconds(post, children=True)
    for p in os.listdir("/proc"):
        if p.isdigit() and int(p) != post:
            try:
                f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
                if int(f[1]) == post:
                    total += (int(f[11]) + int(f[12])) / TICK
            except (OSError, IndexError):
                pass
    return total


def machine():
    """(busy, steal, total) jiffies of all CPUs (busy: every process's, ours and others')."""
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(f[:3]) + sum(f[5:7]), f[7], sum(f[:8])


def psql(url, sql):
    return subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-qAt", url, "-c", sql], check=True, capture_output=True,
                          text=True).stdout


def database_url(cluster_url, name):
    base, _, query = cluster_url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")


def free_port():
    sys.path.insert(0, str(ROOT / "tests" / "system"))
    from harness import free_port as f
    return f()


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise SystemExit(f"storm: timed out waiting for {what}")


class Fleet:
    """`n` case-server instances over one store; with n > 1, haproxy in front (TCP, as
    tests/system/test_scale_out.py). `port` is where terminals connect."""

    def __init__(self, work, bindir, db, n, tag):
        self.procs, self.servers = [], []
        self.port = free_port()
        ports = [self.port] if n == 1 else [free_port() for _ in range(n)]
        for i, port in enumerate(ports):
            ready = work / f"{tag}-{i}.ready"
            log = open(work / f"{tag}-{i}.log", "ab")
            p = subprocess.Popen(
                [str(bindir / "case-server"), "serve", "--port", str(port),
                 "--cert", str(work / "pki" / "server.pem"), "--tls-key", str(work / "pki" / "server.key"),
                 "--private-key", str(work / "server.key"), "--devices", str(work / "devices"),
                 "--db", db, "--ready-file", str(ready)], stdout=log, stderr=log)
            self.procs.append(p)
            self.servers.append(p)
            wait_for(lambda: ready.exists() or p.poll() is not None, 60, "case-server to listen")
            if p.poll() is not None:
                self.close()
                raise SystemExit(f"storm: case-server did not start:\n{(work / f'{tag}-{i}.log').read_text()[-2000:]}")
        if n > 1:
            haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
            cfg = work / f"{tag}-haproxy.cfg"
            cfg.write_text("\n".join([
                "global", "  maxconn 4000",
                "defaults", "  mode tcp", "  timeout connect 2s", "  timeout client 60s", "  timeout server 60s",
                "frontend fleet", f"  bind 127.0.0.1:{self.port}", "  default_backend instances",
                "backend instances", "  balance leastconn",
                *[f"  server s{i} 127.0.0.1:{p}" for i, p in enumerate(ports)],
            ]) + "\n")
            log = open(work / f"{tag}-haproxy.log", "ab")
            self.procs.append(subprocess.Popen([haproxy, "-db", "-f", str(cfg)], stdout=log, stderr=log))
            ctx = ssl.create_default_context(cafile=str(work / "pki" / "ca.pem"))

            def ready():
                import urllib.request
                try:
                    with urllib.request.urlopen(f"https://127.0.0.1:{self.port}/readyz", context=ctx, timeout=2) as r:
                        return r.status == 200
                except OSError:
                    return False
            wait_for(ready, 20, "haproxy to pass a request on")

    def cpu(self):
        return sum(cpu_seconds(p.pid) for p in self.servers)

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


async def post(reader, writer, body):
    """One POST /v1/envelopes on a kept-alive HTTP/1.1 connection: (status, headers, body, keep)."""
    writer.write(b"POST /v1/envelopes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body)
    await writer.drain()
    line = await reader.readline()
    if not line:
        raise ConnectionResetError("closed before a status line")
    status = int(line.split()[1])
    headers = {}
    while True:
        h = await reader.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        data = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        data = bytearray()
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                break
            data += await reader.readexactly(size)
            await reader.readline()
    else:
        data = await reader.read()
    return status, headers, bytes(data), headers.get("connection", "").lower() != "close"


async def drive(plan, backlogs, port, ca, a, seed):
    """Runs every terminal; returns (per-terminal seconds until its backlog was stored, request
    log [(sent, done, status or error kind, envelopes)], envelope outcomes)."""
    loop = asyncio.get_running_loop()
    ctx = ssl.create_default_context(cafile=ca)
    rng = random.Random(seed)
    log, outcomes, done = [], collections.Counter(), {}
    t0 = loop.time()

    async def terminal(device, start_at, attempt):
        bodies = backlogs[device]
        await asyncio.sleep(start_at)
        reader = writer = None
        i = 0
        while i < len(bodies):
            sent = loop.time() - t0
            status, headers = None, {}
            try:
                if writer is None:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="127.0.0.1"), a.connect_timeout)
                status, headers, data, keep = await asyncio.wait_for(post(reader, writer, bodies[i]), a.request_timeout)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ssl.SSLError, ValueError, IndexError) as e:
                status, keep = type(e).__name__, False
            log.append((sent, loop.time() - t0, status, bodies[i].count(b'"device"')))
            if not keep and writer is not None:
                writer.close()
                reader = writer = None
            if status == 200:
                for r in json.loads(data)["results"]:
                    outcomes[r["status"]] += 1
                i += 1
                attempt = 0
                continue
            try:
                retry_after = float(headers.get("retry-after", 0))
            except ValueError:
                retry_after = 0.0
            ceiling = min(a.cap, a.base * 2 ** attempt)
            attempt += 1
            await asyncio.sleep(retry_after + rng.uniform(0, ceiling))
        if writer is not None:
            writer.close()
        done[device] = loop.time() - t0

    await asyncio.gather(*(terminal(d, s, n) for d, (s, n) in plan.items()))
    return done, log, outcomes


def stored_count(db):
    if db.startswith("postgres://"):
        return int(psql(db, "SELECT count(*) FROM event"))
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute("SELECT count(*) FROM event").fetchone()[0]
    finally:
        con.close()


def real(a):
    bindir = Path(a.bin).resolve()
    work = Path(tempfile.mkdtemp(prefix="gatewayd-storm-"))
    print(f"storm: {a.terminals} terminals × {a.backlog} envelopes (batches of ≤ {a.batch}); work dir {work}", flush=True)
    subprocess.run([str(ROOT / "scripts" / "make-pki.sh"), str(work / "pki")], check=True)
    subprocess.run([str(bindir / "case-server"), "keygen", "--out", str(work / "server.key")], check=True,
                   capture_output=True)
    t = time.monotonic()
    subprocess.run([str(bindir / "gatewayd-bench"), "storm-fixtures", "--server-key", str(work / "server.key.pub"),
                    "--devices", str(work / "devices"), "--out", str(work / "backlogs"), "--terminals", str(a.terminals),
                    "--backlog", str(a.backlog), "--batch", str(a.batch)], check=True)
    backlogs = {f.stem: f.read_bytes().splitlines() for f in (work / "backlogs").glob("*.jsonl")}
    total = sum(b.count(b'"device"') for bodies in backlogs.values() for b in bodies)
    print(f"fixtures: {total} sealed envelopes in {time.monotonic() - t:.1f} s", flush=True)
    results = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpus": os.cpu_count(),
               "binaries": str(bindir), "terminals": a.terminals, "backlog": a.backlog, "batch": a.batch,
               "envelopes": total, "backoff": {"base_s": a.base, "cap_s": a.cap}, "runs": []}
    stores = a.db.split(",")
    pgdir = cluster = None
    cpu_dir = None
    if any(s.startswith("postgres") for s in stores) and a.postgres:
        cluster = a.postgres
        host = dict(kv.split("=", 1) for kv in cluster.partition("?")[2].split("&") if "=" in kv).get("host", "")
        cpu_dir = host if (Path(host) / "data" / "postmaster.pid").exists() else None
    elif any(s.startswith("postgres") for s in stores):
        pgdir = cpu_dir = Path(tempfile.mkdtemp(prefix="gatewayd-pg."))
        cluster = subprocess.run([str(ROOT / "scripts" / "pg-cluster.sh"), "start", str(pgdir)], check=True,
                                 capture_output=True, text=True).stdout.strip()
    try:
        k = 0
        for store in stores:
            for o, down in enumerate(float(x) for x in a.outages.split(",")):
                k += 1
                if store == "sqlite":
                    db = str(work / f"cases-{k}.db")
                else:
                    psql(cluster, f"CREATE DATABASE storm_{os.getpid()}_{k}")
                    db = database_url(cluster, f"storm_{os.getpid()}_{k}")
                instances = 2 if store == "postgres2" else 1
                # Every terminal lost the server within the same 100 ms; where its retries
                # stand when the server returns. One plan per outage, the same for every store.
                rng = random.Random(a.seed * 1000 + o)
                plan = {}
                for device in sorted(backlogs):
                    when, failures = schedule(down, a.base, a.cap, rng, True, rng.uniform(0, 0.1))
                    plan[device] = (when - down, failures)
                os.sync()
                fleet = Fleet(work, bindir, db, instances, f"server-{k}")
                try:
                    cpu_s0 = fleet.cpu()
                    cpu_pg0 = cluster_cpu(cpu_dir) if cpu_dir and store != "sqlite" else None
                    cpu_me0 = time.process_time()
                    m0 = machine()
                    done, log, outcomes = asyncio.run(drive(plan, backlogs, fleet.port, str(work / "pki" / "ca.pem"), a, a.seed * 1000 + o))
                    cpu_me = time.process_time() - cpu_me0
                    m1 = machine()
                    cpu_s = fleet.cpu() - cpu_s0
                    cpu_pg = cluster_cpu(cpu_dir) - cpu_pg0 if cpu_pg0 is not None else None
                finally:
                    fleet.close()
                stored = stored_count(db)
                finished = sorted(done.values())
                first = min(s for s, _ in plan.values())
                requests = collections.Counter(int(s) for s, _, _, _ in log)
                envelopes_s = collections.Counter()
                for _, end, status, n in log:
                    if status == 200:
                        envelopes_s[int(end)] += n
                failures = collections.Counter(str(st) for _, _, st, _ in log if st != 200)
                lat = sorted(end - s for s, end, st, _ in log if st == 200)
                r = {"store": store, "instances": instances, "outage_s": down,
                     "first_attempt_s": round(first, 2),
                     "last_first_attempt_s": round(max(s for s, _ in plan.values()), 2),
                     "stored_50_s": round(quantile(finished, 0.5), 2), "stored_95_s": round(quantile(finished, 0.95), 2),
                     "stored_100_s": round(finished[-1], 2),
                     "requests": len(log), "peak_requests_per_s": max(requests.values()),
                     "peak_envelopes_per_s": max(envelopes_s.values()),
                     "mean_envelopes_per_s": round(total / max(1e-9, finished[-1] - first)),
                     "latency_p50_ms": round(1000 * quantile(lat, 0.5), 1), "latency_p99_ms": round(1000 * quantile(lat, 0.99), 1),
                     "latency_max_ms": round(1000 * lat[-1], 1),
                     "failed_requests": dict(failures), "envelope_results": dict(outcomes),
                     "events_stored": stored, "server_cpu_seconds": round(cpu_s, 2),
                     "driver_cpu_seconds": round(cpu_me, 2)}
                if cpu_pg is not None:
                    r["postgres_cpu_seconds"] = round(cpu_pg, 2)
                # What else ran on the machine meanwhile (haproxy's share is counted there).
                r["others_cpu_seconds"] = round(max(0.0, (m1[0] - m0[0]) / TICK - cpu_s - cpu_me - (cpu_pg or 0)), 2)
                r["cpu_steal_percent"] = round(100 * (m1[1] - m0[1]) / max(1, m1[2] - m0[2]), 1)
                results["runs"].append(r)
                print(f"{store} ×{instances}, outage {down:g} s: stored 50% {r['stored_50_s']} s, 95% {r['stored_95_s']} s, "
                      f"100% {r['stored_100_s']} s after the return (first attempts from {r['first_attempt_s']} to "
                      f"{r['last_first_attempt_s']} s); "
                      f"{len(log)} requests, peak {r['peak_requests_per_s']}/s and {r['peak_envelopes_per_s']} envelopes/s; "
                      f"latency p50 {r['latency_p50_ms']} ms p99 {r['latency_p99_ms']} ms max {r['latency_max_ms']} ms; failed {dict(failures) or 0}; "
                      f"results {dict(outcomes)}; stored {stored}/{total}; CPU s: server {r['server_cpu_seconds']}"
                      + (f", PostgreSQL {r['postgres_cpu_seconds']}" if cpu_pg is not None else "")
                      + f", driver {r['driver_cpu_seconds']}, others on the machine {r['others_cpu_seconds']}", flush=True)
    finally:
        if pgdir:
            subprocess.run([str(ROOT / "scripts" / "pg-cluster.sh"), "stop", str(pgdir)], check=False)
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    if a.out:
        Path(a.out).write_text(json.dumps(results, sort_keys=True, indent=2) + "\n")
    print(json.dumps(results, sort_keys=True))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateways", type=int, default=200)
    ap.add_argument("--down", type=float, default=300)
    ap.add_argument("--base", type=float, default=0.5)
    ap.add_argument("--cap", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--real", action="store_true", help="drive a real case-server (needs --bin)")
    ap.add_argument("--bin", help="directory with case-server and gatewayd-bench")
    ap.add_argument("--terminals", type=int, default=500)
    ap.add_argument("--backlog", type=int, default=200)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--db", default="sqlite,postgres", help="stores, in order: sqlite, postgres, postgres2")
    ap.add_argument("--outages", default="300,2", help="outage lengths in seconds, one run each")
    ap.add_argument("--connect-timeout", type=float, default=5)
    ap.add_argument("--request-timeout", type=float, default=30)
    ap.add_argument("--postgres", help="an existing cluster's URL (…/postgres?host=DIR) instead of a throwaway one")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (fixtures, logs, SQLite files)")
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.real:
        if not a.bin:
            ap.error("--real needs --bin DIR")
        real(a)
        return
    rng = random.Random(a.seed)
    print(f"{a.gateways} gateways, server down {a.down:.0f}s, backoff base {a.base}s cap {a.cap}s")
    # All lose the server within the same 100 ms (a cell tower, a server restart).
    jitter = [first_after(a.down, a.base, a.cap, rng, True, rng.uniform(0, 0.1)) for _ in range(a.gateways)]
    lockstep = [first_after(a.down, a.base, a.cap, rng, False, rng.uniform(0, 0.1)) for _ in range(a.gateways)]
    summary("full jitter", jitter, a.down)
    summary("no jitter", lockstep, a.down)


if __name__ == "__main__":
    main()
