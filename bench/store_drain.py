#!/usr/bin/env python3
"""The case server's store, SQLite beside PostgreSQL (make bench): one gateway's spool of N
envelopes, every scan naming an object of its own (each opens a case), drained once into a
case-server on a SQLite file and once into a case-server on PostgreSQL (one instance, a
throwaway cluster made as scripts/pg-cluster.sh makes one: fsync on, synchronous_commit on),
in the same run and from the same spool (copied before the first drain).

With --terminals T the N envelopes are T terminals' spools of N/T each (devices drain-1…T,
each its own gatewayd), drained at once as a fleet's are after an outage: one gatewayd keeps
at most two batches in flight, so a single terminal measures its own round trip as much as the
store.

For each store: envelopes/s (gatewayd started → spool empty), the case-server's CPU seconds per
1,000 envelopes (/proc/PID/stat), and with PostgreSQL the cluster's CPU as well (the postmaster
and its children, with what exited children left in its cutime/cstime). Then the ratio
PostgreSQL / SQLite; the target is ≥ 0.8. Nothing is asserted.

With --rounds R the stores take turns R times (a fresh database each time) and each store's
figures are those of its median round, every round kept under "rounds": on a shared machine
one drain of either can land in someone else's busy minute.

--layout says where the processes run. "shared" (the default): gatewayd, case-server and
PostgreSQL on every core, as on a machine that holds all three. "split": gatewayd and
case-server on the first core only and PostgreSQL on the others (this script's own polling
too), as with the database on a host of its own: both stores' drains then get the same CPU for
the instance, and the ratio says what PostgreSQL costs the instance rather than the machine.
"shared,split" runs both, the rounds of one after the other's; the shared layout's figures stay
at the top of the JSON and the split one's go under "split".

Usage: bench/store_drain.py --bin DIR [--scans N] [--terminals T] [--db sqlite,postgres] [--rounds R]
                            [--postgres URL] [--layout shared|split|shared,split] [--keep] [--out FILE]
"""
import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")


def args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="directory with gatewayd and case-server")
    ap.add_argument("--scans", type=int, default=100_000)
    ap.add_argument("--terminals", type=int, default=1, help="how many gatewayd share the N envelopes")
    ap.add_argument("--db", default="sqlite,postgres", help="which stores, in order: sqlite, postgres")
    ap.add_argument("--rounds", type=int, default=1,
                    help="drain into each store this many times, alternating (the figure is the median)")
    ap.add_argument("--postgres", help="an existing cluster's URL (…/postgres?host=DIR) instead of a throwaway one; "
                                       "its CPU is counted when DIR holds its data directory")
    ap.add_argument("--layout", default="shared",
                    help="shared: every process on every core; split: gatewayd and case-server on core 0, "
                         "PostgreSQL on the others; or both, comma-separated")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, spool, SQLite files)")
    ap.add_argument("--out")
    return ap.parse_args()


A = args()
os.environ["GATEWAYD_BIN_DIR"] = str(Path(A.bin).resolve())
sys.path.insert(0, str(ROOT / "tests" / "system"))
import harness  # noqa: E402  (reads GATEWAYD_BIN_DIR)
from harness import CASE_SERVER, Site, add_terminal, start_terminal, wait_for, write_lines  # noqa: E402
from pg_fixtures import database_url, psql  # noqa: E402


def stat_fields(pid):
    return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()


def cpu_seconds(pid):
    """utime + stime of a process (all its threads)."""
    f = stat_fields(pid)
    return (int(f[11]) + int(f[12])) / TICK


def cluster_cpu(pgdir):
    """CPU seconds of one PostgreSQL cluster: its postmaster, every live child (backends, WAL
    writer, checkpointer…), and the children that have exited (the postmaster's cutime and
    cstime). Only this cluster's processes: other clusters may run on the machine."""
    post = int(open(Path(pgdir) / "data" / "postmaster.pid").readline())
    f = stat_fields(post)
    total = (int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])) / TICK
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == post:
            continue
        try:
            g = stat_fields(p)
            if int(g[1]) == post:
                total += (int(g[11]) + int(g[12])) / TICK
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return total


def machine():
    """(busy, steal, total, per CPU) jiffies: busy is what every process on the machine ran
    (ours and others', interrupts included), steal what the hypervisor gave to other guests;
    per CPU, (busy, total) of each."""
    lines = open("/proc/stat").read().split("\n")
    f = [int(x) for x in lines[0].split()[1:]]
    cpus = []
    for line in lines[1:]:
        if line.startswith("cpu"):
            g = [int(x) for x in line.split()[1:]]
            cpus.append((sum(g[:3]) + sum(g[5:7]), sum(g[:8])))
    return sum(f[:3]) + sum(f[5:7]), f[7], sum(f[:8]), cpus


ALL_CPUS = set(range(os.cpu_count()))
INSTANCE_CPUS = {0}
DATABASE_CPUS = ALL_CPUS - INSTANCE_CPUS


def pin_cluster(pgdir, cpus):
    """Moves a cluster's processes (single-threaded each) to `cpus`; the backends it forks later
    inherit the postmaster's set."""
    post = int(open(Path(pgdir) / "data" / "postmaster.pid").readline())
    os.sched_setaffinity(post, cpus)
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if int(stat_fields(p)[1]) == post:
                    os.sched_setaffinity(int(p), cpus)
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass


def wal_stats(cluster):
    """The cluster's WAL counters (pg_stat_wal) and its committed transactions, all databases."""
    row = psql(cluster, "SELECT wal_records, wal_fpi, wal_bytes, wal_write, wal_sync, "
                        "(SELECT sum(xact_commit) FROM pg_stat_database) FROM pg_stat_wal").strip().split("|")
    return dict(zip(("wal_records", "wal_fpi", "wal_bytes", "wal_write", "wal_sync", "xact_commit"), map(int, row)))


class Terminal:
    """One gatewayd of the drain: device drain-K with a key of its own (registered in the site's
    devices directory), its FIFO, spool and config, in site/gwK."""

    def __init__(self, site, k):
        self.root = site.root / f"gw{k}"
        self.site = site
        add_terminal(site, self.root, f"drain-{k}", backoff_cap_ms=200)
        self.fifo = self.root / "scan.fifo"
        self.kept = self.root / "kept"
        self.proc = None

    def start(self):
        self.proc = start_terminal(self.root)
        return self.proc

    def fill(self, labels):
        """Spools `labels` with no server up, then keeps the spool aside."""
        self.start()
        fd = os.open(self.fifo, os.O_RDWR)
        try:
            write_lines(fd, labels)
            wait_for(lambda: (self.spool_value("SELECT value FROM meta WHERE key='last_seq'") or 0) >= len(labels),
                     900, "the spool to take every scan", interval=0.05)
        finally:
            os.close(fd)
        stop(self.proc)
        self.kept.mkdir()
        for f in spool_files(self.root):
            shutil.copy2(f, self.kept / f.name)
        return self.spool_value("SELECT count(*) FROM envelope")

    def restore(self):
        for f in spool_files(self.root):
            f.unlink()
        for f in self.kept.iterdir():
            shutil.copy2(f, self.root / f.name)

    def spool_value(self, sql):
        """None while the spool cannot be read: an unreadable spool is not an empty one."""
        return self.site.spool_value(sql, default=None, path=self.root / "spool.db")

    def close(self):
        if self.proc is not None:
            stop(self.proc)


def start_server(site, db, name):
    ready = site.root / f"server-{name}.ready"
    ready.unlink(missing_ok=True)
    log = open(site.root / f"server-{name}.log", "ab")
    p = subprocess.Popen(
        [CASE_SERVER, "serve", "--port", str(site.server_port),
         "--cert", str(site.root / "pki" / "server.pem"), "--tls-key", str(site.root / "pki" / "server.key"),
         "--private-key", str(site.root / "server.key"), "--devices", str(site.root / "devices"),
         "--db", db, "--ready-file", str(ready)],
        stdout=log, stderr=log)
    site.procs.append(p)
    wait_for(lambda: ready.exists() or p.poll() is not None, 60, "case-server to listen")
    if p.poll() is not None:
        sys.exit(f"store_drain: case-server ({name}) did not start:\n{(site.root / f'server-{name}.log').read_text()[-2000:]}")
    return p


def stop(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def spool_files(directory):
    return [directory / n for n in ("spool.db", "spool.db-wal", "spool.db-shm") if (directory / n).exists()]


def stored(name, db):
    if name == "sqlite":
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("event", "risk_case")]
        finally:
            con.close()
    return [int(psql(db, f"SELECT count(*) FROM {t}")) for t in ("event", "risk_case")]


results = {"machine": {"cpus": os.cpu_count(), "model": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
                       "kernel": platform.release()},
           "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "binaries": str(Path(A.bin).resolve())}
work = Path(tempfile.mkdtemp(prefix="gatewayd-store-"))
print(f"store_drain: {results['machine']['cpus']} CPUs; work dir {work}", flush=True)
(work / "site").mkdir()
site = Site(work / "site")
pgdir = None
terminals = []
try:
    # --- T spools of N/T envelopes, filled while no server runs, then kept aside -----------
    # Every label names an object of its own (each opens a case), across terminals too.
    terminals = [Terminal(site, k) for k in range(1, A.terminals + 1)]
    depth = 0
    for k, t in enumerate(terminals):
        share = range(k * A.scans // A.terminals, (k + 1) * A.scans // A.terminals)
        depth += t.fill([f"ACME-{i:06d}" for i in share])
    print(f"spools: {depth} envelopes in {len(terminals)}, kept aside", flush=True)

    if "postgres" in A.db and A.postgres:
        cluster = A.postgres
        host = dict(kv.split("=", 1) for kv in cluster.partition("?")[2].split("&") if "=" in kv).get("host", "")
        cpu_dir = host if (Path(host) / "data" / "postmaster.pid").exists() else None
    elif "postgres" in A.db:
        pgdir = Path(tempfile.mkdtemp(prefix="gatewayd-pg."))
        cpu_dir = pgdir
        cluster = subprocess.run([str(ROOT / "scripts" / "pg-cluster.sh"), "start", str(pgdir)], check=True,
                                 capture_output=True, text=True).stdout.strip()
    if "postgres" in A.db:
        results["postgres_settings"] = {k: psql(cluster, f"SHOW {k}").strip() for k in
                                        ("server_version", "fsync", "synchronous_commit", "wal_sync_method",
                                         "shared_buffers", "commit_delay", "max_connections")}

    layouts = A.layout.split(",")
    if "split" in layouts and not DATABASE_CPUS:
        sys.exit("store_drain: --layout split needs two CPUs or more")
    if "split" in layouts and "postgres" in A.db and not cpu_dir:
        sys.exit("store_drain: --layout split needs the cluster's data directory (a throwaway cluster, "
                 "or --postgres with host= its directory) to pin its processes")
    rounds = {}
    plan = [(layout, name) for layout in layouts for name in A.db.split(",") * A.rounds]
    for k, (layout, name) in enumerate(plan):
        split = layout == "split"
        if "postgres" in A.db and cpu_dir:
            pin_cluster(cpu_dir, DATABASE_CPUS if split else ALL_CPUS)
        for t in terminals:
            t.restore()
        if name == "sqlite":
            db = str(work / "cases.db")
        else:
            dbname = f"drain_{os.getpid()}_{k}"
            psql(cluster, f"CREATE DATABASE {dbname}")
            db = database_url(cluster, dbname)
        os.sync()
        time.sleep(1)
        load0 = open("/proc/loadavg").read().split()[:3]
        wal0 = wal_stats(cluster) if name == "postgres" else None
        # The servers inherit this process's CPUs; it polls from the database's side afterwards.
        os.sched_setaffinity(0, INSTANCE_CPUS if split else ALL_CPUS)
        server = start_server(site, db, name)
        m0 = machine()
        cpu_s0 = cpu_seconds(server.pid)
        cpu_pg0 = cluster_cpu(cpu_dir) if name == "postgres" and cpu_dir else None
        t0 = time.monotonic()
        gws = [t.start() for t in terminals]
        os.sched_setaffinity(0, DATABASE_CPUS if split else ALL_CPUS)
        me0 = time.process_time()
        # Whether any row is left, not how many: a count(*) over 100,000 rows every 10 ms
        # would itself take a good part of a core from the processes measured.
        wait_for(lambda: all(t.spool_value("SELECT EXISTS (SELECT 1 FROM envelope)") == 0 for t in terminals), 1800,
                 "the spools to drain", interval=0.01)
        me = time.process_time() - me0
        t1 = time.monotonic()
        m1 = machine()
        cpu_s1 = cpu_seconds(server.pid)
        cpu_gw = sum(cpu_seconds(gw.pid) for gw in gws)
        cpu_pg1 = cluster_cpu(cpu_dir) if cpu_pg0 is not None else None
        events, cases = stored(name, db)
        for gw in gws:
            stop(gw)
        stop(server)
        site.procs.clear()
        # Read after the server is gone: its backends report their statistics when they exit.
        wal1 = wal_stats(cluster) if name == "postgres" else None
        r = {"layout": layout, "terminals": len(terminals), "envelopes": depth, "loadavg_before": load0, "cpu_steal_percent": round(100 * (m1[1] - m0[1]) / max(1, m1[2] - m0[2]), 1),
             # How busy each core was (with --layout split: the instance's, then the database's).
             "cpu_busy_percent": [round(100 * (b1 - b0) / max(1, t1_ - t0_))
                                  for (b0, t0_), (b1, t1_) in zip(m0[3], m1[3])],
             "seconds": round(t1 - t0, 3), "per_second": round(depth / (t1 - t0)),
             "events_stored": events, "cases_opened": cases,
             "server_cpu_seconds": round(cpu_s1 - cpu_s0, 2),
             "server_cpu_s_per_1000": round((cpu_s1 - cpu_s0) * 1000 / depth, 3),
             "gatewayd_cpu_seconds": round(cpu_gw, 2)}
        if cpu_pg0 is not None:
            r["postgres_cpu_seconds"] = round(cpu_pg1 - cpu_pg0, 2)
            r["postgres_cpu_s_per_1000"] = round((cpu_pg1 - cpu_pg0) * 1000 / depth, 3)
        if name == "postgres":
            # How each table was read: a sequential scan of a growing table per batch would make
            # the drain slow down as the case book grows.
            r["tables"] = {t: dict(zip(("seq_scan", "seq_tup_read", "idx_scan", "n_tup_ins"), map(int, rest)))
                           for t, *rest in (line.split("|") for line in psql(db, (
                               "SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), n_tup_ins "
                               "FROM pg_stat_user_tables ORDER BY relname")).split())}
            if not A.keep:
                # Gone before the next round: the autovacuum of a finished round's 100,000-row
                # tables would otherwise run during the next one, on the database's cores.
                psql(cluster, f"DROP DATABASE {dbname} WITH (FORCE)")
        if wal0 is not None:
            d = {k: wal1[k] - wal0[k] for k in wal0}
            r["wal"] = {"bytes_per_envelope": round(d["wal_bytes"] / depth), "records_per_envelope": round(d["wal_records"] / depth, 1),
                        "full_page_images": d["wal_fpi"], "commits": d["xact_commit"], "wal_writes": d["wal_write"],
                        "wal_syncs": d["wal_sync"], "mib_per_second": round(d["wal_bytes"] / 2**20 / (t1 - t0), 1)}
        # What else ran meanwhile (other users of a shared machine; gatewayd's CPU is counted
        # from its start, which is this interval).
        r["bench_cpu_seconds"] = round(me, 2)
        ours = r["server_cpu_seconds"] + cpu_gw + r.get("postgres_cpu_seconds", 0) + me
        r["machine_busy_cpu_seconds"] = round((m1[0] - m0[0]) / TICK, 2)
        r["others_cpu_seconds"] = round(max(0.0, (m1[0] - m0[0]) / TICK - ours), 2)
        rounds.setdefault((layout, name), []).append(r)
        extra = f", PostgreSQL {r['postgres_cpu_s_per_1000']} CPU-s" if "postgres_cpu_s_per_1000" in r else ""
        if "wal" in r:
            w = r["wal"]
            extra += (f"; WAL {w['bytes_per_envelope']} B/envelope ({w['mib_per_second']} MiB/s), {w['commits']} commits, "
                      f"{w['wal_syncs']} WAL syncs")
        print(f"{layout} {name}: {depth} envelopes in {t1 - t0:.2f} s = {depth / (t1 - t0):,.0f}/s; stored {events} events, "
              f"{cases} cases; per 1,000: case-server {r['server_cpu_s_per_1000']} CPU-s{extra}; "
              f"gatewayd {cpu_gw:.1f} CPU-s in all; others on the machine {r['others_cpu_seconds']} CPU-s, "
              f"steal {r['cpu_steal_percent']} %; cores busy {r['cpu_busy_percent']} %", flush=True)
    for (layout, name), runs in rounds.items():
        median = sorted(runs, key=lambda r: r["per_second"])[len(runs) // 2]
        into = results if layout == "shared" else results.setdefault(layout, {})
        into[name] = dict(median, rounds=runs) if len(runs) > 1 else median
finally:
    for t in terminals:
        t.close()
    site.close()
    if pgdir:
        subprocess.run([str(ROOT / "scripts" / "pg-cluster.sh"), "stop", str(pgdir)], check=False)
    if not A.keep:
        shutil.rmtree(work, ignore_errors=True)

for layout, into in (("shared", results), ("split", results.get("split", {}))):
    if "sqlite" in into and "postgres" in into:
        ratio = into["postgres"]["per_second"] / into["sqlite"]["per_second"]
        into["postgres_over_sqlite"] = round(ratio, 3)
        into["target_ratio"] = 0.8
        print(f"{layout}: PostgreSQL / SQLite drain: {ratio:.2f} (target ≥ 0.8)", flush=True)
doc = json.dumps(results, sort_keys=True)
if A.out:
    Path(A.out).write_text(json.dumps(results, sort_keys=True, indent=2) + "\n")
print(doc)
