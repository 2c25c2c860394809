"""The serial reader on a pty pair: raw mode, line framing, disconnect and reconnect."""
import os
import time

from harness import texts, wait_for


def make_pty(link):
    master, slave = os.openpty()
    name = os.ttyname(slave)
    os.close(slave)  # gatewayd opens the slave itself
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(name, link)
    return master


def start_with_pty(site, **reader):
    """A pty behind a stable symlink, gatewayd reading it; returns (master fd, link)."""
    link = str(site.root / "ttyScanner")
    master = make_pty(link)
    site.write_config(readers=[{"id": "serial0", "kind": "serial", "path": link, **reader}])
    site.start_server()
    site.start_gateway()
    wait_for(lambda: "reader connected" in site.log(), 10, "serial reader to open the pty")
    return master, link


def test_serial_reader_reads_lines_split_writes_and_reconnects(site):
    master, link = start_with_pty(site, baud=9600)
    # CRLF, CR and LF endings; a label split over several writes.
    os.write(master, b"ACME-1\r\nACME-2\rACME-3\n")
    for piece in (b"AC", b"ME", b"-4", b"\r", b"\n"):
        os.write(master, piece)
        time.sleep(0.05)
    events = site.wait_events(4)
    assert sorted(texts(events)) == ["ACME-1", "ACME-2", "ACME-3", "ACME-4"]

    # Unplug: the writer side goes away. gatewayd must report it and not crash.
    os.close(master)
    wait_for(lambda: "reader disconnected" in site.log(), 10, "disconnect to be noticed")
    assert site.gateway.poll() is None
    # Plug back in (a new pty behind the same stable path).
    master = make_pty(link)
    wait_for(lambda: site.log().count("reader connected") >= 2, 10, "reconnect")
    os.write(master, b"ACME-5\n")
    events = site.wait_events(5)
    assert sorted(texts(events)) == ["ACME-1", "ACME-2", "ACME-3", "ACME-4", "ACME-5"]
    os.close(master)


def test_serial_noise_is_not_a_crash_and_long_lines_are_cut_off(site):
    master, _ = start_with_pty(site, max_line=32)
    os.write(master, b"X" * 5000 + b"\nACME-7\n")
    events = site.wait_events(1)
    assert texts(events) == ["ACME-7"]
    log = site.log()
    assert "discarded a line longer than max_line" in log and "length=5000" in log
    assert "XXXXXXXX" not in log, "scanned content never reaches the log"
    os.close(master)
