"""Terminals enrolled and revoked: `case-server enroll` makes a one-time token, `gatewayd enroll`
registers the terminal's key with it over TLS (no PEM file copied), a used or expired token fails
clearly, and a revoked terminal's scans end as `revoked_device` dead letters at the terminal:
counted, kept, stored nowhere, until it is re-enrolled and retries them."""
import os
import subprocess
import time

from harness import CASE_SERVER, GATEWAYD, wait_for


def token(site, *extra):
    r = site.run([CASE_SERVER, "enroll", "--db", str(site.root / "cases.db"), "--device", site.device, *extra])
    return r.stdout.strip()


def enroll(site, tok):
    return subprocess.run([GATEWAYD, "enroll", "--server", f"https://127.0.0.1:{site.server_port}", "--token", tok,
                           "--config", str(site.root / "gatewayd.toml")], capture_output=True, text=True)


def test_enroll_used_and_expired_tokens_revoke_and_reenroll(site):
    (site.root / "devices" / f"{site.device}.pem").unlink()  # registered by enrollment only
    site.write_config()
    site.start_server()

    tok = token(site)
    assert len(tok) >= 43
    first = enroll(site, tok)
    assert first.returncode == 0, first.stderr
    assert f"{site.device}: enrolled" in first.stdout
    assert tok not in site.log("server"), "the token is never logged"

    site.start_gateway()
    site.scan("ACME-1", "ACME-2")
    site.wait_events(2)

    again = enroll(site, tok)
    assert again.returncode == 1, (again.stdout, again.stderr)
    assert "used already" in again.stderr and f"case-server enroll --device {site.device}" in again.stderr, again.stderr

    short = token(site, "--ttl", "0.05s")
    time.sleep(0.2)
    late = enroll(site, short)
    assert late.returncode == 1, (late.stdout, late.stderr)
    assert "expired" in late.stderr and f"case-server enroll --device {site.device}" in late.stderr, late.stderr

    terminals = site.run([CASE_SERVER, "terminals", "--db", str(site.root / "cases.db")]).stdout
    assert site.device in terminals and "token" in terminals, terminals

    site.run([CASE_SERVER, "devices", "revoke", "--db", str(site.root / "cases.db"), "--device", site.device,
              "--reason", "stolen"])
    time.sleep(5.5)  # the server's per-device cache bound (docs/case-server.md)
    site.scan("ACME-3", "ACME-4")
    wait_for(lambda: site.dead_letter_count() == 2, 30, "two dead letters")
    letters = site.spool_rows("dead_letter")
    assert all(row[4].startswith("revoked_device") for row in letters), letters
    assert site.spool_rows() == []
    # Every scan is accounted for: two delivered, two dead letters, none stored after the revocation.
    status = site.spool_status()
    assert status["last_seq"] == 4 and status["dead_letters"] == 2 and status["depth"] == 0, status
    stored = site.events()
    assert sorted(e["text"] for e in stored["events"]) == ["ACME-1", "ACME-2"]
    assert stored["rejected"] == 2
    wait_for(lambda: "re-enroll it" in site.log(), 10, "the terminal's log to say what to do")
    listed = subprocess.run([GATEWAYD, "spool", "list", "--dead", "--config", str(site.root / "gatewayd.toml")],
                            capture_output=True, text=True, check=True).stdout
    assert listed.count("revoked_device") == 2, listed
    terminals = subprocess.run([CASE_SERVER, "terminals", "--db", str(site.root / "cases.db")],
                               capture_output=True, text=True).stdout
    assert "REVOKED" in terminals and "stolen" in terminals, terminals

    # Re-enrolled with a new token, the terminal sends its dead letters again and they are stored.
    back = enroll(site, token(site))
    assert back.returncode == 0, back.stderr
    env = dict(os.environ, RUNTIME_DIRECTORY=str(site.root / "run"))
    subprocess.run([GATEWAYD, "spool", "retry-dead", "--config", str(site.root / "gatewayd.toml")], check=True,
                   capture_output=True, env=env)
    events = site.wait_events(4)
    assert sorted(e["text"] for e in events) == ["ACME-1", "ACME-2", "ACME-3", "ACME-4"]


def test_enroll_against_an_unreachable_server_exits_69(site):
    site.write_config()
    r = enroll(site, "whatever")
    assert r.returncode == 69, (r.stdout, r.stderr)
    assert "cannot reach" in r.stderr
