"""Hostile clients, for test_hostile_clients.py and bench/hostile_flood.py (issue 25, item 5).

Each comes from an address of its own: all of 127.0.0.0/8 is loopback, so binding the client's
end to 127.0.0.2, .3, … lets the server tell the attacker from the real gatewayd (127.0.0.1), as
it would on a network.
"""
import base64
import http.client
import json
import os
import select
import socket
import ssl
import time

SUITE = "HPKE-Auth-X25519-SHA256-AES256GCM-Export"


def tls_context(site):
    return ssl.create_default_context(cafile=str(site.root / "pki" / "ca.pem"))


def junk_envelopes(device, key_id, n, first=0):
    """n envelopes under `device` that reach the DH and fail it: the server's key id, the
    suite, an enc of the right length (32 random bytes, a point X25519 takes), random ct."""
    return [{
        "id": f"junk-{first + i}", "device": device, "seq": 10**9 + first + i,
        "sealed_at": "2026-01-01T00:00:00.000Z", "suite": SUITE, "key_id": key_id,
        "enc": base64.b64encode(os.urandom(32)).decode(), "ct": base64.b64encode(os.urandom(160)).decode(),
    } for i in range(n)]


class Client:
    """One keep-alive HTTPS connection from `source`; reconnects when the server closed it."""

    def __init__(self, site, source):
        self.site, self.source, self.conn = site, source, None

    def post(self, body: bytes, path="/v1/envelopes"):
        """(status, headers, parsed JSON body or raw text); status 0 if the connection failed."""
        for _ in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(
                    "127.0.0.1", self.site.server_port, context=tls_context(self.site),
                    source_address=(self.source, 0), timeout=60)
            try:
                self.conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
                r = self.conn.getresponse()
                text = r.read()
                try:
                    doc = json.loads(text)
                except ValueError:
                    doc = text.decode(errors="replace")
                return r.status, dict(r.getheaders()), doc
            except (OSError, http.client.HTTPException):
                self.close()
        return 0, {}, None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def server_key_id(site, device, source="127.0.0.9"):
    """The server's key id, from the `server_key_ids` of its answer to one junk envelope."""
    c = Client(site, source)
    status, _, doc = c.post(json.dumps({"envelopes": junk_envelopes(device, "nobody", 1)}).encode())
    c.close()
    assert status == 200, (status, doc)
    return doc["server_key_ids"][0]


def flood(site, device, key_id, total, batch=500, source="127.0.0.2"):
    """`total` junk envelopes in batches of `batch`, one request after another on one
    connection. Returns the statuses in order and how many envelopes were answered 200."""
    c = Client(site, source)
    statuses, opened = [], 0
    for first in range(0, total, batch):
        body = json.dumps({"envelopes": junk_envelopes(device, key_id, min(batch, total - first), first)}).encode()
        status, headers, doc = c.post(body)
        statuses.append((status, headers.get("Retry-After"), doc.get("throttled") if isinstance(doc, dict) else None))
        if status == 200:
            opened += len(doc["results"])
    c.close()
    return statuses, opened


def tls_connect(site, source, timeout=10, wait_for_slot=30):
    """A TLS connection from `source`. A connection over the server's bound is closed at
    accept, so its handshake fails: that is retried for up to `wait_for_slot` seconds, because
    the slots an earlier step's clients held come back only once the server has seen each
    close, a little after the client's close() returned."""
    deadline = time.monotonic() + wait_for_slot
    while True:
        raw = socket.create_connection(("127.0.0.1", site.server_port), timeout=timeout, source_address=(source, 0))
        try:
            return tls_context(site).wrap_socket(raw, server_hostname="127.0.0.1")
        except (ConnectionResetError, ssl.SSLEOFError, BrokenPipeError):
            raw.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def closed_by_server(sock, wait):
    """Whether the server closed `sock` within `wait` seconds (EOF or reset on reading)."""
    r, _, _ = select.select([sock], [], [], wait)
    if not r:
        return False
    try:
        return sock.recv(4096) == b""
    except (ssl.SSLError, OSError):
        return True


def slowloris(site, source="127.0.0.6", interval=0.2):
    """A request head sent a byte at a time. Returns (bytes sent, head length, closed by the
    server): the server must cut it before the head is complete."""
    head = (b"POST /v1/envelopes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"X-Padding: " + b"a" * 400 + b"\r\nContent-Length: 2\r\n\r\n")
    s = tls_connect(site, source)
    sent = 0
    try:
        for i in range(len(head)):
            try:
                s.sendall(head[i:i + 1])
            except (ssl.SSLError, OSError):
                return sent, len(head), True
            sent += 1
            if closed_by_server(s, interval):
                return sent, len(head), True
        return sent, len(head), False
    finally:
        s.close()


def idle_keep_alive(site, source="127.0.0.7", wait=60):
    """One request on a keep-alive connection, then silence: (status line, closed by the server)."""
    s = tls_connect(site, source)
    try:
        s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = b""
        while b"ok\n" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
        return answer.split(b"\r\n", 1)[0].decode(), closed_by_server(s, wait)
    finally:
        s.close()


def many_connections(site, n, source="127.0.0.8"):
    """Opens n connections at once, then tries a TLS handshake on each: (handshakes that
    succeeded, that failed). The sockets are closed before returning."""
    raws = [socket.create_connection(("127.0.0.1", site.server_port), timeout=10, source_address=(source, 0))
            for _ in range(n)]
    time.sleep(0.5)  # let the server accept them all before any handshake frees a slot
    ok, refused, held = 0, 0, []
    ctx = tls_context(site)
    for raw in raws:
        try:
            held.append(ctx.wrap_socket(raw, server_hostname="127.0.0.1"))
            ok += 1
        except (ssl.SSLError, OSError):
            refused += 1
            raw.close()
    for s in held:
        s.close()
    return ok, refused


def proc_figures(pid):
    """(CPU seconds, user + system, and RSS in MiB) of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024
    return cpu, rss
