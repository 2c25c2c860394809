"""gatewayd as shipped, under systemd, inside its unit's sandbox, reading NFC tags through PC/SC
and through libusb — in a QEMU guest whose PID 1 is systemd: see tests/vm/sandboxtest.py."""
from harness import run_vm_test


def test_nfc_readers_inside_the_units_sandbox_under_systemd(tmp_path):
    run_vm_test("sandboxtest.py", tmp_path, min_checks=14)
