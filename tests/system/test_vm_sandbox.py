"""gatewayd as shipped, under systemd, inside its unit's sandbox, reading NFC tags through PC/SC
and through libusb — in a QEMU guest whose PID 1 is systemd: see tests/vm/sandboxtest.py."""
import subprocess
import sys

from harness import BIN, ROOT


def test_nfc_readers_inside_the_units_sandbox_under_systemd(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "tests" / "vm" / "sandboxtest.py"), "--bin", str(BIN),
                        "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=900)
    checks = [l for l in r.stdout.splitlines() if l.startswith("HOST: ok") or l.startswith("HOST: FAIL")]
    print("\n".join(checks))
    assert r.returncode == 0, r.stdout[-8000:] + r.stderr[-2000:]
    assert len(checks) >= 14 and all(c.startswith("HOST: ok") for c in checks)
