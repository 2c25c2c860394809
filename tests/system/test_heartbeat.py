"""Heartbeats: sealed status reports through the same spool and forwarder; the server flags a
terminal whose heartbeats stop."""
import subprocess
import time

from harness import CASE_SERVER, wait_for


def heartbeats(site):
    return [e for e in site.events()["events"] if e.get("kind") == "heartbeat"]


def test_heartbeats_arrive_sealed_and_stopping_them_makes_the_terminal_overdue(site):
    cfg = site.write_config(readers=[{"id": "fifo0", "kind": "line", "path": str(site.fifo)},
                                     {"id": "rfid", "kind": "serial", "path": str(site.root / "ttyNotPluggedIn")}])
    cfg.write_text(cfg.read_text().replace("[heartbeat]\ninterval_s = 0", "[heartbeat]\ninterval_s = 1"))
    site.start_server()
    gw = site.start_gateway()
    site.scan("ACME-1")
    wait_for(lambda: len(heartbeats(site)) >= 3, 30, "three heartbeats")
    hb = heartbeats(site)
    first, last = hb[0]["heartbeat"], hb[-1]["heartbeat"]
    assert first["readers"] == ["fifo0: open", "rfid: waiting for its device"], first["readers"]
    assert first["interval_s"] == 1 and first["version"]
    assert last["uptime_s"] >= first["uptime_s"] + 1
    assert all(h["reader"] == "heartbeat" and h["tag"]["class"] == "unknown" and "text" not in h for h in hb)
    seqs = sorted(e["seq"] for e in site.events()["events"])
    assert seqs == list(range(1, len(seqs) + 1)), "heartbeats share the terminal's gapless sequence"
    ok = subprocess.run([CASE_SERVER, "terminals", "--db", str(site.root / "cases.db"), "--grace-s", "0"], capture_output=True, text=True)
    assert ok.returncode == 0 and f"{site.device}" in ok.stdout and " ok" in ok.stdout, ok.stdout
    gw.terminate()
    gw.wait(timeout=20)
    time.sleep(3)  # more than twice the 1 s interval
    late = subprocess.run([CASE_SERVER, "terminals", "--db", str(site.root / "cases.db"), "--grace-s", "0"], capture_output=True, text=True)
    assert late.returncode == 3 and "OVERDUE" in late.stdout, late.stdout
