"""SIGHUP reloads the configuration: applied without losing a scan, refused whole (with the
reason, the old one running on) when the new one is bad. Every test counts what went in and
what came out while scans keep flowing through the FIFO."""
import os
import signal
import threading
import time

from harness import texts, wait_for


class Writer(threading.Thread):
    """Writes `n` labels into the FIFO at a steady pace, in whole lines."""

    def __init__(self, site, n, prefix, pace=0.002):
        super().__init__(daemon=True)
        self.site, self.n, self.prefix, self.pace = site, n, prefix, pace
        self.sent = []

    def run(self):
        fd = self.site.open_fifo()
        for i in range(self.n):
            label = f"{self.prefix}-{i:05d}"
            os.write(fd, (label + "\n").encode())
            self.sent.append(label)
            time.sleep(self.pace)


def hup_and_wait(site, gw, count_before, what="configuration reloaded"):
    gw.send_signal(signal.SIGHUP)
    return wait_for(lambda: site.log().count(what) > count_before, 20, what)


def test_reload_under_load_applies_schemas_and_redaction_and_loses_nothing(site):
    cfg = site.write_config()
    base = cfg.read_text()
    with_rule = base + '[[schema]]\nname = "bcme"\npattern = \'BCME-(?<subject>[0-9]+)\'\n'
    site.start_server()
    gw = site.start_gateway()
    wait_for(lambda: "gatewayd ready" in site.log(), 20, "the daemon")
    a = Writer(site, 1500, "ACME")
    b = Writer(site, 1500, "BCME")
    a.start()
    b.start()
    for k in range(6):
        time.sleep(0.4)
        cfg.write_text(with_rule if k % 2 == 0 else base)
        hup_and_wait(site, gw, k)
    cfg.write_text(with_rule)
    hup_and_wait(site, gw, 6)
    a.join()
    b.join()
    sent = a.sent + b.sent
    events = site.wait_events(len(sent), timeout=120)
    got = texts(events)
    print(f"reload-under-load: in={len(sent)} delivered={len(got)} distinct={len(set(got))} reloads=7 lost={len(set(sent) - set(got))}")
    assert set(got) == set(sent) and len(got) == len(sent)
    # The FIFO reader was never closed: one start for the whole run.
    assert site.log().count("reader started") == 1
    # Scans after the last reload are classified by the schema it added.
    late = [e for e in events if e["text"] == "BCME-01499"]
    assert late and late[0]["tag"]["schema"] == "bcme" and late[0]["tag"]["subject"] == "01499"
    assert gw.poll() is None


def test_bad_configs_are_refused_and_the_old_one_keeps_running(site):
    cfg = site.write_config()
    good = cfg.read_text()
    site.start_server()
    gw = site.start_gateway()
    wait_for(lambda: "gatewayd ready" in site.log(), 20, "the daemon")
    bad = [
        ("syntax", good + "[[reader\n", "Error while parsing"),
        ("missing key", good.replace(str(site.root / "device.key"), str(site.root / "no-such.key")), "no-such.key"),
        ("bad schema", good.replace("ACME-(?<subject>[0-9]+)", "ACME-(?<subject>[0-9+)"), "schema"),
        ("device id", good.replace('id = "term-1"', 'id = "term-2"'), "device.id changed"),
    ]
    site.scan("ACME-100")
    site.wait_events(1)
    for k, (what, text, reason) in enumerate(bad):
        cfg.write_text(text)
        line = hup_and_wait(site, gw, k, "reload refused; the running configuration stays")
        refusals = [l for l in site.log().splitlines() if "reload refused" in l]
        assert reason in refusals[k], (what, refusals[k])
        site.scan(f"ACME-{101 + k}")
        site.wait_events(2 + k)
        assert gw.poll() is None
    events = site.events()["events"]
    assert sorted(texts(events)) == [f"ACME-{100 + k}" for k in range(5)]
    assert all(e["device"] == "term-1" and e["tag"]["schema"] == "acme" for e in events)
    assert "configuration reloaded" not in site.log()


def test_reload_switches_server_and_reopens_a_changed_reader_without_loss(site):
    from harness import free_port
    cfg = site.write_config()
    good = cfg.read_text()
    # Start pointed at a port nobody listens on: scans wait in the spool.
    dead = free_port()
    cfg.write_text(good.replace(f"127.0.0.1:{site.server_port}", f"127.0.0.1:{dead}"))
    site.start_server()
    gw = site.start_gateway()
    wait_for(lambda: "gatewayd ready" in site.log(), 20, "the daemon")
    w = Writer(site, 1000, "ACME", pace=0.003)
    w.start()
    time.sleep(0.5)
    # The right server, and the FIFO reader with another max_line: it is reopened while the
    # writer goes on.
    cfg.write_text(good.replace(f'path = "{site.fifo}"', f'path = "{site.fifo}"\nmax_line = 2048'))
    hup_and_wait(site, gw, 0)
    w.join()
    events = site.wait_events(1000, timeout=120)
    got = texts(events)
    print(f"reload-switch: in={len(w.sent)} delivered={len(got)} lost={len(set(w.sent) - set(got))}")
    assert set(got) == set(w.sent) and len(got) == len(w.sent)
    log = site.log()
    assert "line reader closing for new settings" in log and log.count("reader started") == 2
    assert "readers_reopened=[\"fifo0\"]" in log
