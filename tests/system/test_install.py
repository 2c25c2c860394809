"""`make install DESTDIR=…` puts every file in its Debian place (issue 8, part)."""
import os
import subprocess

from harness import ROOT


def test_make_install_into_a_destdir(tmp_path):
    dest = tmp_path / "root"
    r = subprocess.run(["make", "-s", "install", f"DESTDIR={dest}"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    expect = {
        "usr/bin/gatewayd": 0o755, "lib/udev/rules.d/70-gatewayd.rules": 0o644,
        "lib/systemd/system/gatewayd.service": 0o644, "usr/lib/sysusers.d/gatewayd.conf": 0o644,
        "etc/gatewayd/gatewayd.toml": 0o640, "usr/share/bash-completion/completions/gatewayd": None,
        "usr/share/zsh/vendor-completions/_gatewayd": None, "usr/share/fish/vendor_completions.d/gatewayd.fish": None,
        "usr/share/doc/gatewayd/README.md": 0o644, "usr/share/doc/gatewayd/docs/privacy.md": 0o644,
    }
    for rel, mode in expect.items():
        p = dest / rel
        assert p.is_file() and p.stat().st_size > 0, rel
        if mode is not None:
            assert p.stat().st_mode & 0o777 == mode, f"{rel}: {oct(p.stat().st_mode & 0o777)}"
    assert "spool" in (dest / "usr/share/bash-completion/completions/gatewayd").read_text(), "completions know the subcommands"
    # An existing configuration is never overwritten.
    (dest / "etc/gatewayd/gatewayd.toml").write_text("# site config\n")
    subprocess.run(["make", "-s", "install", f"DESTDIR={dest}"], cwd=ROOT, check=True, capture_output=True, timeout=600)
    assert (dest / "etc/gatewayd/gatewayd.toml").read_text() == "# site config\n"
    # The installed binary runs.
    v = subprocess.run([str(dest / "usr/bin/gatewayd"), "--version"], capture_output=True, text=True)
    assert v.returncode == 0 and v.stdout.strip()
