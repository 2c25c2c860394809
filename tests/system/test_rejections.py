"""Envelopes the server must refuse: wrong server key, unknown device, tampered ciphertext."""
import base64
import json
import ssl
import subprocess
import urllib.request

from harness import CASE_SERVER, GATEWAYD, wait_for


def post(site, body):
    ctx = ssl.create_default_context(cafile=str(site.root / "pki" / "ca.pem"))
    req = urllib.request.Request(f"https://127.0.0.1:{site.server_port}/v1/envelopes", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        return json.load(r)


def spool_envelopes(site, n):
    """Runs gatewayd with the server down and returns n envelopes from its spool."""
    site.write_config()
    gw = site.start_gateway()
    site.scan(*[f"ACME-{i}" for i in range(n)])
    site.wait_spooled(n)
    gw.kill()
    gw.wait()
    return [json.loads(row[2]) for row in site.spool_rows()]


def test_tampered_ciphertext_and_forged_header_are_rejected_and_stored_nowhere(site):
    envs = spool_envelopes(site, 3)
    site.start_server()
    ct = bytearray(base64.b64decode(envs[0]["ct"]))
    ct[len(ct) // 2] ^= 1
    envs[0]["ct"] = base64.b64encode(bytes(ct)).decode()
    envs[1]["seq"] += 100  # header no longer matches the AAD
    answer = post(site, {"envelopes": envs})
    statuses = [r["status"] for r in answer["results"]]
    assert statuses == ["rejected", "rejected", "accepted"]
    assert answer["results"][0]["reason"].startswith("authentication_failed")
    stored = site.events()
    assert [e["text"] for e in stored["events"]] == ["ACME-2"]
    assert stored["rejected"] == 2


def test_unknown_device_is_rejected_and_dead_lettered_at_the_gateway(site):
    (site.root / "devices" / "term-1.pem").unlink()  # the server does not know this terminal
    site.write_config()
    site.start_server()
    site.start_gateway()
    site.scan("ACME-1", "ACME-2")
    wait_for(lambda: site.dead_letter_count() == 2, 30, "two dead letters")
    letters = site.spool_rows("dead_letter")
    assert all("unknown_device" in row[4] for row in letters)
    assert site.spool_rows() == []
    assert site.events()["events"] == []
    assert "server rejected an envelope; kept as dead letter" in site.log()


def test_wrong_server_key_is_rejected(site):
    other = site.root / "other-server.key"
    subprocess.run([CASE_SERVER, "keygen", "--out", str(other)], check=True, capture_output=True)
    site.write_config(server_public_key=str(other) + ".pub")
    site.start_server()
    site.start_gateway()
    site.scan("ACME-1")
    wait_for(lambda: site.dead_letter_count() == 1, 30, "a dead letter")
    assert "unknown_key_id" in site.spool_rows("dead_letter")[0][4]
    assert site.events()["events"] == []
