#!/usr/bin/env python3
"""Where one online scan's time goes: a short latency run (bench/run.py's set-up) with the
kernel's scheduler and system-call tracepoints on, recorded into an ftrace instance's ring
buffer (tracefs, clock `mono`: CLOCK_MONOTONIC, as the bench's own timestamps) and read only
after the run, so no recorder competes for the CPUs while the scans are measured; then each
scan cut into stages by the system calls that mark them.

  bench/trace.py --bin .build/release [--seconds 20] [--rate 100] [--slowest 5] [--keep DIR]

Stages of scan i (send = just before the bench's write into the FIFO; commit = case-server's
commit log):
  wake     send → gatewayd's reader calls tee(2) on the FIFO
  spool    tee → the reader's fdatasync/fsync of the spool returns (decode, seal, commit)
  post     that fsync → gatewayd writes the request to the server's socket (ring, forwarder
           wake, spool read, hop to the event loop, TLS)
  receive  that write → case-server reads it from its socket
  store    that read → case-server's fdatasync/fsync returns (handler, open, insert, commit)
  log      that fsync → the commit log's line (the hop back from the database queue)

For each stage it prints p50 / p99 / max over all scans, and for the slowest scans each stage's
time split into: running on a CPU, runnable but waiting for one (woken, not yet switched in:
what a busy or descheduled vCPU costs), and blocked, and what held the CPUs meanwhile.
Nothing asserted; a diagnosis aid. Needs root (tracefs); timestamps have microsecond resolution.
"""
import argparse
import bisect
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ap = argparse.ArgumentParser()
ap.add_argument("--bin", required=True)
ap.add_argument("--seconds", type=float, default=20)
ap.add_argument("--rate", type=float, default=100)
ap.add_argument("--slowest", type=int, default=5)
ap.add_argument("--keep", help="keep the recording (trace.txt, meta.json) in this directory")
ap.add_argument("--again", action="store_true", help="analyse what --keep DIR holds again, without a new run")
A = ap.parse_args()
os.environ["GATEWAYD_BIN_DIR"] = str(Path(A.bin).resolve())
sys.path.insert(0, str(ROOT / "tests" / "system"))
from harness import Site, wait_for  # noqa: E402

SYSCALLS = ["tee", "fsync", "fdatasync", "write", "writev", "sendmsg", "read", "readv", "recvmsg", "recvfrom"]
work = Path(A.keep or tempfile.mkdtemp(prefix="gatewayd-trace-"))
work.mkdir(parents=True, exist_ok=True)


def sockets(pid):
    """The process's socket descriptors (its TLS connections), read while it runs."""
    out = set()
    for f in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{f}").startswith("socket:"):
                out.add(int(f))
        except OSError:
            pass
    return out


class Ftrace:
    """An ftrace instance of our own (/sys/kernel/tracing/instances/NAME): its own ring buffer,
    clock and events, so the machine's other tracing is left alone. Started on creation."""

    def __init__(self, events, name="gatewayd-bench", kib_per_cpu=262144):
        top = Path("/sys/kernel/tracing")
        if not (top / "instances").exists():
            subprocess.run(["mount", "-t", "tracefs", "nodev", str(top)], check=True)
        self.dir = top / "instances" / name
        if self.dir.exists():
            self.dir.rmdir()
        self.dir.mkdir()
        (self.dir / "trace_clock").write_text("mono")
        (self.dir / "buffer_size_kb").write_text(str(kib_per_cpu))
        (self.dir / "options" / "record-tgid").write_text("1")
        for e in events:
            (self.dir / "events" / e / "enable").write_text("1")
        (self.dir / "tracing_on").write_text("1")

    def stop(self, out):
        (self.dir / "tracing_on").write_text("0")
        lost = sum(int(l.split()[1]) for st in (self.dir / "per_cpu").glob("cpu*/stats")
                   for l in st.read_text().splitlines() if l.startswith("overrun:"))
        if lost:
            print(f"trace: the ring buffer overran; {lost} events lost (a shorter --seconds)")
        with open(self.dir / "trace", "rb") as src, open(out, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        self.dir.rmdir()


WARM = 20
if A.again:
    meta = json.loads((work / "meta.json").read_text())
else:
    (work / "site").mkdir(exist_ok=True)
    site = Site(work / "site")
    site.write_config(backoff_cap_ms=200)
    commit_log = site.root / "commits.log"
    site.start_server(extra=["--commit-log", str(commit_log)])
    server = site.procs[-1]
    gw = site.start_gateway()
    wait_for(lambda: "gatewayd ready" in site.log(), 30, "gatewayd to start")
    fd = site.open_fifo()
    # Warm the connection and the code paths before the trace starts.
    for i in range(WARM):
        os.write(fd, f"WARM-{i:04d}\n".encode())
        time.sleep(0.02)
    wait_for(lambda: commit_log.exists() and sum(1 for _ in open(commit_log)) >= WARM, 30, "the warm-up scans")
    time.sleep(1)

    # The whole machine's scheduler events and system calls, into a ring buffer of our own.
    tracer = Ftrace(["sched/sched_switch", "sched/sched_wakeup", "sched/sched_wakeup_new"] +
                    [f"syscalls/sys_{d}_{c}" for c in SYSCALLS for d in ("enter", "exit")])
    try:
        n = int(A.rate * A.seconds)
        period = 1 / A.rate
        sent = []
        start = time.monotonic()
        for i in range(n):
            delay = start + i * period - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            # Taken before the write: the reader can be at work before a write returns.
            sent.append(time.monotonic_ns())
            os.write(fd, f"LAT-{i:06d}\n".encode())
        wait_for(lambda: sum(1 for _ in open(commit_log)) >= WARM + n, 120, "every scan at the server")
        time.sleep(0.2)
    finally:
        # Also when the run fails: the instance's buffers are the machine's memory.
        tracer.stop(work / "trace.txt")
    committed = {}
    for line in open(commit_log):
        _, seq, mono = line.split()
        committed[int(seq)] = int(mono)

    gw_sockets, srv_sockets = sockets(gw.pid), sockets(server.pid)
    site.close()

    meta = {"sent": sent, "committed": committed, "gw_pid": gw.pid, "srv_pid": server.pid, "n": n,
            "gw_sockets": sorted(gw_sockets), "srv_sockets": sorted(srv_sockets)}
    (work / "meta.json").write_text(json.dumps(meta))
sent, n = meta["sent"], meta["n"]
committed = {int(k): v for k, v in meta["committed"].items()}
gw_pid, srv_pid = meta["gw_pid"], meta["srv_pid"]
gw_sockets, srv_sockets = set(meta["gw_sockets"]), set(meta["srv_sockets"])
# --- parse ----------------------------------------------------------------------------------
line_re = re.compile(r"^\s*(.*)-(\d+)\s+\(\s*(\d+|-+)\)\s+\[(\d+)\]\s+\S+\s+(\d+)\.(\d+):\s+(.*)$")
sys_re = re.compile(r"^sys_(\w+)(?:\((.*)\)| -> (\S+))$")
sys_by_thread = collections.defaultdict(list)   # tid -> [(t, "enter"/"exit", name, args)]
wakeups = collections.defaultdict(list)          # tid -> [t]
switch_in = collections.defaultdict(list)        # tid -> [t]
switch_out = collections.defaultdict(list)       # tid -> [(t, prev_state)]
on_cpu = collections.defaultdict(list)           # cpu -> [(t, comm, pid of the task switched in)]
pid_of, comm_of = {}, {}
with open(work / "trace.txt") as f:
    for line in f:
        m = line_re.match(line)
        if not m:
            continue
        comm, tid, pid, cpu, sec, usec, what = m.groups()
        t = int(sec) * 1_000_000_000 + int(usec.ljust(9, "0")[:9])
        tid = int(tid)
        if pid.isdigit():
            pid_of[tid], comm_of[tid] = int(pid), comm.strip()
        if what.startswith("sched_wakeup"):
            w = re.search(r" pid=(\d+)", what)
            if w:
                wakeups[int(w.group(1))].append(t)
            continue
        if what.startswith("sched_switch:"):
            p = re.search(r"prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)", what)
            if p:
                switch_out[int(p.group(1))].append((t, p.group(2)))
                switch_in[int(p.group(4))].append(t)
                on_cpu[int(cpu)].append((t, p.group(3), int(p.group(4))))
            continue
        c = sys_re.match(what.strip())
        if c:
            sys_by_thread[tid].append((t, "enter" if c.group(3) is None else "exit", c.group(1), c.group(2) or ""))


def calls(pid, names, kind="enter", only_fds=None):
    """Times of system calls of this process (any thread), sorted, with their thread; with
    only_fds, only calls on those descriptors."""
    out = []
    for tid, evs in sys_by_thread.items():
        if pid_of.get(tid) != pid:
            continue
        for t, k, nm, rest in evs:
            if k != kind or nm not in names:
                continue
            if only_fds is not None:
                f = re.search(r"fd: (0x[0-9a-f]+|\d+)", rest)
                if not f or int(f.group(1), 0) not in only_fds:
                    continue
            out.append((t, tid))
    return sorted(out)


gw_tee = calls(gw_pid, {"tee"})
gw_sync_exit = calls(gw_pid, {"fsync", "fdatasync"}, kind="exit")
gw_sync_enter = calls(gw_pid, {"fsync", "fdatasync"})
gw_send = calls(gw_pid, {"write", "writev", "sendmsg"}, only_fds=gw_sockets)
srv_recv = calls(srv_pid, {"read", "readv", "recvmsg", "recvfrom"}, only_fds=srv_sockets)
srv_sync_exit = calls(srv_pid, {"fsync", "fdatasync"}, kind="exit")


def first_after(seq, t):
    i = bisect.bisect_left(seq, (t, -1))
    return seq[i] if i < len(seq) else (None, None)


def split(tid, a, b):
    """Nanoseconds of [a, b) that thread tid spent running, runnable (woken or preempted, not
    yet switched in) and blocked."""
    timeline = sorted([(t, "in") for t in switch_in.get(tid, [])] +
                      [(t, "out-" + ("R" if s.startswith("R") else "S")) for t, s in switch_out.get(tid, [])] +
                      [(t, "wake") for t in wakeups.get(tid, [])])

    def step(state, e):
        if e == "in":
            return "running"
        if e == "out-R":
            return "runnable"
        if e == "out-S":
            return "blocked"
        return "runnable" if state == "blocked" else state  # a wake-up of a thread not asleep changes nothing

    # The state at a follows from the events before it.
    state, last = "blocked", a
    acc = collections.Counter()
    for t, e in timeline:
        if t >= b:
            break
        if t > a:
            acc[state] += t - last
            last = t
        state = step(state, e)
    acc[state] += b - last
    return acc


stages = ["wake", "spool", "post", "receive", "store", "log"]
rows = []
missing = collections.Counter()
for i in range(n):
    t0 = sent[i]
    t_commit = committed.get(WARM + i + 1)
    if t_commit is None:
        continue
    tee, reader = first_after(gw_tee, t0)
    sync_in, _ = first_after(gw_sync_enter, tee or t0)
    sync, _ = first_after(gw_sync_exit, sync_in or t0)
    post, poster = first_after(gw_send, sync or t0)
    recv, srv_thread = first_after(srv_recv, post or t0)
    ssync, _ = first_after(srv_sync_exit, recv or t0)
    marks = [t0, tee, sync, post, recv, ssync, t_commit]
    if None in marks or any(b < a for a, b in zip(marks, marks[1:])):
        missing[next((stages[k] for k in range(6) if marks[k + 1] is None or marks[k + 1] < marks[k]), "?")] += 1
        continue
    rows.append({"i": i, "total": t_commit - t0, "marks": marks, "reader": reader, "poster": poster, "srv": srv_thread})

print(f"trace: {n} scans at {A.rate:.0f}/s; {len(rows)} cut into stages" + (f"; stage marks missing or out of order: {dict(missing)}" if missing else ""))
if not rows:
    sys.exit(0)


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]


tot = [r["total"] / 1e6 for r in rows]
print(f"{'stage':10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}   share of the slowest 1 %")
slow = sorted(rows, key=lambda r: r["total"], reverse=True)[:max(1, len(rows) // 100)]
for k, name in enumerate(stages):
    d = [(r["marks"][k + 1] - r["marks"][k]) / 1e6 for r in rows]
    share = sum(r["marks"][k + 1] - r["marks"][k] for r in slow) / sum(r["total"] for r in slow)
    print(f"{name:10} {pct(d, .5):8.3f} {pct(d, .99):8.3f} {max(d):8.3f}   {share * 100:5.1f} %")
print(f"{'total':10} {pct(tot, .5):8.3f} {pct(tot, .99):8.3f} {max(tot):8.3f}")

# Which thread does what: the one that made a stage's closing mark is the one traced over it.
print(f"\nthe {A.slowest} slowest scans: per stage ms (running / runnable / blocked of the thread that ends it)")
for r in slow[:A.slowest]:
    m = r["marks"]
    parts = []
    owner = [r["reader"], r["reader"], r["poster"], r["srv"], None, None]
    for k, name in enumerate(stages):
        d = (m[k + 1] - m[k]) / 1e6
        tid = owner[k]
        if tid:
            s = split(tid, m[k], m[k + 1])
            parts.append(f"{name} {d:.2f} ({s['running'] / 1e6:.2f}/{s['runnable'] / 1e6:.2f}/{s['blocked'] / 1e6:.2f} {comm_of.get(tid, '?')})")
        else:
            parts.append(f"{name} {d:.2f}")
    print(f"  scan {r['i']}: {r['total'] / 1e6:.2f} ms: " + "; ".join(parts))


def holders(a, b):
    """What ran on the CPUs during [a, b): ns per task name (all CPUs added up)."""
    acc = collections.Counter()
    for cpu, sw in on_cpu.items():
        j = max(0, bisect.bisect_right(sw, (a, "", -1)) - 1)
        for k in range(j, len(sw)):
            t, comm, pid = sw[k]
            end = sw[k + 1][0] if k + 1 < len(sw) else b
            lo, hi = max(a, t), min(b, end)
            if hi > lo:
                acc["idle" if pid == 0 else f"{comm}({pid_of.get(pid, pid)})"] += hi - lo
            if end >= b:
                break
    return acc


ran = collections.Counter()
for r in slow:
    ran.update(holders(r["marks"][0], r["marks"][-1]))
whole = sum(ran.values())
print(f"\nwhat held the CPUs during the slowest 1 % (both CPUs, share of their time): " +
      ", ".join(f"{k} {v * 100 / whole:.0f} %" for k, v in ran.most_common(6)) +
      f" (gatewayd is {gw_pid}, case-server {srv_pid})")

# Runnable delay over all woken threads of the two daemons: how long a wake-up waited for a CPU.
delays = []
for tid, ws in wakeups.items():
    if pid_of.get(tid) not in (gw_pid, srv_pid):
        continue
    ins = switch_in.get(tid, [])
    for w in ws:
        j = bisect.bisect_left(ins, w)
        if j < len(ins) and ins[j] - w < 50_000_000:
            delays.append((ins[j] - w) / 1e6)
if delays:
    print(f"\nwake-up → on a CPU, the daemons' threads: {len(delays)} wake-ups, p50 {pct(delays, .5):.3f} ms, "
          f"p99 {pct(delays, .99):.3f} ms, max {max(delays):.3f} ms")
