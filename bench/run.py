#!/usr/bin/env python3
"""gatewayd benchmarks (make bench): release binaries, real processes, real TLS on loopback.

Prints a table, then the same figures as one JSON document (last line; also written to
--out). Nothing here is a test: no figure is asserted, the targets are printed beside them.

  capture   scans written into the FIFO line reader at full rate, server down:
            scans committed to the spool per second
  drain     the spool holding N envelopes, case-server started on loopback: envelopes
            accepted per second (gatewayd's forwarder and case-server's open+verify+store)
  latency   100 scans/s for 60 s: last byte written into the FIFO → row committed at
            case-server (its --commit-log), both CLOCK_MONOTONIC: p50, p99, max
  footprint RSS at READY and 5 s later / after N scans / after draining and 45 s later; CPU seconds and context
            switches (wake-ups) over 60 s idle; start → READY=1 on $NOTIFY_SOCKET
  stages    gatewayd-bench: decode, classify, redact, JSON, seal, open, zbar per frame

With --with-libraries the capture/drain/footprint terminal also has an NFC reader (pcscd with
vpcd), a device key in swtpm and gpsd (gpsfake): what those libraries cost when they are used;
without it, none of them may be mapped (each run lists what was).

Usage: bench/run.py --bin DIR [--scans N] [--idle S] [--latency-s S] [--out FILE] [--only A,B]
                    [--with-libraries]
"""
import argparse
import atexit
import json
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="directory with release gatewayd, case-server, gatewayd-bench")
    ap.add_argument("--scans", type=int, default=100_000)
    ap.add_argument("--idle", type=float, default=60)
    ap.add_argument("--latency-s", type=float, default=60)
    ap.add_argument("--rate", type=float, default=100)
    ap.add_argument("--out")
    ap.add_argument("--latency-dump", help="write each scan's send time (s from start), latency (ms), and its send and "
                                            "commit instants (CLOCK_MONOTONIC ns) here")
    ap.add_argument("--only", default="capture,drain,latency,footprint,stages")
    ap.add_argument("--with-libraries", action="store_true",
                    help="capture, drain and footprint on a terminal that uses this round's libraries: an NFC "
                         "reader through pcscd (vpcd), its device key in a TPM (swtpm, OpenSSL's tpm2 provider) "
                         "and gpsd (gpsfake); the JSON says which libraries were mapped")
    ap.add_argument("--resident", help="write bench/resident.py's report (resident pages by section, library, kind) "
                                       "at each footprint instant into this directory (needs root)")
    return ap.parse_args()


A = args()
os.environ["GATEWAYD_BIN_DIR"] = str(Path(A.bin).resolve())
sys.path.insert(0, str(ROOT / "tests" / "system"))
sys.path.insert(0, str(ROOT / "bench"))
import harness  # noqa: E402  (reads GATEWAYD_BIN_DIR)
import resident  # noqa: E402
from harness import Site, wait_for, write_lines  # noqa: E402



def configure(site):
    """The harness's config (TLS on loopback, the FIFO reader, heartbeats off) with a short
    backoff cap, so the drain starts within 0.2 s of the server coming up. With
    --with-libraries: also an NFC reader on a pcscd of its own, the device key in swtpm and
    gpsd; returns the environment gatewayd then needs, and the server's extra arguments."""
    env, server_extra = {}, []
    if A.with_libraries:
        import datetime
        from nfc_fixtures import Pcscd
        from test_gps import GPSFake, nmea_log
        from tpm_fixtures import Swtpm, tpm_site
        pcscd = Pcscd()
        pcscd.start()
        site.cleanups.append(pcscd.stop)
        tpm = Swtpm().start()
        site.cleanups.append(tpm.stop)
        fake = GPSFake(site, nmea_log(site.root / "3d.nmea", 3, datetime.datetime.now(datetime.timezone.utc), n=3600),
                       cycle=0.2).start()
        tpm_site(site, tpm, readers=[{"id": "fifo0", "kind": "line", "path": str(site.fifo)},
                                     {"id": "tap0", "kind": "nfc", "reader": Pcscd.reader}],
                 extra=f'[gps]\ngpsd = "127.0.0.1:{fake.port}"\n', backoff_cap_ms=200)
        env, server_extra = {**pcscd.env, **tpm.env}, ["--private-key", str(site.root / "server-p256.key")]
    else:
        site.write_config(backoff_cap_ms=200)
    return env, server_extra


WATCHED_LIBRARIES = ("libpcsclite", "libusb-1.0", "libgps", "libcrypto", "libzbar", "libtss2")


def mapped_libraries(pid):
    """Which of the optional libraries the process has mapped (/proc/PID/maps)."""
    names = set()
    for line in open(f"/proc/{pid}/maps"):
        fields = line.split()
        base = os.path.basename(fields[5]) if len(fields) >= 6 else ""
        if base.startswith(WATCHED_LIBRARIES):
            names.add(base)
    return sorted(names)


def rss_parts(pid):
    """Resident MiB by what backs it: the executable's own file, shared libraries, and
    anonymous memory (heap, stacks, SQLite caches) — where a footprint goes, not only how big."""
    parts = {"executable": 0, "libraries": 0, "anonymous": 0}
    exe = os.path.realpath(f"/proc/{pid}/exe")
    name = None
    for line in open(f"/proc/{pid}/smaps"):
        head = line.split()
        if not head:
            continue
        if "-" in head[0] and not head[0].endswith(":"):
            name = head[5] if len(head) > 5 else ""
        elif head[0] == "Rss:":
            parts[resident.backing(name, exe)] += int(head[1])
    return {k: round(v / 1024, 1) for k, v in parts.items()}


def snapshot(parts, when, pid):
    """RSS split at one footprint instant, and with --resident the full page report."""
    parts[when] = rss_parts(pid)
    if A.resident:
        Path(A.resident).mkdir(parents=True, exist_ok=True)
        with open(Path(A.resident) / f"{when}.txt", "w") as out:
            resident.report(pid, top=20, out=out)


def steal_ticks():
    """(steal, total) jiffies of all CPUs from /proc/stat: the time the hypervisor ran something
    else while this machine had work. On a shared VM it is what moves a latency tail most, so
    each timed run reports its share."""
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return f[7], sum(f[:8])


def steal_share(before):
    s, t = steal_ticks()
    return round(100 * (s - before[0]) / max(1, t - before[1]), 1)


def proc_stats(pid):
    """RSS (KiB), CPU seconds, context switches summed over the process's threads."""
    rss = 0
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    cpu = (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    switches = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            for line in open(f"/proc/{pid}/task/{t}/status"):
                if "ctxt_switches" in line:
                    switches += int(line.split()[1])
        except FileNotFoundError:
            pass
    threads = len(os.listdir(f"/proc/{pid}/task"))
    return rss, cpu, switches, threads


def spool_count(site, what="depth"):
    try:
        con = sqlite3.connect(f"file:{site.root / 'spool.db'}?mode=ro", uri=True, timeout=5)
        try:
            if what == "last_seq":
                return con.execute("SELECT value FROM meta WHERE key='last_seq'").fetchone()[0]
            return con.execute("SELECT count(*) FROM envelope").fetchone()[0]
        finally:
            con.close()
    except (sqlite3.Error, TypeError):
        return 0


OPEN_SITES = []


def open_site(root):
    """A harness site closed at exit, also when a step fails (its daemons never outlive the run)."""
    site = Site(root)
    OPEN_SITES.append(site)
    return site


def close_site(site):
    OPEN_SITES.remove(site)
    site.close()


@atexit.register
def close_sites():
    for site in OPEN_SITES:
        try:
            site.close()
        except Exception as e:  # noqa: BLE001 — closing the others matters more
            print(f"bench: closing {site.root}: {e}", file=sys.stderr)
    OPEN_SITES.clear()


def start_ready(site, notify, env=None):
    """Starts gatewayd with $NOTIFY_SOCKET and returns (process, seconds to READY=1)."""
    notify.settimeout(0.5)
    t0 = time.monotonic()
    gw = site.start_gateway(env_extra={**(env or {}), "NOTIFY_SOCKET": notify.getsockname()})
    while True:
        try:
            if notify.recv(4096).decode().startswith("READY=1"):
                return gw, time.monotonic() - t0
        except socket.timeout:
            if gw.poll() is not None or time.monotonic() - t0 > 30:
                sys.exit(f"bench: gatewayd did not get ready:\n{site.log()[-2000:]}")


def notify_socket(site):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(site.root / "notify.sock"))
    return s


def stop(site):
    for p in site.procs:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    site.procs.clear()


results = {"machine": {"cpus": os.cpu_count(), "model": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
                       "kernel": platform.release(), "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)},
           "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
only = set(A.only.split(","))
work = Path(tempfile.mkdtemp(prefix="gatewayd-bench-"))
print(f"bench: {results['machine']['model']}, {results['machine']['cpus']} CPUs; work dir {work}", flush=True)

# --- capture, drain, footprint under load ---------------------------------------------------
if only & {"capture", "drain", "footprint"}:
    (work / "capture").mkdir()
    site = open_site(work / "capture")
    gw_env, server_extra = configure(site)
    notify = notify_socket(site)
    gw, first_ready = start_ready(site, notify, gw_env)
    if A.with_libraries:
        wait_for(lambda: "reader connected" in site.log() and "gpsd connected" in site.log(), 30,
                 "the PC/SC reader and gpsd")
    rss_ready = proc_stats(gw.pid)[0]
    results["libraries"] = {"with_libraries": A.with_libraries, "mapped_at_ready": mapped_libraries(gw.pid)}
    mapped = ", ".join(results["libraries"]["mapped_at_ready"]) or "none of " + ", ".join(WATCHED_LIBRARIES)
    print(f"libraries mapped at READY: {mapped}", flush=True)
    parts = {}
    snapshot(parts, "at_ready", gw.pid)
    # The footprint service releases the start-up pages 3 s after start (MemoryFootprint).
    time.sleep(5)
    rss_start = proc_stats(gw.pid)[0]
    snapshot(parts, "after_start", gw.pid)
    labels = [f"ACME-{i:06d}" for i in range(A.scans)]
    fd = site.open_fifo()
    cpu0 = proc_stats(gw.pid)[1]
    t0 = time.monotonic()
    write_lines(fd, labels)
    wait_for(lambda: spool_count(site, "last_seq") >= A.scans, 600, "the spool to take every scan", interval=0.005)
    t1 = time.monotonic()
    rss_loaded, cpu1, _, _ = proc_stats(gw.pid)
    snapshot(parts, "after_scans", gw.pid)
    results["capture"] = {"scans": A.scans, "seconds": round(t1 - t0, 3), "per_second": round(A.scans / (t1 - t0)),
                          "cpu_seconds": round(cpu1 - cpu0, 2),
                          "cpu_us_per_scan": round((cpu1 - cpu0) * 1e6 / A.scans, 1),
                          "cores_used": round((cpu1 - cpu0) / (t1 - t0), 2), "target_per_second": 40000}
    print(f"capture: {A.scans} scans in {t1 - t0:.2f} s = {A.scans / (t1 - t0):,.0f}/s (gatewayd CPU {cpu1 - cpu0:.2f} s: "
          f"{(cpu1 - cpu0) * 1e6 / A.scans:.1f} µs a scan, {(cpu1 - cpu0) / (t1 - t0):.2f} cores)", flush=True)
    results["libraries"]["mapped_after_scans"] = mapped_libraries(gw.pid)
    if "drain" in only or "footprint" in only:
        depth = spool_count(site)
        site.start_server(extra=server_extra)
        t0 = time.monotonic()
        wait_for(lambda: spool_count(site) == 0, 900, "the spool to drain", interval=0.01)
        t1 = time.monotonic()
        con = sqlite3.connect(f"file:{site.root / 'cases.db'}?mode=ro", uri=True, timeout=5)
        stored = con.execute("SELECT count(*) FROM event").fetchone()[0]
        con.close()
        time.sleep(1)
        rss_drained = proc_stats(gw.pid)[0]
        snapshot(parts, "after_drain", gw.pid)
        # ...and trims the heap and releases code pages once a busy period is over (10 s quiet,
        # checked every 30 s).
        time.sleep(45)
        rss_drained_settled = proc_stats(gw.pid)[0]
        snapshot(parts, "after_drain_settled", gw.pid)
        for when, p in parts.items():
            print(f"RSS {when}: " + ", ".join(f"{k} {v} MiB" for k, v in p.items()), flush=True)
        results["drain"] = {"envelopes": depth, "stored_at_server": stored, "seconds": round(t1 - t0, 3),
                            "per_second": round(depth / (t1 - t0)), "target_per_second": 10000}
        print(f"drain: {depth} envelopes in {t1 - t0:.2f} s = {depth / (t1 - t0):,.0f}/s; server stored {stored}", flush=True)
        results["footprint"] = {"rss_mib_at_ready": round(rss_ready / 1024, 1), "rss_mib_after_start": round(rss_start / 1024, 1),
                                "rss_mib_after_scans": round(rss_loaded / 1024, 1), "rss_mib_after_drain": round(rss_drained / 1024, 1),
                                "rss_mib_after_drain_settled": round(rss_drained_settled / 1024, 1),
                                "rss_mib_parts": parts,
                                "first_start_to_ready_ms": round(first_ready * 1000, 1),
                                "target_rss_mib": 24, "target_ready_ms": 150}
    stop(site)
    # Start → READY with an existing spool, five times.
    readies = []
    for _ in range(5):
        gw, r = start_ready(site, notify, gw_env)
        readies.append(r)
        stop(site)
    results.setdefault("footprint", {})["start_to_ready_ms_median_of_5"] = round(statistics.median(readies) * 1000, 1)
    print(f"start → READY: first {first_ready * 1000:.0f} ms, then median {statistics.median(readies) * 1000:.0f} ms", flush=True)
    close_site(site)

# --- idle and latency ----------------------------------------------------------------------
if only & {"latency", "footprint"}:
    # The capture and drain runs leave ~100 MB of dirty pages; their writeback would stall the
    # fsyncs measured here (seen: p99 287 ms once). Flush them first.
    os.sync()
    time.sleep(2)
    (work / "latency").mkdir()
    site = open_site(work / "latency")
    gw_env, server_extra = configure(site)
    commit_log = site.root / "commits.log"
    site.start_server(extra=[*server_extra, "--commit-log", str(commit_log)])
    notify = notify_socket(site)
    gw, _ = start_ready(site, notify, gw_env)
    time.sleep(3)
    rss0, cpu0, sw0, threads = proc_stats(gw.pid)
    time.sleep(A.idle)
    rss1, cpu1, sw1, _ = proc_stats(gw.pid)
    f = results.setdefault("footprint", {})
    f.update({"idle_seconds": A.idle, "idle_cpu_seconds": round(cpu1 - cpu0, 3), "idle_context_switches": sw1 - sw0,
              "idle_wakeups_per_second": round((sw1 - sw0) / A.idle, 2), "threads": threads, "rss_mib_idle": round(rss1 / 1024, 1)})
    print(f"idle {A.idle:.0f} s: CPU {cpu1 - cpu0:.3f} s, {sw1 - sw0} context switches ({(sw1 - sw0) / A.idle:.1f}/s), {threads} threads, RSS {rss1 / 1024:.1f} MiB", flush=True)
    if "latency" in only:
        n = int(A.rate * A.latency_s)
        fd = site.open_fifo()
        sent = []
        steal0 = steal_ticks()
        _, cpu_gw0, sw_gw0, _ = proc_stats(gw.pid)
        period = 1 / A.rate
        start = time.monotonic()
        for i in range(n):
            target = start + i * period
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            os.write(fd, f"LAT-{i:06d}\n".encode())
            sent.append(time.monotonic_ns())
        wait_for(lambda: commit_log.exists() and sum(1 for _ in open(commit_log)) >= n, 120, "every scan at the server")
        committed = {}
        for line in open(commit_log):
            _, seq, mono = line.split()
            committed[int(seq)] = int(mono)
        if A.latency_dump:
            # Columns: seconds since the first scan, latency in ms, then the two CLOCK_MONOTONIC
            # instants in ns, to line a scan up with a trace on that clock (bench/trace.py, or
            # `perf record -k mono`).
            Path(A.latency_dump).write_text("".join(f"{(sent[i] - sent[0]) / 1e9:.3f} {(committed[i + 1] - sent[i]) / 1e6:.3f} "
                                                    f"{sent[i]} {committed[i + 1]}\n" for i in range(n)))
        lat = sorted((committed[i + 1] - sent[i]) / 1e6 for i in range(n))
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
        steal = steal_share(steal0)
        _, cpu_gw1, sw_gw1, _ = proc_stats(gw.pid)
        cpu_ms = (cpu_gw1 - cpu_gw0) * 1000 / n
        switches = (sw_gw1 - sw_gw0) / n
        results["latency"] = {"scans": n, "rate_per_second": A.rate, "p50_ms": round(p(0.50), 2), "p99_ms": round(p(0.99), 2),
                              "max_ms": round(lat[-1], 2), "target_p99_ms": 5, "cpu_steal_percent": steal,
                              "gatewayd_cpu_ms_per_scan": round(cpu_ms, 2), "gatewayd_context_switches_per_scan": round(switches, 1)}
        print(f"latency: {n} scans at {A.rate:.0f}/s: p50 {p(0.5):.2f} ms, p99 {p(0.99):.2f} ms, max {lat[-1]:.2f} ms; "
              f"gatewayd CPU {cpu_ms:.2f} ms and {switches:.1f} context switches per scan; CPU steal {steal} %", flush=True)
    stop(site)
    close_site(site)

# --- per-stage costs -----------------------------------------------------------------------
if "stages" in only:
    qr = work / "qr.png"
    subprocess.run(["qrencode", "-o", str(qr), "-s", "4", "https://id.gs1.org/01/09506000134352/21/XYZ0001"], check=True)
    out = subprocess.run([str(Path(A.bin) / "gatewayd-bench"), "--qr", str(qr)], check=True, capture_output=True, text=True).stdout
    print(out.rsplit("\n", 2)[0], flush=True)
    results["stages"] = json.loads(out.strip().splitlines()[-1])["stages"]

# --- the table and the JSON ----------------------------------------------------------------
rows = []
if "capture" in results:
    rows.append(("capture → durable (scans/s)", results["capture"]["per_second"], "≥ 40000"))
if "drain" in results:
    rows.append(("drain (envelopes/s)", results["drain"]["per_second"], "≥ 10000"))
if "latency" in results:
    L = results["latency"]
    rows.append(("latency p50 / p99 / max (ms)", f"{L['p50_ms']} / {L['p99_ms']} / {L['max_ms']}", "p99 ≤ 5"))
    rows.append(("  during it: gatewayd CPU (ms) / context switches per scan; CPU steal",
                 f"{L['gatewayd_cpu_ms_per_scan']} / {L.get('gatewayd_context_switches_per_scan', '-')}; {L['cpu_steal_percent']} %", ""))
f = results.get("footprint", {})
if "rss_mib_after_start" in f:
    rows.append(("RSS at READY / +5 s (MiB)", f"{f['rss_mib_at_ready']} / {f['rss_mib_after_start']}", "≤ 24"))
    rows.append(("RSS after scans / drained / +45 s (MiB)", f"{f['rss_mib_after_scans']} / {f['rss_mib_after_drain']} / {f['rss_mib_after_drain_settled']}", "≤ 24"))
if "idle_cpu_seconds" in f:
    rows.append((f"idle {f['idle_seconds']:.0f} s: CPU s / wake-ups per s", f"{f['idle_cpu_seconds']} / {f['idle_wakeups_per_second']}", "≈ 0"))
if "start_to_ready_ms_median_of_5" in f:
    rows.append(("start → READY (ms, median of 5)", f["start_to_ready_ms_median_of_5"], "≤ 150"))
print()
print(f"{'figure':44} {'value':>28}  target")
for name, value, target in rows:
    print(f"{name:44} {str(value):>28}  {target}")
doc = json.dumps(results, sort_keys=True)
if A.out:
    Path(A.out).write_text(json.dumps(results, sort_keys=True, indent=2) + "\n")
print(doc)
