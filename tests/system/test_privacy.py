"""Proof that no personal value scanned at the terminal is kept on its disk or written to its logs
in the clear, and that what reaches the case server is the redacted event.

Labels with known personal values — plain ASCII, full-width digits, values spread over several
fields of one label (GS1 family and given name, a JSON payload) — go through a real gatewayd.
Then every file under the test's directory (spool database with its -wal and -shm, logs, keys,
runtime directory, and at the end the case server's own database) is searched for each value as
UTF-8, UTF-16LE, UTF-16BE and base64 (at every 3-byte alignment). A first test proves the search
finds each of those forms when they are there.
"""
import base64
import hashlib
import json
import os
import stat

from cryptography.hazmat.primitives.serialization import (Encoding, PublicFormat, load_pem_private_key,
                                                          load_pem_public_key)
from pyhpke import KEMKey

from harness import GATEWAYD, Site
from test_envelope_crypto import hpke_open

GS = "\x1d"


def prc_id(first17):
    """A PRC resident identity number with its ISO 7064 MOD 11-2 check character."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights)) % 11]


def full_width(s):
    return "".join(chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


ID_PLAIN = prc_id("11010519491231002")
ID_WIDE = prc_id("44030419850607123")
ID_JSON = prc_id("31011519770315456")
MOBILE = "13812345678"
MOBILE_E164 = "+8613912345678"
MOBILE_WIDE = "13700001111"
CARD = "4111111111111111"
CARD_SPACED = "5500 0000 0000 0004"
EMAIL = "zhang.san.claims@example.com"
FAMILY, GIVEN, DOB = "OUYANGFENG", "XIAOMINGZHU", "19850607"
JSON_NAME = "Zhao Liuqian"
JSON_PHONE = "13611112222"

LABELS = [
    f"ACME-1001 claimant {ID_PLAIN}",
    f"ACME-1002 tel {MOBILE} alt {MOBILE_E164}",
    f"ACME-1003 card {CARD} / {CARD_SPACED}",
    f"ACME-1004 mail {EMAIL}",
    # Full-width digits as Chinese input methods type them.
    f"ACME-1005 身份证{full_width(ID_WIDE)} 手机{full_width(MOBILE_WIDE)}",
    # GS1: GTIN, date of birth, family name, given name, company-internal text with a phone.
    f"]C1" + "0104006381333931" + "7250" + DOB + GS + "7253" + FAMILY + GS + "7254" + GIVEN + GS + "91TEL" + MOBILE,
    # A QR code carrying JSON: a name (dropped by a configured rule), a phone, an id in a list.
    json.dumps({"asset": "OBJ-77", "owner": {"name": JSON_NAME, "phone": JSON_PHONE, "ids": [ID_JSON]}}),
]

SECRETS = [ID_PLAIN, ID_WIDE, full_width(ID_WIDE), ID_JSON, MOBILE, MOBILE_E164[1:], "13912345678", MOBILE_WIDE,
           full_width(MOBILE_WIDE), CARD, CARD_SPACED, CARD_SPACED.replace(" ", ""), EMAIL, FAMILY, GIVEN, DOB,
           JSON_NAME, JSON_PHONE]

REDACT = """[[redact.rule]]
name = "owner-name"
fields = ["payload.owner.name"]
action = "drop"
"""


def forms(value):
    """The byte strings that would betray `value`: UTF-8, UTF-16 both ways, base64 at every
    alignment (the part of a base64 text that encodes only the value's own bytes)."""
    v = value.encode()
    out = {"utf-8": [v], "utf-16le": [value.encode("utf-16-le")], "utf-16be": [value.encode("utf-16-be")], "base64": []}
    for j in range(3):
        sub = v[j:]
        sub = sub[: len(sub) // 3 * 3]
        if len(sub) >= 6:
            out["base64"].append(base64.b64encode(sub))
    return out


def sweep(root, values):
    """Every (file, value, form) found; and the files searched."""
    found, searched = [], []
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue
            data = open(path, "rb").read()
            searched.append(os.path.relpath(path, root))
            for value in values:
                for form, needles in forms(value).items():
                    if any(n in data for n in needles):
                        found.append((os.path.relpath(path, root), value, form))
    return found, searched


def test_the_search_finds_every_form(tmp_path):
    value = ID_PLAIN
    for form, needles in forms(value).items():
        for k, needle in enumerate(needles):
            d = tmp_path / f"{form}-{k}"
            d.mkdir()
            if form == "base64":
                # Hide the value inside a longer base64 text at each alignment.
                (d / "f").write_bytes(b"x" + base64.b64encode(b"ab"[:k] + value.encode() + b"tail") + b"y")
            else:
                (d / "f").write_bytes(b"\x00junk" + needle + b"junk")
            found, searched = sweep(d, [value])
            assert searched == ["f"]
            assert (("f", value, form) in found), f"the sweep missed {form} #{k}"
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "f").write_bytes(b"nothing to see " + MOBILE[:6].encode())
    assert sweep(clean, [value, MOBILE]) == ([], ["f"])


def open_spool(site):
    server = KEMKey.from_pyca_cryptography_key(load_pem_private_key((site.root / "server.key").read_bytes(), password=None))
    device = KEMKey.from_pyca_cryptography_key(load_pem_public_key((site.root / "devices" / f"{site.device}.pem").read_bytes()))
    return [json.loads(hpke_open(json.loads(row[2]), server, device)) for row in site.spool_rows()]


def test_no_personal_value_on_disk_in_logs_or_at_the_server(site: Site):
    site.write_config(redact=REDACT)
    gw = site.start_gateway()
    site.scan(*LABELS)
    site.wait_spooled(len(LABELS))
    gw.kill()  # kill -9: the -wal and -shm files stay as they are
    gw.wait()
    for f in ("spool.db", "spool.db-wal", "spool.db-shm", "gatewayd.log"):
        assert (site.root / f).exists(), f"{f} must exist for the sweep to mean anything"

    found, searched = sweep(site.root, SECRETS)
    assert {"spool.db", "spool.db-wal", "spool.db-shm", "gatewayd.log"} <= set(searched)
    assert found == [], f"personal values in the clear: {found}"

    # An independent HPKE implementation opens the spooled envelopes to the redacted events.
    events = open_spool(site)
    assert len(events) == len(LABELS)
    by_label = dict(zip(range(len(LABELS)), events))
    assert by_label[0]["redactions"] == ["prc-id"] and by_label[0]["text"].startswith("ACME-1001 claimant pn:")
    assert by_label[1]["text"] == "ACME-1002 tel 138****5678 alt +86*******5678"
    assert by_label[2]["text"] == "ACME-1003 card ************1111 / ***************0004"
    assert by_label[3]["redactions"] == ["email"]
    assert by_label[4]["redactions"] == ["prc-id", "phone"]
    gs1 = by_label[5]
    assert [e["ai"] for e in gs1["decoded"]["gs1"]] == ["01", "91"]
    assert gs1["decoded"]["gs1"][1]["value"] == "TEL138****5678"
    assert gs1["decoded"]["gs1"][0]["value"] == "04006381333931", "the GTIN is tag data: untouched"
    payload = json.loads(by_label[6]["text"])
    assert "name" not in payload["owner"] and payload["owner"]["phone"] == "136****2222"
    assert payload["owner"]["ids"][0].startswith("pn:") and by_label[6]["redactions"] == ["owner-name", "prc-id", "phone"]
    for e in events:
        if e.get("raw") is not None:
            assert base64.b64decode(e["raw"]).decode() == e["text"], "raw is the redacted text"
    # The same person gives the same pseudonym wherever they appear (the server joins on it).
    assert by_label[0]["text"].split()[-1] == open_spool(site)[0]["text"].split()[-1]

    # Now deliver: a restarted gateway, the server up, more of the same scans.
    site.start_server()
    gw = site.start_gateway()
    site.scan(*LABELS)
    got = site.wait_events(2 * len(LABELS))
    assert len(got) == 2 * len(LABELS)
    texts = [e.get("text") for e in got]
    assert sum(1 for t in texts if t and "138****5678" in t) == 4, "two labels carry the number, each scanned twice"
    gw.terminate()
    gw.wait(timeout=20)
    site.stop_server()

    found, searched = sweep(site.root, SECRETS)
    assert "cases.db" in searched and "server.log" in searched
    assert found == [], f"personal values in the clear after delivery: {found}"

    # Key material never reaches a log line: not the PEM bodies, not the site key, not as hex.
    material = [(site.root / "site.key").read_text().strip()]
    for key in ("device.key", "server.key"):
        material += [l for l in (site.root / key).read_text().splitlines() if l and not l.startswith("-----")]
    material.append(base64.b64decode(material[0]).hex())
    for log in ("gatewayd.log", "server.log"):
        text = (site.root / log).read_text()
        assert text, f"{log} must not be empty for this check to mean anything"
        for m in material:
            assert m not in text and m.lower() not in text.lower(), f"key material in {log}"


def test_explain_shows_each_rule_and_the_result(site: Site, tmp_path):
    config = site.write_config(redact=REDACT)
    sample = tmp_path / "sample.txt"
    sample.write_text(f"ACME-1 tel {MOBILE} id {ID_PLAIN}\n")
    r = site.run([GATEWAYD, "redact", "--explain", "--config", str(config), str(sample)])
    out = r.stdout
    assert f'phone — mask (keep first 3, last 4) — text (mobile_cn): "{MOBILE}" → "138****5678"' in out, out
    assert f'prc-id — hash (site-keyed pseudonym) — text (prc_id): "{ID_PLAIN}" → "pn:' in out, out
    assert "did nothing here:" in out and "owner-name" in out
    assert '"redactions" : [\n    "prc-id",\n    "phone"\n  ]' in out, out

    # A JSON capture event as the sample; --json for machines.
    event = {"v": 1, "id": "x", "device": "term-1", "seq": 1, "reader": "r", "captured_at": "2026-01-01T10:07:31.250Z",
             "monotonic_ns": 1, "raw": base64.b64encode(b"ACME-9").decode(), "text": "ACME-9",
             "tag": {"class": "subject", "subject": "9"}, "operator": "OP-0042",
             "location": {"lat": 31.230416, "lon": 121.473701}}
    sample.write_text(json.dumps(event))
    r = site.run([GATEWAYD, "redact", "--explain", "--json", "--config", str(config), str(sample)])
    rep = json.loads(r.stdout)
    assert [s["rule"] for s in rep["steps"]] == ["badge", "location"]
    assert rep["event"]["operator"].startswith("pn:")
    assert rep["event"]["location"] == {"fix": "2d", "lat": 31.2304, "lon": 121.4737, "accuracy_m": rep["event"]["location"]["accuracy_m"]}


def test_loose_or_foreign_secrets_are_refused_with_the_fix(site: Site):
    config = site.write_config()
    os.chmod(site.root / "site.key", 0o640)
    r = site.run([GATEWAYD, "--config", str(config)], check=False)
    assert r.returncode == 78
    assert "site.key" in r.stderr and "chmod 600" in r.stderr, r.stderr
    os.chmod(site.root / "site.key", 0o600)
    if os.geteuid() == 0:
        os.chown(site.root / "device.key", 65534, 65534)
        r = site.run([GATEWAYD, "--config", str(config)], check=False)
        assert r.returncode == 78
        assert "owned by uid 65534" in r.stderr and "chown" in r.stderr, r.stderr
        os.chown(site.root / "device.key", 0, 0)
    os.unlink(site.root / "site.key")
    r = site.run([GATEWAYD, "--config", str(config)], check=False)
    assert r.returncode == 78 and "gatewayd keygen --site-key" in r.stderr, r.stderr
    for log in ("gatewayd.log",):
        assert not (site.root / log).exists() or "BEGIN PRIVATE KEY" not in (site.root / log).read_text()


def test_server_key_rotation_switches_at_next_from(site: Site):
    """The gateway seals to the next server key from `next_from` on (and to the current one
    before); the envelopes name the key; a server holding both keys accepts both."""
    site.run([GATEWAYD.replace("gatewayd", "case-server"), "keygen", "--out", str(site.root / "next.key")])
    current_pub = load_pem_public_key((site.root / "server.key.pub").read_bytes())
    current_id = hashlib.sha256(current_pub.public_bytes(Encoding.Raw, PublicFormat.Raw)).digest()[:8].hex()
    for n, (when, expect) in enumerate((("2099-01-01T00:00:00Z", current_id), ("2020-01-01T00:00:00Z", "k2")), start=1):
        text = site.write_config().read_text().replace(
            "[spool]", f'next_public_key = "{site.root / "next.key.pub"}"\nnext_key_id = "k2"\nnext_from = "{when}"\n[spool]')
        (site.root / "gatewayd.toml").write_text(text)
        gw = site.start_gateway()
        site.scan(f"ACME-{n}")
        site.wait_spooled(n)
        gw.kill()
        gw.wait()
        assert json.loads(site.spool_rows()[-1][2])["key_id"] == expect
    site.start_server(extra=("--private-key", f"k2={site.root / 'next.key'}"))
    gw = site.start_gateway()
    events = site.wait_events(2)
    assert sorted(e["text"] for e in events) == ["ACME-1", "ACME-2"]
    assert site.events()["rejected"] == 0
    gw.terminate()
    gw.wait(timeout=20)
