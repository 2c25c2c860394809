#!/usr/bin/env python3
"""Capture with the device key in a TPM (issue 24): what the TPM's DH costs a scan.

The same terminal twice — its P-256 device key in a file (`gatewayd keygen --p256`), then in a
software TPM 2.0 (swtpm on loopback, OpenSSL's tpm2 provider, `private_key = "tpm:…"`) — its
case server down, so what is measured is capture: FIFO line → envelope sealed and committed
(fsync), polled in the spool every millisecond. With the TPM each sealing group asks the TPM for
one DH (never kept, docs/threat-model.md), so:

  single   one scan at a time (each its own group: one TPM DH per scan), p50/p99/max
  burst    N scans written at once (group commits of up to 1,024: one TPM DH per group), scans/s

swtpm answers over TCP on loopback; a discrete TPM on LPC/SPI is slower (tens of ms per ECDH),
a firmware TPM in between. Prints figures; nothing is asserted.

Usage: bench/tpm_seal.py --bin DIR [--scans 200] [--burst 2000]
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "system"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="directory with gatewayd and case-server")
    ap.add_argument("--scans", type=int, default=200)
    ap.add_argument("--burst", type=int, default=2000)
    a = ap.parse_args()
    os.environ["GATEWAYD_BIN_DIR"] = str(Path(a.bin).resolve())
    import tempfile
    from harness import CASE_SERVER, GATEWAYD, Site  # noqa: E402 (needs GATEWAYD_BIN_DIR)
    from tpm_fixtures import Swtpm, tpm_site  # noqa: E402

    def last_seq(site):
        return site.spool_value("SELECT value FROM meta WHERE key='last_seq'")

    def measure(site, env):
        site.start_gateway(env_extra=env)
        site.scan("WARM-UP")
        site.wait_spooled(1)
        lat = []
        for i in range(a.scans):
            n = last_seq(site)
            t0 = time.perf_counter()
            site.scan(f"ACME-{i}")
            while last_seq(site) <= n:
                time.sleep(0.001)
            lat.append((time.perf_counter() - t0) * 1000)
        n = last_seq(site)
        t0 = time.perf_counter()
        site.scan(*[f"BURST-{i}" for i in range(a.burst)])
        while last_seq(site) < n + a.burst:
            time.sleep(0.001)
        rate = a.burst / (time.perf_counter() - t0)
        site.close()
        q = statistics.quantiles(lat, n=100, method="inclusive")
        return q[49], q[98], max(lat), rate

    results = {}
    for kind in ("file", "tpm"):
        site = Site(Path(tempfile.mkdtemp(prefix=f"bench-tpm-{kind}-")))
        tpm = None
        if kind == "file":
            site.run([CASE_SERVER, "keygen", "--p256", "--out", str(site.root / "server-p256.key")])
            for name in ("device.key", "device.key.pub"):
                (site.root / name).unlink()
            site.write_config(server_public_key=site.root / "server-p256.key.pub")
            site.run([GATEWAYD, "keygen", "--p256", "--out", str(site.root / "device.key")])
            env = {}
        else:
            tpm = Swtpm().start()
            env = tpm.env
            tpm_site(site, tpm)
        results[kind] = measure(site, env)
        if tpm:
            tpm.stop()
    for kind, (p50, p99, mx, rate) in results.items():
        print(f"{kind:5s} single scan → committed: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {mx:.1f} ms; "
              f"burst of {a.burst}: {rate:.0f} scans/s")


if __name__ == "__main__":
    main()
