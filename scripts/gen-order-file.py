#!/usr/bin/env python3
"""Makes scripts/gatewayd.order: the functions a running gatewayd executes, which the release
link places together (lld --symbol-ordering-file; Package.swift), so that the pages the daemon
keeps touching are dense and the kernel's 64 KiB fault-around maps code that is used, not its
neighbours (docs/performance.md, "Footprint").

The profile is a real run under valgrind's callgrind of the release binary (debug info stripped:
valgrind 3.19 cannot read this toolchain's DWARF 5): start, bursts and single scans into the FIFO
reader with the server down, then a case-server and the drain, more scans online, idle, SIGTERM
— the test harness's set-up (TLS on loopback). Every function of the binary that ran is listed,
in name order (the order inside the group hardly matters; that the group is contiguous does).

Usage: scripts/gen-order-file.py --bin .build/release [--out scripts/gatewayd.order]
Then relink (rm .build/release/gatewayd; make release). Names that no longer exist are ignored by
the linker, new functions are laid out as usual: regenerate after large changes.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ap = argparse.ArgumentParser()
ap.add_argument("--bin", required=True, help="directory with release gatewayd and case-server")
ap.add_argument("--out", default=str(ROOT / "scripts" / "gatewayd.order"))
A = ap.parse_args()

if not shutil.which("valgrind"):
    sys.exit("gen-order-file: needs valgrind (apt-get install valgrind)")
work = Path(tempfile.mkdtemp(prefix="gatewayd-order-"))
bindir = work / "bin"
bindir.mkdir()
real = bindir / "gatewayd.real"
shutil.copy(Path(A.bin) / "gatewayd", real)
subprocess.run(["strip", "--strip-debug", str(real)], check=True)
(bindir / "case-server").symlink_to(Path(A.bin).resolve() / "case-server")
# The harness runs "gatewayd keygen" too: only the daemon runs under callgrind.
(bindir / "gatewayd").write_text(f"""#!/bin/sh
case "$1" in keygen|--version|--help|--generate-completion-script) exec {real} "$@";; esac
exec valgrind --tool=callgrind --demangle=no --callgrind-out-file={work}/cg.%p.out {real} "$@"
""")
(bindir / "gatewayd").chmod(0o755)

os.environ["GATEWAYD_BIN_DIR"] = str(bindir)
sys.path.insert(0, str(ROOT / "tests" / "system"))
from harness import Site, wait_for  # noqa: E402

(work / "site").mkdir()
site = Site(work / "site")
cfg = site.write_config()
cfg.write_text(cfg.read_text().replace("backoff_cap_ms = 1000", "backoff_cap_ms = 200"))
gw = site.start_gateway()


def spool(sql):
    return site.spool_value(sql, default=-1)


wait_for(lambda: "gatewayd ready" in site.log(), 180, "gatewayd to start under valgrind", interval=0.5)
time.sleep(8)  # past the footprint service's first step
fd = site.open_fifo()
n = 0
for burst in range(3):
    os.write(fd, "".join(f"ACME-{burst}{i:05d}\n" for i in range(200)).encode())
    n += 200
    time.sleep(2)
for i in range(20):
    os.write(fd, f"ACME-9{i:05d}\n".encode())
    n += 1
    time.sleep(0.2)
wait_for(lambda: spool("SELECT value FROM meta WHERE key='last_seq'") >= n, 300, "the scans to be spooled", interval=0.5)
site.start_server()
wait_for(lambda: spool("SELECT count(*) FROM envelope") == 0, 300, "the drain", interval=0.5)
for i in range(20):
    os.write(fd, f"ACME-8{i:05d}\n".encode())
    time.sleep(0.3)
time.sleep(12)
gw.send_signal(signal.SIGTERM)
gw.wait(timeout=120)
site.close()

executed = set()
for out in work.glob("cg.*.out"):
    names, objects, current = {}, {}, None
    for line in open(out, errors="replace"):
        m = re.match(r"^(c?ob)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
        if m:
            if m.group(3):
                objects[m.group(2)] = m.group(3)
            if m.group(1) == "ob":
                current = objects.get(m.group(2))
            continue
        m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
        if m:
            if m.group(3):
                names[m.group(2)] = m.group(3)
            if m.group(1) == "fn" and current == str(real):
                executed.add(names.get(m.group(2)))
defined = set()
for line in subprocess.run(["nm", "--defined-only", str(real)], capture_output=True, text=True, check=True).stdout.splitlines():
    p = line.split()
    if len(p) == 3 and p[1] in "tTwW":
        defined.add(p[2])
order = sorted(n for n in executed if n in defined)
if len(order) < 1000:
    sys.exit(f"gen-order-file: only {len(order)} functions profiled; the run did not work ({work})")
Path(A.out).write_text("\n".join(order) + "\n")
print(f"gen-order-file: {len(order)} functions → {A.out}")
shutil.rmtree(work, ignore_errors=True)
