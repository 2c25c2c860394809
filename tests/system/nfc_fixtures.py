"""A private pcscd with a vpcd reader, and the NFC emulator connected to it.

pcscd 1.9.9 always makes its socket at /run/pcscd/pcscd.comm and refuses to start when another
pcscd owns that file: it ignores PCSCLITE_CSOCK_NAME, which only libpcsclite (the client side)
reads. So each test's pcscd runs in a mount namespace of its own (`unshare -m`, root) in which
a temporary directory is bound over /run/pcscd; clients outside find the socket through
PCSCLITE_CSOCK_NAME=<that directory>/pcscd.comm (`Pcscd.env`). Its reader.conf is private too:
vpcd listens on a free port (and the next one, for its second slot) instead of 35963, so test
sessions never share a port or a daemon. The fixture stops pcscd; nothing is left running.
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

from nfc_emulator import NfcEmulator

VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
# Run in the new mount namespace: the bind mount, then pcscd itself (exec keeps the pid).
_NAMESPACED = 'mount --bind "$1" /run/pcscd && exec pcscd --foreground --apdu --info -c "$2"'
# A network namespace with only a loopback, held open by a sleeping process: vpcd listens on
# INADDR_ANY, which there is that loopback alone; the emulator connects from inside it
# (`NfcEmulator(netns=...)`), and pcscd restarted on the same port finds the same namespace.
_NETNS_HOLDER = "ip link set lo up && exec sleep infinity"


def free_port_pair(host: str = "0.0.0.0") -> int:
    """A port P with P and P + 1 both free on `host` (every address by default: vpcd binds
    slot n to INADDR_ANY on the configured port + n)."""
    for _ in range(50):
        with socket.socket() as a, socket.socket() as b:
            a.bind((host, 0))
            port = a.getsockname()[1]
            if port >= 65535:
                continue
            try:
                b.bind((host, port + 1))
            except OSError:
                continue
            return port
    raise RuntimeError("no two consecutive free ports")


class Pcscd:
    """One pcscd, in the foreground, with vpcd's two readers on `port` and `port` + 1."""

    reader = NfcEmulator.READER  # slot 0, the emulator's; slot 1 ("Virtual PCD 00 01") stays empty

    def __init__(self):
        # Short on purpose: a unix socket path has at most 107 bytes, and pytest's tmp_path
        # (with the test's name in it) can be longer.
        self.dir = Path(tempfile.mkdtemp(prefix="pcscd-"))
        self.socket = self.dir / "pcscd.comm"
        self.conf = self.dir / "reader.conf"
        self.log_path = self.dir / "pcscd.log"
        self.port = 0
        self.proc: Optional[subprocess.Popen] = None
        self.holder: Optional[subprocess.Popen] = None

    @property
    def netns(self) -> str:
        """The network namespace vpcd listens in (for `NfcEmulator(netns=...)`)."""
        return f"/proc/{self.holder.pid}/ns/net"

    @property
    def env(self) -> dict:
        """What a PC/SC client needs in its environment to reach this pcscd."""
        return {"PCSCLITE_CSOCK_NAME": str(self.socket)}

    def client_env(self) -> dict:
        return {**os.environ, **self.env}

    @property
    def pid(self) -> Optional[int]:
        return None if self.proc is None else self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self, timeout: float = 10.0) -> None:
        """Start pcscd and wait until its socket accepts clients: on a new free port pair the
        first time, on the same port after (the emulator reconnects to that one)."""
        if self.holder is None:
            self.holder = subprocess.Popen(["unshare", "--net", "sh", "-c", _NETNS_HOLDER],
                                           stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + 5
            while os.readlink(f"/proc/{self.holder.pid}/ns/net") == os.readlink("/proc/self/ns/net"):
                if time.monotonic() > deadline or self.holder.poll() is not None:
                    raise RuntimeError("could not make a network namespace for vpcd")
                time.sleep(0.01)
        if self.port:
            if not self._launch(timeout):
                raise RuntimeError(f"vpcd could not listen on {self.port} again:\n{self.log()}")
            return
        for _ in range(5):
            self.port = free_port_pair()
            self.conf.write_text(
                'FRIENDLYNAME "Virtual PCD"\n'
                f"DEVICENAME   /dev/null:{self.port}\n"
                f"LIBPATH      {VPCD_DRIVER}\n"
                f"CHANNELID    {self.port}\n"
            )
            if self._launch(timeout):
                return
            self.kill()  # vpcd could not bind the port (taken meanwhile): another pair
        raise RuntimeError(f"pcscd did not start with vpcd listening:\n{self.log()[-3000:]}")

    def _launch(self, timeout: float) -> bool:
        for stale in ("pcscd.comm", "pcscd.pid"):  # left by a kill -9
            (self.dir / stale).unlink(missing_ok=True)
        os.makedirs("/run/pcscd", exist_ok=True)  # the mount point
        mark = len(self.log())
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(
                ["nsenter", f"--net={self.netns}", "unshare", "--mount", "--propagation", "private",
                 "sh", "-c", _NAMESPACED, "sh", str(self.dir), str(self.conf)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pcscd exited with {self.proc.returncode}:\n{self.log()}")
            log = self.log()[mark:]
            if "daemon ready" in log and self._accepts():
                return "Could not initialize connection to virtual ICC" not in log
            time.sleep(0.01)
        raise RuntimeError(f"pcscd's socket {self.socket} not ready after {timeout}s")

    def _accepts(self) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            try:
                s.connect(str(self.socket))
                return True
            except OSError:
                return False

    def kill(self) -> None:
        """kill -9, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def restart(self) -> None:
        """kill -9 and start again on the same port (clients and the emulator come back)."""
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.holder is not None and self.holder.poll() is None:
            self.holder.kill()
            self.holder.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def pcscd(request):
    if os.geteuid() != 0:
        pytest.skip("pcscd's private mount namespace needs root")
    daemon = Pcscd()
    daemon.start()
    yield daemon
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        print(f"--- pcscd.log ---\n{daemon.log()[-4000:]}")
    daemon.stop()


@pytest.fixture
def nfc_tag_reader(pcscd):
    """The emulated reader with no tag on it, pcscd already polling it."""
    emulator = NfcEmulator(pcscd.port, netns=pcscd.netns).start()
    try:
        emulator.wait_connected()
        yield emulator
    finally:
        emulator.close()
