"""Insurers notified for real (issue 25, item 4): scans through a real gatewayd open cases at a
real case-server whose policy gives two insurers a webhook (and a third none); a fake insurer on
loopback answers every notification first 503 (Retry-After), then hangs past the server's
timeout, then 400, then accepts. It verifies every request with the Python docs/insurers.md
gives receivers (run from the document) and acts once per Idempotency-Key. The dispatching case-server is killed with -9 while
a request hangs, and restarted. Every (case, insurer) notification must arrive, verified, under
one key, acted on once, and none may fail. Counts only, no timings.
"""
import http.server
import json
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request

from harness import CASE_SERVER, ROOT, free_port, wait_for

HANG_S = 4          # longer than the server's timeout_ms below
STAFF_TOKEN = "staff-token-for-the-webhook-test-01"
NORTH_TOKEN = "north-token-for-the-webhook-test-01"


def documented_verify():
    """The receiver's check exactly as docs/insurers.md gives it (its ```python block)."""
    text = (ROOT / "docs" / "insurers.md").read_text()
    ns = {}
    exec(text.split("```python\n", 1)[1].split("```", 1)[0], ns)
    return ns["verify"]


verify = documented_verify()


class FakeInsurer:
    """One loopback HTTP server for every insurer (/north, /harbour). Per Idempotency-Key: the
    1st request is answered 503 with Retry-After: 1, the 2nd hangs, the 3rd gets 400, later
    ones 200; the first accepted request of a key is acted on, later ones only counted."""

    def __init__(self, secrets):
        self.secrets = secrets
        self.lock = threading.Lock()
        self.requests = 0
        self.bad_signatures = 0
        self.hanging = 0
        self.attempts = {}      # key -> requests seen
        self.bodies = {}        # key -> set of bodies seen
        self.acted = {}         # key -> payload acted on
        self.accepted = {}      # key -> 200s answered
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                insurer = self.path.strip("/")
                secret = fake.secrets.get(insurer)
                sig = self.headers.get("Gatewayd-Signature", "")
                key = self.headers.get("Idempotency-Key", "")
                with fake.lock:
                    fake.requests += 1
                    ok = secret is not None and key and verify(sig, body, secret)
                    if not ok:
                        fake.bad_signatures += 1
                    else:
                        n = fake.attempts[key] = fake.attempts.get(key, 0) + 1
                        fake.bodies.setdefault(key, set()).add(body)
                if not ok:
                    return self.answer(401, b'{"error":"bad signature"}')
                if n == 1:
                    return self.answer(503, b"busy", {"Retry-After": "1"})
                if n == 2:
                    with fake.lock:
                        fake.hanging += 1
                    time.sleep(HANG_S)
                    with fake.lock:
                        fake.hanging -= 1
                    return  # no answer at all; the connection closes
                if n == 3:
                    return self.answer(400, b'{"error":"try again"}')
                payload = json.loads(body)
                assert payload["insurer"] == insurer
                with fake.lock:
                    fake.accepted[key] = fake.accepted.get(key, 0) + 1
                    if key not in fake.acted:
                        fake.acted[key] = payload
                self.answer(200, b'{"ok":true}')

            def answer(self, status, body, headers=None):
                try:
                    self.send_response(status)
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def snapshot(self):
        with self.lock:
            return {"requests": self.requests, "acted": dict(self.acted), "hanging": self.hanging,
                    "attempts": dict(self.attempts), "bodies": {k: set(v) for k, v in self.bodies.items()},
                    "accepted": dict(self.accepted), "bad": self.bad_signatures}

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def case_server(site, *args, check=True):
    return subprocess.run([CASE_SERVER, *args, "--db", str(site.root / "cases.db")], check=check,
                          capture_output=True, text=True)


def post_progress(site, ref, body, token):
    ctx = ssl.create_default_context(cafile=str(site.root / "pki" / "ca.pem"))
    req = urllib.request.Request(f"https://127.0.0.1:{site.server_port}/v1/cases/{ref}/progress",
                                 data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_every_insurer_is_notified_once_per_key_across_a_kill_9(site):
    secrets = {"north": b"north-secret-" + b"n" * 40, "harbour": b"harbour-secret-" + b"h" * 40}
    fake = FakeInsurer(secrets)
    try:
        for name, secret in secrets.items():
            (site.root / f"{name}.secret").write_bytes(secret + b"\n")
        (site.root / "north.token").write_text(NORTH_TOKEN + "\n")
        (site.root / "staff.token").write_text(STAFF_TOKEN + "\n")
        url = f"http://127.0.0.1:{fake.port}"
        (site.root / "policy.toml").write_text(f"""
[[insurer]]
id = "north"
name = "Northern Mutual"
webhook_url = "{url}/north"
secret_file = "north.secret"
token_file = "north.token"
[[insurer]]
id = "harbour"
name = "Harbour Re"
webhook_url = "{url}/harbour"
secret_file = "harbour.secret"
[[insurer]]
id = "quiet"
name = "Quiet Mutual"

[[coverage]]
subjects = ["1002*"]
insurers = ["north", "harbour", "quiet"]

[webhooks]
timeout_ms = 1000
backoff_base_ms = 200
backoff_cap_ms = 1000
max_attempts = 50
""")
        extra = ["--policy", str(site.root / "policy.toml"), "--staff-token-file", str(site.root / "staff.token")]
        site.start_server(extra=extra)
        site.write_config()
        site.start_gateway()
        subjects = [f"1002{i:02d}" for i in range(1, 6)]
        site.scan(*[f"ACME-{s}" for s in subjects])
        site.wait_events(len(subjects))

        # Kill the dispatching server while one of its requests hangs: that notification is
        # claimed and unanswered, the others somewhere in their 503 / hang / 400 script.
        wait_for(lambda: fake.snapshot()["hanging"] > 0, 60, "a notification request hanging")
        before = fake.snapshot()
        assert len(before["acted"]) < 2 * len(subjects), "the kill is to come before the notifications are through"
        site.server.kill()
        site.server.wait()
        site.start_server(extra=extra)

        cases = json.loads(case_server(site, "cases", "--json").stdout)
        assert sorted(c["subject"] for c in cases) == subjects
        refs = {c["ref"]: c["subject"] for c in cases}
        first = cases[0]["ref"]
        # The handler moves a case on: both insurers with a webhook are told again.
        case_server(site, "progress", first, "assessor_assigned", "Assessor at 14:00")

        expected = {(ref, ins, "opened") for ref in refs for ins in ("north", "harbour")}
        expected |= {(first, ins, "state_changed") for ins in ("north", "harbour")}

        def acted():
            return {(p["case"], p["insurer"], p["event"]) for p in fake.snapshot()["acted"].values()}
        wait_for(lambda: acted() >= expected, 180, "every notification acted on")
        # Nothing left to send: every row delivered, none pending or failed.
        wait_for(lambda: all(" delivered " in l for l in case_server(site, "notifications").stdout.splitlines()[1:]),
                 60, "every notification recorded as delivered")

        s = fake.snapshot()
        assert s["bad"] == 0, "every request carried a valid signature"
        assert acted() == expected, "nothing else was sent (quiet has no webhook)"
        # One key per (case, insurer, event), the same body on every attempt, acted on once.
        keys_of = {}
        for key, p in s["acted"].items():
            keys_of.setdefault((p["case"], p["insurer"], p["event"]), []).append(key)
            assert p["subject"] == refs[p["case"]] and p["schema"] == "acme"
            assert len(s["bodies"][key]) == 1, f"{key} was sent with different bodies"
            assert s["attempts"][key] >= 4, "503, the hang and 400 came before the acceptance"
        assert all(len(k) == 1 for k in keys_of.values()), keys_of
        assert set(s["attempts"]) == set(s["acted"]), "no key was sent that was not acted on"
        assert len(s["acted"]) == len(expected) == 12

        listing = case_server(site, "notifications").stdout.splitlines()
        assert len(listing) == 1 + len(expected) and not any(" failed " in l or " pending " in l for l in listing)
        table = case_server(site, "cases").stdout
        assert table.count("north: delivered; harbour: delivered; quiet: not sent") == len(subjects), table
        log = site.log("server")
        assert "insurer notified" in log and "insurer notification deferred" in log
        assert not any(subj in line for line in log.splitlines() for subj in subjects if "insurer" in line), \
            "the subject stays out of the notification log lines"

        # The insurer reports back with its own token: its own state only.
        assert post_progress(site, first, {"state": "acknowledged", "insurer": "north"}, NORTH_TOKEN) == 200
        assert post_progress(site, first, {"state": "declined", "insurer": "harbour"}, NORTH_TOKEN) == 403
        assert post_progress(site, first, {"state": "closed"}, NORTH_TOKEN) == 403
        status = json.loads(case_server(site, "cases", "--json").stdout)[0]
        assert [(i["id"], i["state"]) for i in status["insurers"]] == \
            [("north", "acknowledged"), ("harbour", "notified"), ("quiet", "notified")]
    finally:
        fake.close()


def test_a_failed_notification_is_shown_and_retried_by_command(site):
    """An insurer that never answers but 503 is given up on after max_attempts; `cases` shows
    the reason; `notifications retry` queues it again under the same key and it arrives once the
    insurer accepts."""
    secret = b"s" * 32
    state = {"accept": False, "keys": [], "acted": set()}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            assert verify(self.headers["Gatewayd-Signature"], body, secret)
            with lock:
                state["keys"].append(self.headers["Idempotency-Key"])
                accept = state["accept"]
                if accept:
                    state["acted"].add(self.headers["Idempotency-Key"])
            self.send_response(200 if accept else 503)
            self.send_header("Content-Length", "0")
            self.end_headers()

    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        (site.root / "north.secret").write_bytes(secret)
        (site.root / "policy.toml").write_text(f"""
[[insurer]]
id = "north"
webhook_url = "http://127.0.0.1:{port}/north"
secret_file = "north.secret"
[[coverage]]
subjects = ["1002*"]
insurers = ["north"]
[webhooks]
timeout_ms = 1000
backoff_base_ms = 50
backoff_cap_ms = 100
max_attempts = 3
""")
        site.start_server(extra=["--policy", str(site.root / "policy.toml")])
        site.write_config()
        site.start_gateway()
        site.scan("ACME-100234")
        site.wait_events(1)
        wait_for(lambda: "north: failed: HTTP 503; gave up after 3 attempts" in case_server(site, "cases").stdout, 60,
                 "the notification failed with its reason")
        with lock:
            assert len(state["keys"]) == 3 and len(set(state["keys"])) == 1
            state["accept"] = True
        ref = json.loads(case_server(site, "cases", "--json").stdout)[0]["ref"]
        bad = case_server(site, "notifications", "retry", "--case", "RC-0000000000", check=False)
        assert bad.returncode == 1 and "nothing failed" in bad.stderr
        out = case_server(site, "notifications", "retry", "--case", ref, "--insurer", "north").stdout
        assert "1 failed notification queued again" in out
        wait_for(lambda: "north: delivered" in case_server(site, "cases").stdout, 60, "the retried notification")
        with lock:
            assert state["acted"] == {state["keys"][0]} and len(state["keys"]) == 4
    finally:
        server.shutdown()
        server.server_close()
