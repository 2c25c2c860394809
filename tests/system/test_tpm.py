"""The device key in a TPM 2.0 (swtpm, OpenSSL's tpm2 provider): made inside the TPM by
`gatewayd keygen --tpm`, never on disk, and refused with a clear error when it is not there."""
import os
import subprocess

from harness import GATEWAYD


def keygen(swtpm, *args):
    return subprocess.run([GATEWAYD, "keygen", "--tpm", *args], capture_output=True, text=True,
                          env={**os.environ, **swtpm.env}, timeout=60)


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
