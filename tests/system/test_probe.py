"""`gatewayd --probe`: one command that says whether a terminal can deliver scans, and why not."""
import json
import os
import subprocess

from harness import GATEWAYD, wait_for


def probe(site, *extra):
    env = dict(os.environ, RUNTIME_DIRECTORY=str(site.root / "run"))
    return subprocess.run([GATEWAYD, "--probe", "--config", str(site.root / "gatewayd.toml"), *extra],
                          capture_output=True, text=True, env=env)


def test_healthy_terminal_passes_and_says_why(site):
    site.write_config()
    site.start_server()
    site.start_gateway()
    site.scan("ACME-1")
    site.wait_events(1)
    wait_for(lambda: (site.root / "run" / "forwarder.json").exists(), 10, "the forwarder status")
    r = probe(site)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ["config", "device key", "server key", "site key", "spool", "forwarder", "server"]:
        assert any(line.startswith(name) for line in r.stdout.splitlines()), f"no {name} line in\n{r.stdout}"
    assert "an empty batch accepted" in r.stdout and "circuit closed" in r.stdout
    checks = {c["name"]: c for c in json.loads(probe(site, "--json").stdout)}
    assert checks["server"]["status"] == "ok" and checks["spool"]["status"] == "ok"


def test_server_down_and_loose_key_fail_with_the_fix(site):
    site.write_config()
    site.start_gateway()
    site.scan("ACME-1")
    wait_for(lambda: "delivery failed" in site.log(), 20, "a failed delivery")
    r = probe(site, "--json")
    assert r.returncode == 1
    checks = {c["name"]: c for c in json.loads(r.stdout)}
    assert checks["server"]["status"] == "fail" and "refused" in checks["server"]["detail"].lower()
    assert checks["forwarder"]["status"] == "warn" and "circuit open" in checks["forwarder"]["detail"]
    assert "1 waiting" in checks["spool"]["detail"]
    os.chmod(site.root / "device.key", 0o644)
    checks = {c["name"]: c for c in json.loads(probe(site, "--json").stdout)}
    assert checks["device key"]["status"] == "fail" and "chmod 600" in checks["device key"]["detail"]


def test_metrics_port_taken_is_logged_and_scanning_goes_on(site):
    import socket
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    cfg = site.write_config()
    cfg.write_text(cfg.read_text().replace('listen = "127.0.0.1:0"', f'listen = "127.0.0.1:{port}"'))
    site.start_server()
    gw = site.start_gateway()
    site.scan("ACME-1")
    site.wait_events(1)
    wait_for(lambda: "metrics endpoint cannot listen; running without it" in site.log(), 10, "the log line")
    assert gw.poll() is None
    blocker.close()
