"""Type=notify: READY, STATUS and WATCHDOG datagrams on $NOTIFY_SOCKET, as systemd sees them."""
import os
import socket

from harness import wait_for


def test_ready_status_and_watchdog_pings(site):
    path = str(site.root / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    site.write_config()
    site.start_server()
    # WatchdogSec=1 → pings every 0.5 s.
    site.start_gateway(env_extra={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"})
    first = sock.recv(4096).decode()
    assert first.startswith("READY=1\nSTATUS=") and "waiting" in first, first
    site.scan("ACME-1")
    site.wait_events(1)
    pings = [sock.recv(4096).decode() for _ in range(4)]
    assert all(p.startswith("WATCHDOG=1\nSTATUS=") for p in pings), pings
    wait_for(lambda: "forwarder closed" in sock.recv(4096).decode(), 10, "a status with the forwarder's circuit")
    site.gateway.terminate()
    site.gateway.wait(timeout=20)
    rest = []
    try:
        while True:
            rest.append(sock.recv(4096).decode())
    except socket.timeout:
        pass
    assert "STOPPING=1" in rest, rest
    sock.close()


def test_watchdog_for_another_pid_is_ignored(site):
    path = "@gatewayd-test-" + str(os.getpid())
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + path[1:])  # abstract namespace, as systemd may use
    sock.settimeout(15)
    site.write_config()
    site.start_gateway(env_extra={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"})
    assert sock.recv(4096).decode().startswith("READY=1")
    later = sock.recv(4096).decode()  # STATUS every 10 s without a watchdog of our own
    assert later.startswith("STATUS=") and "WATCHDOG" not in later, later
    sock.close()


def test_reload_tells_systemd_reloading_then_ready(site):
    import signal
    path = str(site.root / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    site.write_config()
    site.start_server()
    site.start_gateway(env_extra={"NOTIFY_SOCKET": path})
    assert sock.recv(4096).decode().startswith("READY=1")
    site.gateway.send_signal(signal.SIGHUP)
    msgs = []
    wait_for(lambda: msgs.append(sock.recv(4096).decode()) or any(m == "READY=1" for m in msgs), 10, "READY after the reload")
    reloading = [m for m in msgs if m.startswith("RELOADING=1")]
    assert reloading and "MONOTONIC_USEC=" in reloading[0], msgs
    assert msgs.index(reloading[0]) < msgs.index("READY=1")


def test_journald_gets_one_line_per_event_with_its_priority(site):
    """Under systemd stderr is the journal ($JOURNAL_STREAM names it): each event is one line
    that starts with <priority> (sd-daemon(3)), which journald turns into PRIORITY."""
    import re
    import subprocess
    from harness import GATEWAYD
    site.write_config()  # no server: delivery fails, which logs warnings
    err = open(site.root / "journal.txt", "wb")
    st = os.fstat(err.fileno())
    env = dict(os.environ, RUNTIME_DIRECTORY=str(site.root / "run"), JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    gw = subprocess.Popen([GATEWAYD, "--config", str(site.root / "gatewayd.toml")], stdout=err, stderr=err, env=env)
    site.procs.append(gw)
    site.scan("ACME-1", "call 13812345678")
    journal = site.root / "journal.txt"
    wait_for(lambda: "delivery failed" in journal.read_text(), 20, "a delivery failure")
    gw.terminate()
    gw.wait(timeout=20)
    lines = journal.read_text().splitlines()
    assert lines and all(re.match(r"^<[2-7]>\S", l) for l in lines), [l for l in lines if not re.match(r"^<[2-7]>", l)]
    assert any(l.startswith("<6>gatewayd ready") for l in lines)
    assert any(l.startswith("<4>delivery failed") for l in lines)
    assert not any(re.match(r"^<\d>\d{4}-\d\d-\d\d", l) for l in lines), "journald keeps its own timestamps"
    assert "13812345678" not in journal.read_text()
