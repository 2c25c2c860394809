"""Bad set-up gets a clear error naming the problem and the fix, never a crash."""
import os
import subprocess

from harness import GATEWAYD


def run_gateway(config):
    return subprocess.run([GATEWAYD, "--config", str(config)], capture_output=True, text=True, timeout=30)


def test_config_error_names_the_key(site):
    cfg = site.write_config(extra="[forward]\nbatch_max = \"lots\"\n")
    # A second [forward] table is itself a TOML error; write a clean one instead.
    text = cfg.read_text().replace("backoff_base_ms = 100", "backoff_base_ms = \"fast\"")
    cfg.write_text(text.replace('[forward]\nbatch_max = "lots"\n', ""))
    r = run_gateway(cfg)
    assert r.returncode == 78
    assert "forward.backoff_base_ms" in r.stderr and "integer" in r.stderr


def test_unknown_key_is_reported(site):
    cfg = site.write_config()
    cfg.write_text(cfg.read_text().replace("[spool]", "[spool]\npaht = \"x\""))
    r = run_gateway(cfg)
    assert r.returncode == 78
    assert "spool.paht: unknown key" in r.stderr


def test_missing_config_file(site):
    r = run_gateway(site.root / "nope.toml")
    assert r.returncode == 78
    assert "cannot read config" in r.stderr and "--config" in r.stderr


def test_missing_device_key_says_how_to_make_one(site):
    cfg = site.write_config()
    os.unlink(site.root / "device.key")
    r = run_gateway(cfg)
    assert r.returncode == 78
    assert "gatewayd keygen --out" in r.stderr


def test_key_readable_by_others_is_refused(site):
    cfg = site.write_config()
    os.chmod(site.root / "device.key", 0o644)
    r = run_gateway(cfg)
    assert r.returncode == 78
    assert "chmod 600" in r.stderr


def test_missing_ca_file(site):
    cfg = site.write_config()
    os.unlink(site.root / "pki" / "ca.pem")
    r = run_gateway(cfg)
    assert r.returncode == 78
    assert "server.ca" in r.stderr


def test_overlong_line_on_the_fifo_is_reported_and_the_reader_goes_on(site):
    site.write_config(readers=[{"id": "fifo0", "kind": "line", "path": str(site.fifo), "max_line": 64}])
    site.start_server()
    site.start_gateway()
    site.scan("Y" * 3000, "ACME-9")
    events = site.wait_events(1)
    assert [e["text"] for e in events] == ["ACME-9"]
    assert "length=3000" in site.log()
    assert "YYYY" not in site.log()
