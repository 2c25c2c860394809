"""`make install DESTDIR=…` puts every file in its Debian place (issue 8, part)."""
import gzip
import json
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
        "usr/share/man/man8/gatewayd.8.gz": 0o644,
    }
    for rel, mode in expect.items():
        p = dest / rel
        assert p.is_file() and p.stat().st_size > 0, rel
        if mode is not None:
            assert p.stat().st_mode & 0o777 == mode, f"{rel}: {oct(p.stat().st_mode & 0o777)}"
    assert "spool" in (dest / "usr/share/bash-completion/completions/gatewayd").read_text(), "completions know the subcommands"
    check_man_page(dest)
    # An existing configuration is never overwritten.
    (dest / "etc/gatewayd/gatewayd.toml").write_text("# site config\n")
    subprocess.run(["make", "-s", "install", f"DESTDIR={dest}"], cwd=ROOT, check=True, capture_output=True, timeout=600)
    assert (dest / "etc/gatewayd/gatewayd.toml").read_text() == "# site config\n"
    # The installed binary runs.
    v = subprocess.run([str(dest / "usr/bin/gatewayd"), "--version"], capture_output=True, text=True)
    assert v.returncode == 0 and v.stdout.strip()


def check_man_page(dest):
    """gatewayd(8): gzip'd, made from the binary's own help (every subcommand is in it), with the
    hand-written sections, and man renders it without a warning."""
    page = dest / "usr/share/man/man8/gatewayd.8.gz"
    with open(page, "rb") as f:
        assert f.read(2) == b"\x1f\x8b", "gzip'd"
    with gzip.open(page, "rt") as f:
        roff = f.read()
    assert roff.startswith(".\\\" Generated") and ".TH GATEWAYD 8 " in roff
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "EXIT STATUS", "FILES", "SEE ALSO"):
        assert f".SH {section}" in roff or f'.SH "{section}"' in roff, section
    env = dict(os.environ, MANWIDTH="80", LANG="C", LC_ALL="C")
    r = subprocess.run(["man", "--warnings", "-l", str(page)], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    text = subprocess.run(["man", "-P", "cat", "-l", str(page)], capture_output=True, text=True, env=env, check=True).stdout
    dump = json.loads(subprocess.run([str(dest / "usr/bin/gatewayd"), "--experimental-dump-help"], check=True,
                                     capture_output=True, text=True).stdout)

    def commands(cmd, path):
        for sub in cmd.get("subcommands", []):
            yield path + [sub["commandName"]]
            yield from commands(sub, path + [sub["commandName"]])
    names = list(commands(dump["command"], ["gatewayd"]))
    assert len(names) >= 10
    for full in names:
        assert " ".join(full) in text, f"the man page lacks {' '.join(full)}"
    for f in ("/etc/gatewayd/gatewayd.toml", "/var/lib/gatewayd/", "/lib/udev/rules.d/70-gatewayd.rules",
              "/lib/systemd/system/gatewayd.service"):
        assert f in text, f
    for status in ("0", "1", "78"):
        assert f"\n       {status} " in text, f"exit status {status}"
