"""Process harness for gatewayd system tests: real binaries, real TLS on loopback, real files.

Every test gets its own directory with a throw-away CA, server and device keys, and helpers to
start case-server and gatewayd as child processes and to read what the server stored.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("GATEWAYD_BIN_DIR", ROOT / ".build" / "debug"))
GATEWAYD = str(BIN / "gatewayd")
CASE_SERVER = str(BIN / "case-server")


def toml_value(v):
    """A TOML value: JSON's scalars and arrays are TOML; a dict becomes an inline table."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + "}"
    return json.dumps(v)


def free_port():
    """A free loopback port below the kernel's ephemeral range, for a listener the test must
    know the port of before it starts. A port from `bind(0)` would be an ephemeral one: between
    this check and the listener's bind, another process's `listen = "127.0.0.1:0"` (gatewayd's
    metrics, say) could be handed the same port by the kernel. Below the range, only another
    free_port() could pick it, and the random choice makes that unlikely."""
    import random
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    for _ in range(200):
        port = random.randrange(max(1024, low - 12000), low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def wait_for(predicate, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class Site:
    """One test's world: PKI, keys, config, processes."""

    def __init__(self, root: Path, device="term-1"):
        self.root = root
        self.device = device
        self.procs = []
        # Run by close() before the processes are killed: stops what a helper started that is
        # not in procs itself (gpsfake's gpsd, in gpsfake's process group).
        self.cleanups = []
        self.gateway = None
        self.server = None
        self.server_port = free_port()
        (root / "devices").mkdir()
        subprocess.run([str(ROOT / "scripts" / "make-pki.sh"), str(root / "pki")], check=True)
        self.run([CASE_SERVER, "keygen", "--out", str(root / "server.key")])
        pub = self.run([GATEWAYD, "keygen", "--out", str(root / "device.key")]).stdout
        (root / "devices" / f"{device}.pem").write_text(pub)
        self.run([GATEWAYD, "keygen", "--site-key", str(root / "site.key")])
        self.fifo = root / "scan.fifo"
        os.mkfifo(self.fifo, 0o600)
        self.fifo_fd = None

    def pseudonym(self, value):
        """What the redaction rules' `hash` action makes of `value` (already in its normal form)
        under this site's key: "pn:" + the first 128 bits of HMAC-SHA256, hex (docs/privacy.md)."""
        import base64, hashlib, hmac
        key = base64.b64decode((self.root / "site.key").read_text().strip())
        return "pn:" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]

    @staticmethod
    def run(cmd, check=True):
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    # --- case-server -------------------------------------------------------------------
    def start_server(self, extra=()):
        ready = self.root / "server.ready"
        if ready.exists():
            ready.unlink()
        log = open(self.root / "server.log", "ab")
        self.server = subprocess.Popen(
            [CASE_SERVER, "serve", "--port", str(self.server_port),
             "--cert", str(self.root / "pki" / "server.pem"), "--tls-key", str(self.root / "pki" / "server.key"),
             "--private-key", str(self.root / "server.key"), "--devices", str(self.root / "devices"),
             "--db", str(self.root / "cases.db"), "--ready-file", str(ready), *extra],
            stdout=log, stderr=log)
        self.procs.append(self.server)
        wait_for(lambda: ready.exists() or self.server.poll() is not None, 30, "case-server to listen")
        assert self.server.poll() is None, (self.root / "server.log").read_text()

    def stop_server(self):
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            self.server.wait(timeout=20)

    def events(self):
        if not (self.root / "cases.db").exists():
            return {"events": [], "duplicates": 0, "rejected": 0}
        out = self.run([CASE_SERVER, "events", "--db", str(self.root / "cases.db"), "--json"]).stdout
        return json.loads(out)

    def wait_events(self, n, timeout=60):
        return wait_for(lambda: (lambda e: e if len(e["events"]) >= n else None)(self.events()), timeout,
                        f"{n} events at the server")["events"]

    # --- gatewayd ----------------------------------------------------------------------
    def write_config(self, readers=None, server_public_key=None, device=None, extra="", redact="",
                     backoff_cap_ms=1000):
        """gatewayd's config for this site. backoff_cap_ms: the benches take 200, so a drain starts
        within 0.2 s of the server coming up."""
        if readers is None:
            readers = [{"id": "fifo0", "kind": "line", "path": str(self.fifo)}]
        lines = [
            "[device]", f'id = "{device or self.device}"', f'private_key = "{self.root / "device.key"}"',
            "[server]", f'url = "https://127.0.0.1:{self.server_port}"',
            f'public_key = "{server_public_key or self.root / "server.key.pub"}"',
            f'ca = "{self.root / "pki" / "ca.pem"}"',
            "[spool]", f'path = "{self.root / "spool.db"}"',
            "[forward]", "backoff_base_ms = 100", f"backoff_cap_ms = {backoff_cap_ms}", "connect_timeout_ms = 2000",
            "request_timeout_ms = 10000",
            "[metrics]", 'listen = "127.0.0.1:0"',
            # The kiosk page on a free port (kiosk_url() finds it in the log).
            "[kiosk]", 'listen = "127.0.0.1:0"',
            # Heartbeats are events too; tests that count scans turn them off (test_heartbeat
            # turns them on).
            "[heartbeat]", "interval_s = 0",
            "[redact]", f'site_key = "{self.root / "site.key"}"',
        ] + ([redact] if redact else [])
        for r in readers:
            lines.append("[[reader]]")
            lines += [f"{k} = {toml_value(v)}" for k, v in r.items()]
        lines += ["[[schema]]", 'name = "acme"', "pattern = 'ACME-(?<subject>[0-9]+)'"]
        text = "\n".join(lines) + "\n" + extra
        (self.root / "gatewayd.toml").write_text(text)
        return self.root / "gatewayd.toml"

    def start_gateway(self, config=None, failpoints=None, env_extra=None, wrapper=()):
        """failpoints: e.g. "after-commit=5000" (see Sources/GatewayLinux/Support/Failpoints.swift).
        wrapper: a command gatewayd runs under (e.g. umockdev-run … --); it gets a process group
        of its own, killed at close, so gatewayd below it goes too."""
        config = config or self.root / "gatewayd.toml"
        log = open(self.root / "gatewayd.log", "ab")
        env = dict(os.environ)
        # The per-boot input-mark key goes where systemd's RuntimeDirectory= would put it.
        env["RUNTIME_DIRECTORY"] = str(self.root / "run")
        (self.root / "run").mkdir(exist_ok=True)
        if failpoints:
            env["GATEWAYD_FAILPOINTS"] = failpoints
        env.update(env_extra or {})
        self.gateway = subprocess.Popen([*wrapper, GATEWAYD, "--config", str(config), "--log-level", "debug"],
                                        stdout=log, stderr=log, env=env, start_new_session=bool(wrapper))
        self.procs.append(self.gateway)
        if wrapper:
            group = self.gateway.pid
            self.cleanups.append(lambda: subprocess.run(["kill", "-KILL", "--", f"-{group}"], capture_output=True))
        return self.gateway

    def spool_value(self, sql, default=0, path=None):
        """One value from the spool database (the site's, or `path`), read-only (default while it
        cannot be read: not created yet, or its schema not yet written)."""
        import sqlite3
        try:
            con = sqlite3.connect(f"file:{path or self.root / 'spool.db'}?mode=ro", uri=True, timeout=5)
            try:
                row = con.execute(sql).fetchone()
                return default if row is None else row[0]
            finally:
                con.close()
        except sqlite3.Error:
            return default

    def wait_spooled(self, n, timeout=30):
        """Waits until the gateway's spool has handed out n sequence numbers."""
        return wait_for(lambda: self.spool_value("SELECT value FROM meta WHERE key='last_seq'") >= n, timeout, f"{n} scans spooled")

    def spool_status(self, config=None):
        """`gatewayd spool status --json` for this site (counts, limits, forwarder state)."""
        env = dict(os.environ, RUNTIME_DIRECTORY=str(self.root / "run"))
        out = subprocess.run([GATEWAYD, "spool", "status", "--json", "--config", str(config or self.root / "gatewayd.toml")],
                             check=True, capture_output=True, text=True, env=env).stdout
        return json.loads(out)

    def metrics(self):
        """The gateway's Prometheus text, from the port it logged."""
        import re
        import urllib.request
        port = wait_for(lambda: (re.findall(r"port=(\d+) \[GatewayLinux\] metrics listening", self.log()) or [None])[-1], 10, "the metrics port")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            return r.read().decode()

    def kiosk_url(self, after=0):
        """The kiosk page's base URL, from the port the gateway logged (the newest start's when
        `after` counts the starts already seen)."""
        import re
        port = wait_for(lambda: (re.findall(r"port=(\d+) \[GatewayLinux\] kiosk listening", self.log())[after:] or [None])[-1], 10, "the kiosk port")
        return f"http://127.0.0.1:{port}"

    def dead_letter_count(self):
        """For polling: 0 while the spool does not exist yet."""
        import sqlite3
        try:
            return len(self.spool_rows("dead_letter"))
        except sqlite3.Error:
            return 0

    def spool_rows(self, table="envelope"):
        import sqlite3
        con = sqlite3.connect(f"file:{self.root / 'spool.db'}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute(f"SELECT * FROM {table} ORDER BY seq").fetchall()
        finally:
            con.close()

    def open_fifo(self):
        # Read-write: never blocks on open and keeps the pipe (and its unread bytes) alive
        # while gatewayd restarts.
        if self.fifo_fd is None:
            self.fifo_fd = os.open(self.fifo, os.O_RDWR)
        return self.fifo_fd

    def scan(self, *labels):
        fd = self.open_fifo()
        for label in labels:
            os.write(fd, (label + "\n").encode())

    def log(self, which="gatewayd"):
        p = self.root / f"{which}.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def close(self):
        for stop in reversed(self.cleanups):
            stop()
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if self.fifo_fd is not None:
            os.close(self.fifo_fd)


def add_terminal(site, home, device, **config):
    """Another terminal of the site in `home`: its own device key (registered in the site's
    devices directory), FIFO, spool, runtime directory and config, pointed at the site's server.
    `config` goes to `site.write_config`. Returns the config's path (start_terminal runs it)."""
    home.mkdir()
    pub = site.run([GATEWAYD, "keygen", "--out", str(home / "device.key")]).stdout
    (site.root / "devices" / f"{device}.pem").write_text(pub)
    os.mkfifo(home / "scan.fifo", 0o600)
    (home / "run").mkdir()
    text = site.write_config(device=device, **config).read_text()
    text = (text.replace(str(site.root / "device.key"), str(home / "device.key"))
            .replace(str(site.root / "spool.db"), str(home / "spool.db"))
            .replace(str(site.fifo), str(home / "scan.fifo")))
    (home / "gatewayd.toml").write_text(text)
    return home / "gatewayd.toml"


def start_terminal(home):
    """gatewayd for a terminal add_terminal made, logging to home/gatewayd.log."""
    log = open(home / "gatewayd.log", "ab")
    env = dict(os.environ, RUNTIME_DIRECTORY=str(home / "run"))
    return subprocess.Popen([GATEWAYD, "--config", str(home / "gatewayd.toml")], stdout=log, stderr=log, env=env)


def write_lines(fd, labels):
    """Whole lines, up to 4 KiB per write (PIPE_BUF: each write lands whole) — a burst of scans
    into a FIFO reader without a system call per scan."""
    buf = bytearray()
    for label in labels:
        line = (label + "\n").encode()
        if len(buf) + len(line) > 4096:
            os.write(fd, buf)
            buf.clear()
        buf += line
    if buf:
        os.write(fd, buf)


def walljump(site):
    """Builds the LD_PRELOAD shim (tests/system/walljump/walljump.c) that shifts CLOCK_REALTIME
    by the seconds in a file, and returns (library, file)."""
    lib = site.root / "walljump.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", str(lib), str(ROOT / "tests" / "system" / "walljump" / "walljump.c"), "-ldl"],
                   check=True)
    offset = site.root / "walljump"
    offset.write_text("0\n")
    return lib, offset


def texts(events):
    return [e.get("text") for e in events]


def run_vm_test(script, tmp_path, min_checks):
    """Runs a QEMU guest test of tests/vm (vmtest.py, sandboxtest.py) and returns its check
    lines after asserting it passed: exit 0, at least `min_checks` checks, every one "ok"."""
    r = subprocess.run([sys.executable, str(ROOT / "tests" / "vm" / script), "--bin", str(BIN),
                        "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=900)
    checks = [l for l in r.stdout.splitlines() if l.startswith("HOST: ok") or l.startswith("HOST: FAIL")]
    print("\n".join(checks))
    assert r.returncode == 0, r.stdout[-8000:] + r.stderr[-2000:]
    assert len(checks) >= min_checks and all(c.startswith("HOST: ok") for c in checks)
    return checks
