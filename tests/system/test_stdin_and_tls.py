"""The line reader on stdin, and TLS verification of the case server."""
import subprocess

from harness import GATEWAYD, Site, texts, wait_for


def test_stdin_reader_delivers_and_the_daemon_keeps_forwarding_after_eof(site):
    site.write_config(readers=[{"id": "stdin", "kind": "line", "path": "-"}])
    site.start_server()
    log = open(site.root / "gatewayd.log", "ab")
    gw = subprocess.Popen([GATEWAYD, "--config", str(site.root / "gatewayd.toml")], stdin=subprocess.PIPE,
                          stdout=log, stderr=log)
    site.procs.append(gw)
    gw.stdin.write(b"ACME-1\nACME-2\r\nACME-3\n")
    gw.stdin.close()  # end of input: the reader stops, the daemon does not
    events = site.wait_events(3)
    assert sorted(texts(events)) == ["ACME-1", "ACME-2", "ACME-3"]
    wait_for(lambda: "reader stopped" in site.log(), 10, "the stdin reader to stop at end of input")
    assert gw.poll() is None, "the forwarder keeps running after stdin ends"


def test_server_certificate_from_another_ca_is_refused(site, tmp_path_factory):
    other = tmp_path_factory.mktemp("other-ca")
    from harness import ROOT
    subprocess.run([str(ROOT / "scripts" / "make-pki.sh"), str(other)], check=True)
    cfg = site.write_config()
    cfg.write_text(cfg.read_text().replace(str(site.root / "pki" / "ca.pem"), str(other / "ca.pem")))
    site.start_server()
    site.start_gateway()
    site.scan("ACME-1")
    wait_for(lambda: "delivery failed; retrying later" in site.log() and "TLS" in site.log(), 20,
             "the TLS failure to be reported")
    assert site.events()["events"] == []
    assert len(site.spool_rows()) == 1, "the scan waits in the spool"
