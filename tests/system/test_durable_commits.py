"""A commit counts only once it is on the disk: gatewayd fsyncs its spool before a reader's scan
is taken, and case-server fsyncs its store before it answers `accepted` (the gateway then
deletes the envelope). A kill -9 cannot tell the difference (the page cache outlives a process);
a power loss can. So the fsyncs of the real processes are counted with strace.

The serial reader is the one that matters: the FIFO reader's input-mark write happened to turn
`synchronous = FULL` back on after its first scan, the other readers never did."""
import os
import re
import subprocess
import time

from harness import texts, wait_for
from test_serial_pty import start_with_pty

SCANS = 5


def traced(pid):
    """True once a tracer is attached to every thread of pid (a thread that ended meanwhile
    does not count)."""
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            status = open(f"/proc/{pid}/task/{t}/status").read()
        except FileNotFoundError:
            continue
        if any(l.startswith("TracerPid:") and l.split()[1] == "0" for l in status.splitlines()):
            return False
    return True


def syncs(out):
    """fsync/fdatasync calls that returned 0, from strace -f's output: whole lines, and the
    `<... fdatasync resumed>` halves of calls another thread's line interrupted."""
    return sum(1 for line in out.read_text().splitlines()
               if re.search(r"\b(fsync|fdatasync)(\(\d+\)| resumed>\))\s+= 0", line))


def test_each_commit_is_fsynced_at_the_gateway_and_at_the_server(site):
    master, _ = start_with_pty(site)
    wait_for(lambda: "gatewayd ready" in site.log(), 30, "gatewayd to start")
    outs, tracers = [], []
    for name, proc in (("gatewayd", site.gateway), ("server", site.server)):
        out = site.root / f"{name}.strace"
        tracers.append(subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync", "-o", str(out), "-p", str(proc.pid)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        outs.append(out)
        wait_for(lambda: traced(proc.pid), 10, f"strace to attach to {name}")
    # One scan at a time: each is its own commit at the gateway and its own batch at the server.
    for i in range(SCANS):
        os.write(master, f"ACME-{i}\r\n".encode())
        site.wait_events(i + 1)
        time.sleep(0.1)
    for t in tracers:
        t.terminate()
        t.wait(timeout=10)
    assert sorted(texts(site.events()["events"])) == [f"ACME-{i}" for i in range(SCANS)]
    gateway, server = syncs(outs[0]), syncs(outs[1])
    # Each scan: its commit (before the reader takes it) and its settle; each batch: the server's commit.
    assert gateway >= 2 * SCANS, f"gatewayd fsynced {gateway} times for {SCANS} commits and {SCANS} settles"
    assert server >= SCANS, f"case-server fsynced {server} times for {SCANS} batches it accepted"
    os.close(master)

