"""A private software TPM 2.0 (swtpm) for the tests of device keys held in a TPM.

Each test gets its own swtpm, on loopback, on a free port pair (commands, control), with its
state in a temporary directory; `Swtpm.env` is what gatewayd (OpenSSL's tpm2 provider:
TPM2OPENSSL_TCTI) and tpm2-tools (TPM2TOOLS_TCTI) need to reach it. `kill` is kill -9, as a
TPM that vanishes; `start` again brings back the same TPM (its state directory: persistent keys
survive). The fixture stops it; nothing is left running.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional

import pytest

from nfc_fixtures import free_port_pair



class Swtpm:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="swtpm-"))
        (self.dir / "state").mkdir()
        self.port = free_port_pair("127.0.0.1")
        self.proc: Optional[subprocess.Popen] = None

    @property
    def tcti(self) -> str:
        return f"swtpm:host=127.0.0.1,port={self.port}"

    @property
    def env(self) -> dict:
        return {"TPM2OPENSSL_TCTI": self.tcti, "TPM2TOOLS_TCTI": self.tcti}

    def start(self, timeout: float = 10.0) -> "Swtpm":
        with open(self.dir / "swtpm.log", "a") as log:
            self.proc = subprocess.Popen(
                ["swtpm", "socket", "--tpm2", "--tpmstate", f"dir={self.dir / 'state'}",
                 "--server", f"type=tcp,port={self.port},bindaddr=127.0.0.1",
                 "--ctrl", f"type=tcp,port={self.port + 1},bindaddr=127.0.0.1",
                 "--flags", "not-need-init,startup-clear"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"swtpm exited: {(self.dir / 'swtpm.log').read_text()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.02)
        raise RuntimeError("swtpm did not listen")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def tools(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        """A tpm2-tools command against this TPM."""
        return subprocess.run(list(argv), capture_output=True, text=True, check=check,
                              env={**os.environ, **self.env})

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def swtpm():
    t = Swtpm().start()
    yield t
    t.stop()


def keygen(swtpm, *args):
    """`gatewayd keygen --tpm ARGS` against this swtpm (imported late: the harness needs
    GATEWAYD_BIN_DIR first)."""
    from harness import GATEWAYD
    return subprocess.run([GATEWAYD, "keygen", "--tpm", *args], capture_output=True, text=True,
                          env={**os.environ, **swtpm.env}, timeout=60)


def tpm_site(site, swtpm, handle="0x81000002", **config):
    """The site with a P-256 server key and this terminal's key made in the TPM (registered at
    the server); its own device.key files removed: the terminal has no key file at all.
    `config` goes to `site.write_config` (readers, extra). Returns the key's public PEM."""
    from harness import CASE_SERVER
    pub = keygen(swtpm, "--handle", handle)
    assert pub.returncode == 0, pub.stderr
    for name in ("device.key", "device.key.pub"):
        (site.root / name).unlink()
    site.run([CASE_SERVER, "keygen", "--p256", "--out", str(site.root / "server-p256.key")])
    (site.root / "devices" / f"{site.device}.pem").write_text(pub.stdout)
    cfg = site.write_config(server_public_key=site.root / "server-p256.key.pub", **config)
    cfg.write_text(cfg.read_text().replace(f'private_key = "{site.root / "device.key"}"', f'private_key = "tpm:{handle}"'))
    return pub.stdout
