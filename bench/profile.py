#!/usr/bin/env python3
"""Profiles gatewayd (and case-server) with perf while they capture or drain, the set-up of
bench/run.py (real processes, TLS on loopback). Writes perf.data and prints the top symbols.

  bench/profile.py --bin .build/release capture [--scans 60000]   gatewayd, server down
  bench/profile.py --bin .build/release drain [--scans 30000]     both processes, the drain only

Then e.g. perf report -i perf.data --children --sort symbol --stdio [--dsos case-server].
Needs perf (Debian's linux-perf). Not a test, nothing asserted.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ap = argparse.ArgumentParser()
ap.add_argument("--bin", required=True)
ap.add_argument("what", choices=["capture", "drain"])
ap.add_argument("--scans", type=int)
ap.add_argument("--out", default="perf.data")
A = ap.parse_args()
n = A.scans or (60000 if A.what == "capture" else 30000)
os.environ["GATEWAYD_BIN_DIR"] = str(Path(A.bin).resolve())
sys.path.insert(0, str(ROOT / "tests" / "system"))
from harness import Site, wait_for, write_lines  # noqa: E402

work = Path(tempfile.mkdtemp(prefix="gatewayd-profile-"))
site = Site(work)
site.write_config(backoff_cap_ms=200)
gw = site.start_gateway()
wait_for(lambda: "gatewayd ready" in site.log(), 30, "gatewayd to start")


def spool(sql):
    return site.spool_value(sql, default=-1)


def perf(pids):
    p = subprocess.Popen(["perf", "record", "-F", "999", "-g", "--call-graph", "dwarf,16384", "-o", A.out,
                          "-p", ",".join(map(str, pids))], stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return p


fd = site.open_fifo()
rec = perf([gw.pid]) if A.what == "capture" else None
t0 = time.monotonic()
write_lines(fd, [f"ACME-{i:06d}" for i in range(n)])
wait_for(lambda: spool("SELECT value FROM meta WHERE key='last_seq'") >= n, 600, "every scan spooled", interval=0.01)
if A.what == "drain":
    t0 = time.monotonic()
    site.start_server()
    # From here on (the first ~0.5 s of the drain are not in the profile).
    rec = perf([gw.pid, site.procs[-1].pid])
    wait_for(lambda: spool("SELECT count(*) FROM envelope") == 0, 900, "the drain", interval=0.01)
t1 = time.monotonic()
rec.send_signal(2)
rec.wait()
print(f"{A.what}: {n} in {t1 - t0:.2f} s = {n / (t1 - t0):,.0f}/s (under perf)")
site.close()
top = subprocess.run(["perf", "report", "-i", A.out, "--no-children", "--sort", "symbol", "--stdio", "-g", "none"],
                     capture_output=True, text=True).stdout
print("\n".join(l for l in top.splitlines() if l.strip() and not l.startswith("#"))[:4000])
