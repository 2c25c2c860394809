"""The systemd unit's sandboxing, as systemd itself scores it (issue 8 asks for <= 2.0)."""
import re
import shutil
import subprocess

import pytest

from harness import ROOT


def test_unit_exposure_is_at_most_2():
    if not shutil.which("systemd-analyze"):
        pytest.fail("systemd-analyze is missing (Debian's systemd package)")
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(ROOT / "systemd" / "gatewayd.service")],
                       capture_output=True, text=True, timeout=120)
    m = re.search(r"Overall exposure level for gatewayd.service: ([0-9.]+)", r.stdout)
    assert m, r.stdout + r.stderr
    print(f"systemd-analyze security exposure: {m.group(1)}")
    assert float(m.group(1)) <= 2.0, r.stdout
    unit = (ROOT / "systemd" / "gatewayd.service").read_text()
    assert "Type=notify" in unit and "WatchdogSec=" in unit
