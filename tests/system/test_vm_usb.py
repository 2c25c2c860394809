"""System test in a QEMU guest (TCG): real kernel USB drivers, evdev, hidraw, udev rules,
hotplug — see tests/vm/vmtest.py for what it does and checks."""
from harness import run_vm_test


def test_real_usb_devices_in_a_qemu_guest(tmp_path):
    run_vm_test("vmtest.py", tmp_path, min_checks=12)
