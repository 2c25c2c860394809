#!/usr/bin/env python3
"""Makes scripts/gatewayd.order: the functions a running gatewayd executes, which the release
link places together (lld --symbol-ordering-file; Package.swift), so that the pages the daemon
keeps touching are dense and the kernel's 64 KiB fault-around maps code that is used, not its
neighbours (docs/performance.md, "Footprint").

The profile is a real run under valgrind's callgrind of the release binary (debug info stripped:
valgrind 3.19 cannot read this toolchain's DWARF 5): start, bursts and single scans into the FIFO
reader with the server down, then a case-server and the drain, more scans online, idle, SIGTERM
— the test harness's set-up (TLS on loopback), with a callgrind dump after each phase. Every
function of the binary that ran is listed, by phase: first what ran while scans were spooled,
delivered one by one, and while idle; then what only the drain added; then what ran only at
start-up or shutdown (the footprint service releases those pages a few seconds after start).
Within a phase, functions built with one section per function come first, then those that bring
a toolchain object file along. The order inside a part hardly matters; that each is contiguous does.

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
time.sleep(8)  # past the footprint service's first step, which releases the start-up pages
# What ran so far is start-up; from here on is what a running daemon keeps executing.
subprocess.run(["callgrind_control", "--dump=startup", str(gw.pid)], check=True, capture_output=True, timeout=120)
fd = site.open_fifo()
n = 0
for burst in range(3):
    # Bursts of several batches (an RFID portal), so the drain below pipelines full batches.
    for chunk in range(5):
        os.write(fd, "".join(f"ACME-{burst}{chunk}{i:04d}\n" for i in range(200)).encode())
    n += 1000
    time.sleep(2)
for i in range(20):
    os.write(fd, f"ACME-9{i:05d}\n".encode())
    n += 1
    time.sleep(0.2)
wait_for(lambda: spool("SELECT value FROM meta WHERE key='last_seq'") >= n, 600, "the scans to be spooled", interval=0.5)
subprocess.run(["callgrind_control", "--dump=capture", str(gw.pid)], check=True, capture_output=True, timeout=120)
site.start_server()
wait_for(lambda: spool("SELECT count(*) FROM envelope") == 0, 600, "the drain", interval=0.5)
subprocess.run(["callgrind_control", "--dump=drain", str(gw.pid)], check=True, capture_output=True, timeout=120)
for i in range(20):
    os.write(fd, f"ACME-8{i:05d}\n".encode())
    time.sleep(0.3)
time.sleep(12)
# The next release of the code pages (a busy period over), so that its code is steady too.
time.sleep(35)
subprocess.run(["callgrind_control", "--dump=running", str(gw.pid)], check=True, capture_output=True, timeout=120)
gw.send_signal(signal.SIGTERM)
gw.wait(timeout=120)
site.close()


def executed_in(out):
    """Functions of the daemon's executable that ran, from one callgrind dump."""
    names, objects, current, ran = {}, {}, None, set()
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
                ran.add(names.get(m.group(2)))
    return ran


def dump_label(out):
    for line in open(out, errors="replace"):
        if line.startswith("desc: Trigger:"):
            return line.split(":", 2)[2].strip()
        if line.startswith("events:"):
            break
    return ""


ran = {"startup": set(), "capture": set(), "drain": set(), "running": set()}
for out in work.glob("cg.*.out*"):
    label = dump_label(out)
    # The part after "running" is shutdown: it ran once, like start-up.
    phase = next((p for p in ("capture", "drain", "running") if p in label), "startup")
    ran[phase].update(executed_in(out))
defined = set()
for line in subprocess.run(["nm", "--defined-only", str(real)], capture_output=True, text=True, check=True).stdout.splitlines():
    p = line.split()
    if len(p) == 3 and p[1] in "tTwW":
        defined.add(p[2])
# Functions of this package and its dependencies, built with one section per function, so the
# linker can place each where the list says; the rest comes from the toolchain's static
# libraries, whose sections hold a whole object file each and move as one.
movable = set()
objects = [str(o) for o in (Path(A.bin).resolve()).glob("*.build/**/*.o")]
for i in range(0, len(objects), 200):
    for line in subprocess.run(["nm", "--defined-only", *objects[i:i + 200]], capture_output=True, text=True).stdout.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "tTwW":
            movable.add(p[2])
if not movable:
    sys.exit(f"gen-order-file: no functions found in the package's object files under {A.bin}")


def laid_out(names):
    """One group: the movable functions together, then those that bring a whole toolchain
    object file along, each part in name order."""
    names = [n for n in names if n in defined]
    return sorted(n for n in names if n in movable) + sorted(n for n in names if n not in movable)


# After the footprint service releases the start-up pages, each fault maps 64 KiB around it, so
# each phase's code should sit together: first what runs while scans arrive and are delivered
# one by one (and while idle), then what only a drain adds, then what ran only at start-up or
# shutdown. Scanning then faults in only the first group, densely; a drain adds the second.
scanning = ran["capture"] | ran["running"]
draining = ran["drain"] - scanning
steady = laid_out(scanning) + laid_out(draining)
order = steady + laid_out(ran["startup"] - scanning - draining)
if len(steady) < 1000:
    sys.exit(f"gen-order-file: only {len(steady)} functions profiled while running; the run did not work ({work})")
Path(A.out).write_text("\n".join(order) + "\n")
print(f"gen-order-file: {len(laid_out(scanning))} functions while scanning, {len(laid_out(draining))} more while draining, "
      f"then {len(order) - len(steady)} of start-up only ({len(movable & set(order))} movable) → {A.out}")
shutil.rmtree(work, ignore_errors=True)
