#!/usr/bin/env python3
"""Hostile clients (issue 25, item 5): what a junk flood costs the case server, and whether a
real terminal's scans still get through.

A case server and a real gatewayd on loopback; the terminal scans --scans labels at --rate a
second while junk envelopes under its device id (the server's key id and suite, a random
32-byte enc each: every one costs a DH) are posted in batches of 500:

  no flood        the terminal alone: what its own scans cost the server
  one address     --junk envelopes from one address (127.0.0.2), one request after another
  many addresses  one batch of 500 from each of --addresses fresh addresses (127.0.1.x)
  no throttle     the one-address flood again, on a server whose throttle never engages
                  (--throttle-burst 1000000000): what the flood cost before

For each: the server's CPU seconds (user + system, /proc) from the terminal's first scan until
its last one is stored (the flood runs within that), its RSS (MiB) before and after the flood, the requests answered 200/429, the junk envelopes the server opened, and the terminal's
scans stored (each once) and how long after its first scan the last one was stored. Prints
figures; nothing is asserted.

Usage: bench/hostile_flood.py --bin DIR [--junk 50000] [--addresses 100] [--scans 1000] [--rate 100]
"""
import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "system"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="directory with gatewayd and case-server")
    ap.add_argument("--junk", type=int, default=50_000)
    ap.add_argument("--addresses", type=int, default=100)
    ap.add_argument("--scans", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=100)
    a = ap.parse_args()
    os.environ["GATEWAYD_BIN_DIR"] = str(Path(a.bin).resolve())
    import hostile  # noqa: E402
    from harness import Site  # noqa: E402 (needs GATEWAYD_BIN_DIR)

    def run(name, flood, server_extra=()):
        site = Site(Path(tempfile.mkdtemp(prefix="bench-hostile-")))
        try:
            site.write_config()
            site.start_server(extra=list(server_extra))
            site.start_gateway()
            site.scan("ACME-warmup")
            site.wait_events(1)
            key_id = hostile.server_key_id(site, site.device)
            cpu0, rss0 = hostile.proc_figures(site.server.pid)
            labels = [f"ACME-{i}" for i in range(a.scans)]
            t0 = time.monotonic()

            def terminal():
                for label in labels:
                    site.scan(label)
                    time.sleep(1 / a.rate)

            scanning = threading.Thread(target=terminal)
            scanning.start()
            statuses, opened = flood(site, key_id)
            _, rss1 = hostile.proc_figures(site.server.pid)
            scanning.join()
            stored = site.wait_events(a.scans + 1, timeout=600)
            delivered = time.monotonic() - t0
            cpu1, _ = hostile.proc_figures(site.server.pid)
            texts = [e["text"] for e in stored if e["text"] != "ACME-warmup"]
            once = len(texts) == len(set(texts)) == a.scans
            ok = sum(1 for s in statuses if s[0] == 200)
            refused = sum(1 for s in statuses if s[0] == 429)
            return dict(name=name, cpu_s=round(cpu1 - cpu0, 2), rss_before_mib=round(rss0, 1),
                        rss_after_mib=round(rss1, 1), requests=len(statuses), answered_200=ok, answered_429=refused,
                        junk_opened=opened, scans_stored=len(texts), each_once=once,
                        last_scan_stored_after_s=round(delivered, 1), scan_span_s=round(a.scans / a.rate, 1))
        finally:
            site.close()

    def one_address(site, key_id):
        return hostile.flood(site, site.device, key_id, a.junk, source="127.0.0.2")

    def many_addresses(site, key_id):
        statuses, opened = [], 0
        for i in range(a.addresses):
            s, o = hostile.flood(site, site.device, key_id, 500, source=f"127.0.1.{1 + i % 250}")
            statuses += s
            opened += o
        return statuses, opened

    results = [
        run("no flood", lambda site, key_id: ([], 0)),
        run("one address", one_address),
        run("many addresses", many_addresses),
        run("no throttle", one_address, server_extra=["--throttle-burst", "1000000000"]),
    ]
    print(f"{'flood':15s} {'server CPU s':>12s} {'RSS MiB before→after':>21s} {'200/429':>9s} {'junk opened':>11s} "
          f"{'scans stored once':>17s} {'last stored after':>17s}")
    for r in results:
        print(f"{r['name']:15s} {r['cpu_s']:12.2f} {r['rss_before_mib']:>10.1f} → {r['rss_after_mib']:<8.1f} "
              f"{r['answered_200']:>4d}/{r['answered_429']:<4d} {r['junk_opened']:11d} "
              f"{r['scans_stored']:>9d} {'yes' if r['each_once'] else 'NO':>7s} "
              f"{r['last_scan_stored_after_s']:>10.1f} s (of {r['scan_span_s']} s)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
