"""The OpenAPI document is valid, and what gatewayd and case-server really exchange matches it:
envelopes from a real spool, the server's answer, and the opened events (with decoded models
and misreads)."""
import json
import ssl
import urllib.error
import urllib.request
from pathlib import Path

import jsonschema
import yaml
from openapi_spec_validator import validate

from harness import ROOT, wait_for

SPEC = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())


def schema(name):
    return {"$ref": f"#/components/schemas/{name}", "components": SPEC["components"]}


def test_spec_is_valid_openapi():
    validate(SPEC)


def test_real_traffic_matches_the_spec(site):
    site.write_config()
    gw = site.start_gateway()
    site.scan("]C10109506000134352\x1d10LOT", "]C10109506000134353", "3074257BF7194E4000001A85", "ACME-1")
    site.wait_spooled(4)
    gw.kill()
    gw.wait()
    batch = {"envelopes": [json.loads(row[2]) for row in site.spool_rows()]}
    jsonschema.validate(batch, schema("EnvelopeBatch"))
    site.start_server()
    ctx = ssl.create_default_context(cafile=str(site.root / "pki" / "ca.pem"))
    req = urllib.request.Request(f"https://127.0.0.1:{site.server_port}/v1/envelopes", data=json.dumps(batch).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        answer = json.load(r)
    jsonschema.validate(answer, schema("EnvelopeResults"))
    assert [x["status"] for x in answer["results"]] == ["accepted"] * 4
    events = site.events()["events"]
    assert len(events) == 4
    for e in events:
        jsonschema.validate(e, schema("CaptureEvent"))
    formats = sorted(e.get("decoded", {}).get("format", "misread") for e in events)
    assert formats == ["epc", "gs1", "misread", "text"]
    # The subject scan (ACME-1) opened a case; every accepted scan got guidance, each distinct
    # entry written once in the document's list and named by index.
    table = answer["guidance"]
    assert all(0 <= x["guidance_ref"] < len(table) for x in answer["results"])
    assert len({json.dumps(g, sort_keys=True) for g in table}) == len(table), "each entry once"
    [opened] = [x["case"] for x in answer["results"] if "case" in x]
    assert opened["opened"] is True
    with urllib.request.urlopen(f"https://127.0.0.1:{site.server_port}/v1/cases/{opened['ref']}", context=ctx, timeout=10) as r:
        case = json.load(r)
    jsonschema.validate(case, schema("CaseStatus"))
    assert (case["ref"], case["subject"], case["schema"], case["final"]) == (opened["ref"], "1", "acme", False)
    try:
        urllib.request.urlopen(f"https://127.0.0.1:{site.server_port}/v1/cases/RC-NOSUCHCASE", context=ctx, timeout=10)
        raise AssertionError("an unknown case must be 404")
    except urllib.error.HTTPError as e:
        assert e.code == 404
