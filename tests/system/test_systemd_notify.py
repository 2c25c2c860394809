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
