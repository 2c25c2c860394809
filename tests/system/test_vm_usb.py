"""System test in a QEMU guest (TCG): real kernel USB drivers, evdev, hidraw, udev rules,
hotplug — see tests/vm/vmtest.py for what it does and checks."""
import subprocess
import sys

from harness import BIN, ROOT


def test_real_usb_devices_in_a_qemu_guest(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "tests" / "vm" / "vmtest.py"), "--bin", str(BIN),
                        "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=900)
    checks = [l for l in r.stdout.splitlines() if l.startswith("HOST: ok") or l.startswith("HOST: FAIL")]
    print("\n".join(checks))
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
    assert len(checks) >= 12 and all(c.startswith("HOST: ok") for c in checks)
