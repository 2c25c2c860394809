#!/usr/bin/env python3
"""NFC tap latency (issue 28, item 6): tap → envelope durable → beep command, over emulated taps.

A real pcscd with vpcd and the project's tag emulator (tests/system/nfc_emulator.py) as an
ACR122U, and gatewayd with `kind = "nfc"` (PC/SC), its case server down: the beep may only come
once the tap's envelope is committed (fsynced), which is what is measured. Each tap is an
NTAG213 with a URI record (one UID read, two page reads). Per tap, from the emulator's clock:

  detect   tap → pcscd's first APDU to the card (pcscd polls vpcd every 400 ms; a real ACR122U
           through libccid reports a card by its interrupt endpoint, in milliseconds)
  read     first APDU → last READ answered: the card's own round trips through pcscd
  commit   last READ → the LED/buzzer command: decode, classify, redact, seal, spool commit
           with its fsync, then the signal
  gatewayd first APDU → the LED/buzzer command (read + commit): what gatewayd adds to a tap

Prints p50/p99/max of each; nothing is asserted. Needs root (pcscd in its own namespaces).

Usage: bench/nfc_tap.py --bin DIR [--taps 200] [--spool-dir DIR]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "system"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="directory with gatewayd and case-server")
    ap.add_argument("--taps", type=int, default=200)
    ap.add_argument("--spool-dir", help="where the spool lives (default: a temporary directory; its disk's fsync "
                                        "is part of the figure)")
    a = ap.parse_args()
    os.environ["GATEWAYD_BIN_DIR"] = str(Path(a.bin).resolve())
    from harness import Site, wait_for  # noqa: E402 (needs GATEWAYD_BIN_DIR)
    from nfc_emulator import NfcEmulator, Tag, uri_record  # noqa: E402
    from nfc_fixtures import Pcscd  # noqa: E402

    pcscd = Pcscd()
    pcscd.start()
    emulator = NfcEmulator(pcscd.port, netns=pcscd.netns).start()
    root = Path(tempfile.mkdtemp(prefix="nfc-bench-", dir=a.spool_dir))
    site = Site(root)
    rows = []
    try:
        emulator.wait_connected()
        # The server is never started: every tap stays in the spool, committed.
        site.write_config(readers=[{"id": "tap0", "kind": "nfc", "reader": NfcEmulator.READER}])
        site.start_gateway(env_extra=pcscd.env)
        wait_for(lambda: "reader connected" in site.log(), 20, "the PC/SC reader")
        for i in range(a.taps):
            uid = bytes([0x04]) + (0xB0000 + i).to_bytes(6, "big")
            tag = Tag.ntag213(uri_record(f"https://example.com/asset/{i}"), uid=uid)
            n_apdus, n_signals = len(emulator.apdus), len(emulator.signals)
            t0 = time.monotonic()
            emulator.tap(tag)
            emulator.wait_signals(n_signals + 1, timeout=10)
            apdus = emulator.apdus[n_apdus:]
            signal = emulator.signals[n_signals]
            reads = [x for x in apdus if x.command[:2] == b"\xff\xb0" and x.t <= signal.t]
            first = apdus[0].t
            rows.append({
                "total": signal.t - t0, "detect": first - t0, "read": (reads[-1].t if reads else first) - first,
                "commit": signal.t - (reads[-1].t if reads else first), "gatewayd": signal.t - first,
            })
            emulator.lift()
            time.sleep(0.45)  # pcscd's next poll sees the reader empty
        committed = site.spool_value("SELECT value FROM meta WHERE key = 'last_seq'")
    finally:
        site.close()
        emulator.close()
        pcscd.stop()

    def q(xs, p):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(p * len(xs)))]

    print(f"NFC taps through PC/SC (vpcd): {len(rows)} taps, {committed} envelopes committed")
    print(f"{'segment':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for k in ("total", "detect", "read", "commit", "gatewayd"):
        xs = [r[k] * 1000 for r in rows]
        print(f"{k:>10} {statistics.median(xs):8.1f} {q(xs, 0.99):8.1f} {max(xs):8.1f}")


if __name__ == "__main__":
    main()
