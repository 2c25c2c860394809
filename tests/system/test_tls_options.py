"""TLS options of the forwarder: SPKI pinning and mutual TLS, against the real case-server."""
import base64
import hashlib
import subprocess

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from faultproxy import FaultProxy
from harness import ROOT, texts, wait_for


def spki_pin(cert_pem):
    cert = x509.load_pem_x509_certificate(cert_pem.read_bytes())
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def with_server_keys(site, lines, port=None):
    cfg = site.write_config()
    text = cfg.read_text().replace("[spool]", "\n".join(lines) + "\n[spool]")
    if port:
        text = text.replace(f"https://127.0.0.1:{site.server_port}", f"https://127.0.0.1:{port}")
    cfg.write_text(text)


def test_pinned_key_delivers_and_a_wrong_pin_sends_nothing(site):
    site.start_server()
    right = spki_pin(site.root / "pki" / "server.pem")
    ca_pin = spki_pin(site.root / "pki" / "ca.pem")
    # Pinning the CA's key works too (any key in the verified chain).
    with_server_keys(site, [f'pin_sha256 = ["{base64.b64encode(b"x" * 32).decode()}", "{ca_pin}"]'])
    gw = site.start_gateway()
    site.scan("ACME-1", "ACME-2")
    assert sorted(texts(site.wait_events(2))) == ["ACME-1", "ACME-2"]
    gw.terminate()
    gw.wait(timeout=20)

    # A proxy with a certificate from the same CA but another key: verifies, but is not pinned.
    other = site.root / "pki"
    subprocess.run([str(ROOT / "scripts" / "make-pki.sh"), str(other), "impostor"], check=True)
    proxy = FaultProxy(other / "impostor.pem", other / "impostor.key", site.server_port, other / "ca.pem").start()
    with_server_keys(site, [f'pin_sha256 = ["{right}"]'], port=proxy.port)
    site.start_gateway()
    site.scan("ACME-3")
    wait_for(lambda: site.log().count("holds none of the pinned keys") >= 2, 30, "the pin failure, repeatedly")
    assert proxy.requests == [], "an unpinned server never sees a request"
    assert site.spool_status()["depth"] == 1
    proxy.stop()
    print(f"pinning: in=3 delivered=2 waiting=1 (unpinned server refused) lost=0")


def test_mutual_tls(site):
    subprocess.run([str(ROOT / "scripts" / "make-pki.sh"), str(site.root / "pki"), "client", "client"], check=True)
    site.start_server(extra=("--client-ca", str(site.root / "pki" / "ca.pem")))
    # Without a client certificate the server refuses the handshake.
    site.write_config()
    gw = site.start_gateway()
    site.scan("ACME-1")
    wait_for(lambda: "delivery failed" in site.log(), 20, "a refused handshake")
    assert site.events()["events"] == []
    gw.terminate()
    gw.wait(timeout=20)
    with_server_keys(site, [f'client_cert = "{site.root / "pki" / "client.pem"}"', f'client_key = "{site.root / "pki" / "client.key"}"'])
    site.start_gateway()
    site.scan("ACME-2")
    assert sorted(texts(site.wait_events(2))) == ["ACME-1", "ACME-2"]
