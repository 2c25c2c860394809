"""Envelopes checked against an independent HPKE implementation (pyhpke, RFC 9180).

gatewayd seals with swift-crypto; these tests open what it spooled with pyhpke, using only the
wire format (docs/wire-format.md) and the PEM key files, so a mistake shared by the gateway's
sealer and the server's opener (both in GatewayCore) cannot hide. Then every header field and
both halves of the HPKE output are altered one at a time: pyhpke must fail to open each copy,
and the real case-server must reject it while still accepting the unaltered original.
"""
import base64
import os
import hashlib
import json
import ssl
import urllib.request

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import (Encoding, PublicFormat, load_pem_private_key,
                                                          load_pem_public_key)
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pyhpke import AEADId, CipherSuite, KDFId, KEMId, KEMKey, OpenError

from harness import CASE_SERVER, GATEWAYD



# The wire format's suite: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, auth mode; one
# context per group of envelopes, each envelope under key ‖ nonce from the context's exporter.
SUITE = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES256_GCM)
SUITE_NAME = "HPKE-Auth-X25519-SHA256-AES256GCM-Export"
INFO = b"gatewayd envelope v2"
EXPORTER_LABEL = b"gatewayd envelope key\n"
# The same construction over DHKEM(P-256, HKDF-SHA256): what a terminal with a P-256 device key
# (a TPM's, or `gatewayd keygen --p256`) seals.
P256_SUITE = CipherSuite.new(KEMId.DHKEM_P256_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES256_GCM)
P256_SUITE_NAME = "HPKE-Auth-P256-SHA256-AES256GCM-Export"
# The first construction (one single-shot context per envelope), which servers still open.
SINGLE_SHOT_NAME = "HPKE-Base/Auth-X25519-SHA256-AES256GCM"
SINGLE_SHOT_INFO = b"gatewayd envelope v1"


def aad(env):
    return f"{env['id']}\n{env['device']}\n{env['seq']}".encode()


def hpke_open(env, server_sk, sender_pk, info=INFO, suite=SUITE):
    """Opens one envelope in HPKE auth mode (pks given, no PSK) and returns the plaintext:
    SetupAuthR, then AES-256-GCM under Export("gatewayd envelope key\\n" ‖ aad, 44) = key ‖ nonce."""
    enc = base64.b64decode(env["enc"], validate=True)
    ct = base64.b64decode(env["ct"], validate=True)
    ctx = suite.create_recipient_context(enc, server_sk, info=info, pks=sender_pk)
    okm = ctx.export(EXPORTER_LABEL + aad(env), 44)
    try:
        return AESGCM(okm[:32]).decrypt(okm[32:], ct, aad(env))
    except InvalidTag as e:
        raise OpenError("AES-256-GCM: authentication failed") from e


def raw_public(pub):
    return pub.public_bytes(Encoding.Raw, PublicFormat.Raw)


def load_keys(site):
    """The server's private key (PKCS#8 PEM) and the device's registered public key (SPKI PEM)."""
    server = load_pem_private_key((site.root / "server.key").read_bytes(), password=None)
    assert isinstance(server, X25519PrivateKey)
    device = load_pem_public_key((site.root / "devices" / f"{site.device}.pem").read_bytes())
    assert isinstance(device, X25519PublicKey)
    # The .pub file the gateway is configured with belongs to that private key.
    server_pub = load_pem_public_key((site.root / "server.key.pub").read_bytes())
    assert raw_public(server_pub) == raw_public(server.public_key())
    return server, device


def spool_envelopes(site, labels):
    """Runs gatewayd with no case server and returns (row, envelope) pairs from its spool."""
    site.write_config()
    assert site.server is None, "no case server may run: envelopes must stay in the spool"
    gw = site.start_gateway()
    site.scan(*labels)
    site.wait_spooled(len(labels))
    gw.kill()
    gw.wait()
    rows = site.spool_rows()
    assert len(rows) == len(labels), "every scan is held in the spool while the server is down"
    return [(row, json.loads(row[2])) for row in rows]


def post(site, body):
    ctx = ssl.create_default_context(cafile=str(site.root / "pki" / "ca.pem"))
    req = urllib.request.Request(f"https://127.0.0.1:{site.server_port}/v1/envelopes", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        assert r.status == 200
        return json.load(r)


def flip_bit(b64, byte_index=None):
    data = bytearray(base64.b64decode(b64, validate=True))
    data[len(data) // 2 if byte_index is None else byte_index] ^= 0x01
    return base64.b64encode(bytes(data)).decode()


def test_spooled_envelopes_open_with_an_independent_hpke_implementation(site):
    labels = ["ACME-100234", "ACME-7", "not a label"]
    pairs = spool_envelopes(site, labels)
    server, device = load_keys(site)
    server_sk = KEMKey.from_pyca_cryptography_key(server)
    device_pk = KEMKey.from_pyca_cryptography_key(device)
    key_id = hashlib.sha256(raw_public(server.public_key())).digest()[:8].hex()

    for (row_seq, row_id, _body, *_), env in pairs:
        assert (env["seq"], env["id"]) == (row_seq, row_id), "spool row and envelope header agree"
    envs = [env for _, env in pairs]
    assert [e["seq"] for e in envs] == [1, 2, 3]

    for label, (row, env) in zip(labels, pairs):
        assert env["device"] == site.device
        assert env["suite"] == SUITE_NAME
        assert env["key_id"] == key_id, "key_id is SHA-256 of the raw server public key, first 8 bytes, hex"
        assert len(base64.b64decode(env["enc"], validate=True)) == 32

        plaintext = hpke_open(env, server_sk, device_pk)
        event = json.loads(plaintext)
        assert (event["id"], event["device"], event["seq"]) == (env["id"], env["device"], env["seq"])
        assert event["v"] == 1
        assert event["text"] == label
        assert base64.b64decode(event["raw"]) == label.encode()
        assert event["reader"] == "fifo0"
        assert list(json.loads(plaintext, object_pairs_hook=lambda kv: [k for k, _ in kv])) == \
            sorted(event), "plaintext JSON has sorted keys"
        body = row[2] if isinstance(row[2], bytes) else row[2].encode()
        assert label.encode() not in body and label.encode() not in base64.b64decode(env["ct"]), \
            "the spool holds no cleartext"

    # The same envelope does not open in any other configuration: these prove the opening above
    # really was HPKE auth mode with these keys and this info (and that this check can fail).
    env = envs[0]
    stranger = KEMKey.from_pyca_cryptography_key(X25519PrivateKey.generate().public_key())
    with pytest.raises(OpenError):
        hpke_open(env, server_sk, None)  # base mode: no sender authentication
    with pytest.raises(OpenError):
        hpke_open(env, server_sk, stranger)  # auth mode, another sender key
    with pytest.raises(OpenError):
        hpke_open(env, server_sk, device_pk, info=SINGLE_SHOT_INFO)
    with pytest.raises(OpenError):
        hpke_open(env, KEMKey.from_pyca_cryptography_key(X25519PrivateKey.generate()), device_pk)


def test_tampered_envelopes_do_not_open_and_case_server_rejects_them(site):
    [(_, original)] = spool_envelopes(site, ["ACME-4711"])
    server, device = load_keys(site)
    server_sk = KEMKey.from_pyca_cryptography_key(server)
    device_pk = KEMKey.from_pyca_cryptography_key(device)
    assert json.loads(hpke_open(original, server_sk, device_pk))["text"] == "ACME-4711"

    # A second registered device with the very same public key: a header naming it passes the
    # device lookup, so only the cryptographic binding of the header can reject it.
    twin = "term-2"
    (site.root / "devices" / f"{twin}.pem").write_text((site.root / "devices" / f"{site.device}.pem").read_text())
    other_id = original["id"][:-12] + f"{int(original['id'][-12:], 16) ^ 0x5a5a:012x}"
    assert other_id != original["id"]

    # name -> (changed fields, reason code the server must give)
    tampered = {
        "id": ({"id": other_id}, "authentication_failed"),
        "device (unregistered)": ({"device": "term-9"}, "unknown_device"),
        "device (registered, same key)": ({"device": twin}, "authentication_failed"),
        "seq": ({"seq": original["seq"] + 1}, "authentication_failed"),
        "enc": ({"enc": flip_bit(original["enc"])}, "authentication_failed"),
        "ct": ({"ct": flip_bit(original["ct"])}, "authentication_failed"),
    }
    variants = {name: (dict(original, **change), reason) for name, (change, reason) in tampered.items()}
    for name, (env, _) in variants.items():
        assert env != original
        with pytest.raises(OpenError):
            hpke_open(env, server_sk, device_pk)
            pytest.fail(f"pyhpke opened an envelope with tampered {name}")

    site.start_server()
    for name, (env, reason) in variants.items():
        results = post(site, {"envelopes": [env]})["results"]
        assert len(results) == 1, name
        assert results[0]["id"] == env["id"], name
        assert results[0]["status"] == "rejected", f"tampered {name}: {results[0]}"
        assert results[0]["reason"].startswith(reason), f"tampered {name}: {results[0]}"

    results = post(site, {"envelopes": [original]})["results"]
    assert [(r["id"], r["status"]) for r in results] == [(original["id"], "accepted")]
    stored = site.events()
    assert [(e["id"], e["device"], e["seq"], e["text"]) for e in stored["events"]] == \
        [(original["id"], site.device, original["seq"], "ACME-4711")]
    assert stored["rejected"] == len(variants)


def test_a_bursts_envelopes_share_a_context_but_open_one_by_one(site):
    """A burst is sealed in one HPKE context (one enc): pyhpke opens each envelope alone and in
    any order, and a ciphertext moved to another envelope of the same group does not open."""
    labels = [f"ACME-{i:04d}" for i in range(40)]
    site.write_config()
    gw = site.start_gateway()
    fd = site.open_fifo()
    os.write(fd, "".join(l + "\n" for l in labels).encode())  # one write: one group
    site.wait_spooled(len(labels))
    gw.kill()
    gw.wait()
    envs = [json.loads(row[2]) for row in site.spool_rows()]
    assert len(envs) == len(labels)
    assert len({e["enc"] for e in envs}) < len(envs), "envelopes of one burst share a context"
    server, device = load_keys(site)
    server_sk = KEMKey.from_pyca_cryptography_key(server)
    device_pk = KEMKey.from_pyca_cryptography_key(device)
    for env in reversed(envs):
        assert json.loads(hpke_open(env, server_sk, device_pk))["seq"] == env["seq"]
    same = [e for e in envs if e["enc"] == envs[0]["enc"]]
    assert len(same) >= 2
    with pytest.raises(OpenError):
        hpke_open(dict(same[0], ct=same[1]["ct"]), server_sk, device_pk)
    assert sorted(json.loads(hpke_open(e, server_sk, device_pk))["text"] for e in envs) == labels


def test_case_server_still_opens_single_shot_envelopes(site):
    """Spools written before the export construction hold single-shot envelopes
    (SINGLE_SHOT_NAME): one sealed by pyhpke with the device's key is accepted and stored."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key as load_sk
    server, _ = load_keys(site)
    device_sk = KEMKey.from_pyca_cryptography_key(load_sk((site.root / "device.key").read_bytes(), password=None))
    server_pk = KEMKey.from_pyca_cryptography_key(server.public_key())
    env = {"id": "0190f3a2-7c4e-7d51-9a3b-2f1e0c9d8b7a", "device": site.device, "seq": 1,
           "sealed_at": "2026-11-30T10:00:00.000Z", "suite": SINGLE_SHOT_NAME,
           "key_id": hashlib.sha256(raw_public(server.public_key())).digest()[:8].hex()}
    event = {"v": 1, "id": env["id"], "device": site.device, "seq": 1, "reader": "old0",
             "captured_at": "2026-11-30T10:00:00.000Z", "monotonic_ns": 1, "text": "ACME-OLD1",
             "raw": base64.b64encode(b"ACME-OLD1").decode(), "tag": {"class": "unknown"}}
    enc, sender = SUITE.create_sender_context(server_pk, info=SINGLE_SHOT_INFO, sks=device_sk)
    env["enc"] = base64.b64encode(enc).decode()
    env["ct"] = base64.b64encode(sender.seal(json.dumps(event, sort_keys=True).encode(), aad=aad(env))).decode()
    site.start_server()
    assert [r["status"] for r in post(site, {"envelopes": [env]})["results"]] == ["accepted"]
    # The same bytes under the current suite's name are another construction: refused.
    assert post(site, {"envelopes": [dict(env, suite=SUITE_NAME)]})["results"][0]["status"] == "rejected"
    assert [e["text"] for e in site.events()["events"]] == ["ACME-OLD1"]


def test_a_p256_device_key_seals_the_p256_suite_which_pyhpke_and_case_server_open(site):
    """A terminal whose device key is P-256 (`gatewayd keygen --p256`: the software stand-in for
    a TPM-held key) seals HPKE-Auth-P256-SHA256-AES256GCM-Export to a P-256 server key; pyhpke
    opens it with DHKEM(P-256) from the PEM files alone, and case-server — holding its X25519
    and a P-256 key, the device registered with an old X25519 key and the P-256 one — stores the
    events as that device's."""
    from cryptography.hazmat.primitives.asymmetric import ec
    for name in ("device.key", "device.key.pub"):
        (site.root / name).unlink()
    site.run([CASE_SERVER, "keygen", "--p256", "--out", str(site.root / "server-p256.key")])
    pub = site.run([GATEWAYD, "keygen", "--p256", "--out", str(site.root / "device.key")]).stdout
    assert pub.startswith("-----BEGIN PUBLIC KEY-----")
    registration = site.root / "devices" / f"{site.device}.pem"
    old_x25519 = registration.read_text()
    registration.write_text(old_x25519 + pub)
    device = load_pem_public_key(pub.encode())
    assert isinstance(device, ec.EllipticCurvePublicKey) and device.curve.name == "secp256r1"
    server = load_pem_private_key((site.root / "server-p256.key").read_bytes(), password=None)
    assert isinstance(server, ec.EllipticCurvePrivateKey) and server.curve.name == "secp256r1"
    device_sk = load_pem_private_key((site.root / "device.key").read_bytes(), password=None)
    assert device_sk.public_key().public_numbers() == device.public_numbers(), "keygen printed its own key"

    # Against the site's X25519 server key the P-256 device key cannot seal: refused at start.
    import subprocess
    r = subprocess.run([GATEWAYD, "--config", str(site.write_config())], capture_output=True, text=True, timeout=30)
    assert r.returncode == 78, r.stderr
    assert "this server key is X25519 but the device key" in r.stderr and "is P-256" in r.stderr, r.stderr

    labels = ["ACME-100234", "ACME-7"]
    site.write_config(server_public_key=site.root / "server-p256.key.pub")
    gw = site.start_gateway()
    site.scan(*labels)
    site.wait_spooled(len(labels))
    gw.kill()
    gw.wait()
    envs = [json.loads(row[2]) for row in site.spool_rows()]
    assert len(envs) == len(labels)

    server_sk = KEMKey.from_pyca_cryptography_key(server)
    device_pk = KEMKey.from_pyca_cryptography_key(device)
    point = server.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    for label, env in zip(labels, envs):
        assert env["suite"] == P256_SUITE_NAME
        assert env["key_id"] == hashlib.sha256(point).digest()[:8].hex(), \
            "key_id is SHA-256 of the 65-byte uncompressed P-256 point, first 8 bytes, hex"
        enc = base64.b64decode(env["enc"], validate=True)
        assert len(enc) == 65 and enc[0] == 0x04, "enc is an uncompressed P-256 point"
        event = json.loads(hpke_open(env, server_sk, device_pk, suite=P256_SUITE))
        assert (event["id"], event["device"], event["seq"], event["text"]) == \
            (env["id"], site.device, env["seq"], label)
    stranger = KEMKey.from_pyca_cryptography_key(ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(OpenError):
        hpke_open(envs[0], server_sk, stranger, suite=P256_SUITE)
    with pytest.raises(OpenError):
        hpke_open(envs[0], server_sk, None, suite=P256_SUITE)

    site.start_server(extra=["--private-key", str(site.root / "server-p256.key")])
    # Relabelled as the X25519 suite, the same envelope is refused.
    relabelled = post(site, {"envelopes": [dict(envs[0], suite=SUITE_NAME)]})["results"]
    assert [(r["status"], r["reason"].split(":")[0]) for r in relabelled] == [("rejected", "authentication_failed")]
    site.start_gateway()
    stored = site.wait_events(len(labels))
    assert [(e["device"], e["seq"], e["text"]) for e in stored] == \
        [(site.device, i + 1, label) for i, label in enumerate(labels)]
