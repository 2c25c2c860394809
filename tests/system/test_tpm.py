"""The device key in a TPM 2.0 (swtpm, OpenSSL's tpm2 provider): made inside the TPM by
`gatewayd keygen --tpm`, never on disk, and refused with a clear error when it is not there."""
import json
import os
import subprocess

import pytest

from harness import GATEWAYD, wait_for
from tpm_fixtures import keygen, tpm_site


def test_keygen_makes_the_key_inside_the_tpm_and_prints_its_public_key(swtpm, tmp_path):
    r = keygen(swtpm, "--handle", "0x81000005")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("-----BEGIN PUBLIC KEY-----"), r.stdout
    assert 'private_key = "tpm:0x81000005"' in r.stderr and "not exportable" in r.stderr
    # The TPM holds it at that handle: tpm2-tools read the same public key back.
    pub = tmp_path / "k.pem"
    swtpm.tools("tpm2_readpublic", "-c", "0x81000005", "-f", "pem", "-o", str(pub))
    assert pub.read_text().strip() == r.stdout.strip()
    # Its attributes: made in the TPM, bound to it, for key agreement and signatures.
    attrs = swtpm.tools("tpm2_readpublic", "-c", "0x81000005").stdout
    for a in ("fixedtpm", "fixedparent", "sensitivedataorigin", "decrypt", "sign"):
        assert a in attrs, attrs
    # A second keygen at the same handle refuses rather than replacing the terminal's identity.
    again = keygen(swtpm, "--handle", "0x81000005")
    assert again.returncode == 1 and "holds a key already" in again.stderr, again.stderr
    assert keygen(swtpm, "--handle", "0x1234").returncode == 1


def test_a_wrong_handle_or_no_tpm_is_a_clear_error_naming_the_key(site, swtpm):
    assert keygen(swtpm, "--handle", "0x81000006").returncode == 0
    for value, words in [("tpm:0x81000007", "cannot open the device key in the TPM at handle 0x81000007"),
                         ("tpm:0x1234", "is not a TPM persistent handle")]:
        config = site.write_config(device="t-1")
        text = config.read_text().replace(f'private_key = "{site.root / "device.key"}"', f'private_key = "{value}"')
        config.write_text(text)
        r = subprocess.run([GATEWAYD, "--config", str(config)], capture_output=True, text=True, timeout=60,
                           env={**os.environ, **swtpm.env})
        assert r.returncode != 0 and words in r.stderr, (value, r.stderr)
    # Without a TPM named by TPM2OPENSSL_TCTI, on a machine without /dev/tpmrm0 (this one), the
    # error says that the terminal has no TPM rather than only OpenSSL's words.
    if not os.path.exists("/dev/tpmrm0"):
        env = {k: v for k, v in os.environ.items() if not k.startswith("TPM2")}
        config.write_text(config.read_text().replace('private_key = "tpm:0x1234"', 'private_key = "tpm:0x81000006"'))
        r = subprocess.run([GATEWAYD, "--config", str(config)], capture_output=True, text=True, timeout=60, env=env)
        assert r.returncode != 0 and "has no TPM 2.0 (/dev/tpmrm0 does not exist)" in r.stderr, r.stderr


def test_mutual_tls_with_the_client_key_in_the_tpm(site, swtpm):
    """The case server requires a client certificate; the terminal's is for a key in the TPM,
    whose signature in the handshake the TPM makes (the key never leaves it)."""
    assert keygen(swtpm, "--handle", "0x81000008").returncode == 0
    pki = site.root / "pki"
    env = {**os.environ, **swtpm.env}
    # A CSR signed by the TPM key (OpenSSL's tpm2 provider), certified by the site's CA.
    subprocess.run(["openssl", "req", "-new", "-provider", "tpm2", "-provider", "default", "-key", "handle:0x81000008",
                    "-subj", "/CN=t-1", "-out", str(pki / "tpm.csr")], check=True, env=env, capture_output=True)
    (pki / "tpm.ext").write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                                 "extendedKeyUsage=clientAuth\n")
    subprocess.run(["openssl", "x509", "-req", "-in", str(pki / "tpm.csr"), "-CA", str(pki / "ca.pem"), "-CAkey",
                    str(pki / "ca.key"), "-CAcreateserial", "-out", str(pki / "tpm.pem"), "-days", "30", "-extfile",
                    str(pki / "tpm.ext")], check=True, capture_output=True)
    site.start_server(extra=("--client-ca", str(pki / "ca.pem")))
    # Without the client certificate the server refuses the handshake: nothing arrives.
    site.write_config()
    gw = site.start_gateway()
    site.scan("ACME-0")
    wait_for(lambda: "delivery failed" in site.log(), 20, "a refused handshake")
    assert site.events()["events"] == []
    gw.terminate()
    gw.wait(timeout=20)
    cfg = site.write_config()
    cfg.write_text(cfg.read_text().replace(
        "[spool]", f'client_cert = "{pki / "tpm.pem"}"\nclient_key = "tpm:0x81000008"\n[spool]'))
    site.start_gateway(env_extra=swtpm.env)
    for i in range(1, 3):
        site.scan(f"ACME-{i}")
    assert sorted(e["text"] for e in site.wait_events(3)) == ["ACME-0", "ACME-1", "ACME-2"]
    # No private key of the TLS client anywhere on the terminal's disk.
    for p in site.root.rglob("*"):
        if p.is_file() and p.suffix in (".key", ".pem", ".db"):
            assert b"PRIVATE KEY" not in p.read_bytes() or p.name in ("ca.key", "server.key", "device.key",
                                                                      "client.key", "site.key"), p


def test_scans_sealed_with_the_tpm_key_open_in_pyhpke_and_at_case_server(site, swtpm):
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
    from pyhpke import AEADId, CipherSuite, KDFId, KEMId, KEMKey
    from test_envelope_crypto import P256_SUITE_NAME, hpke_open
    pub = tpm_site(site, swtpm)
    labels = [f"ACME-{i}" for i in range(5)]
    gw = site.start_gateway(env_extra=swtpm.env)
    site.scan(*labels)
    site.wait_spooled(len(labels))
    gw.kill()
    gw.wait()
    assert "cannot seal" not in site.log(), site.log()[-2000:]
    envs = [json.loads(row[2]) for row in site.spool_rows()]
    suite = CipherSuite.new(KEMId.DHKEM_P256_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES256_GCM)
    server_sk = KEMKey.from_pyca_cryptography_key(
        load_pem_private_key((site.root / "server-p256.key").read_bytes(), password=None))
    device_pk = KEMKey.from_pyca_cryptography_key(load_pem_public_key(pub.encode()))
    assert [json.loads(hpke_open(e, server_sk, device_pk, suite=suite))["text"] for e in envs] == labels
    assert {e["suite"] for e in envs} == {P256_SUITE_NAME}
    stranger = KEMKey.from_pyca_cryptography_key(ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(Exception):
        hpke_open(envs[0], server_sk, stranger, suite=suite)
    site.start_server(extra=["--private-key", str(site.root / "server-p256.key")])
    site.start_gateway(env_extra=swtpm.env)
    assert [e["text"] for e in site.wait_events(len(labels))] == labels
    # No private key of the terminal anywhere under its state, config or runtime directories.
    for p in site.root.rglob("*"):
        if p.is_file() and p.name not in ("server-p256.key", "server.key", "ca.key", "site.key") \
                and not p.name.startswith("server") and "pki" not in p.parts:
            assert b"PRIVATE KEY" not in p.read_bytes(), p
    # The probe says where the key is.
    r = subprocess.run([GATEWAYD, "--probe", "--json", "--config", str(site.root / "gatewayd.toml")],
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, **swtpm.env, "RUNTIME_DIRECTORY": str(site.root / "run")})
    key = {c["name"]: c for c in json.loads(r.stdout)["checks"]}["device key"]
    assert key["status"] == "ok" and "TPM 2.0, handle 0x81000002, ECC P-256, not exportable" in key["detail"], key


def test_the_tpm_going_away_mid_burst_loses_no_scan(site, swtpm):
    """kill -9 of the TPM while scans arrive: the readers are held (nothing sealed, nothing
    dropped), the log says why, and when the TPM is back every scan is stored once."""
    tpm_site(site, swtpm)
    site.start_server(extra=["--private-key", str(site.root / "server-p256.key")])
    site.start_gateway(env_extra=swtpm.env)
    site.scan(*[f"ACME-{i}" for i in range(20)])
    site.wait_events(20)
    swtpm.kill()
    sent = [f"ACME-{i}" for i in range(20, 60)]
    site.scan(*sent)
    wait_for(lambda: "cannot seal scans; holding the reader" in site.log(), 30, "the readers held")
    assert "device key" in site.log()
    swtpm.start()
    events = site.wait_events(60, timeout=90)
    texts = sorted(e["text"] for e in events)
    assert texts == sorted(f"ACME-{i}" for i in range(60)), "in = stored, each once"
    wait_for(lambda: "scans sealed again; reader resumed" in site.log(), 30, "the readers resumed")
