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
        # NFC readers: group access to their USB nodes, and the kernel's NFC driver kept off them.
        "lib/udev/rules.d/70-gatewayd-nfc.rules": 0o644, "etc/modprobe.d/gatewayd-nfc.conf": 0o644,
    }
    for rel, mode in expect.items():
        p = dest / rel
        assert p.is_file() and p.stat().st_size > 0, rel
        if mode is not None:
            assert p.stat().st_mode & 0o777 == mode, f"{rel}: {oct(p.stat().st_mode & 0o777)}"
    assert "spool" in (dest / "usr/share/bash-completion/completions/gatewayd").read_text(), "completions know the subcommands"
    check_nfc_files(dest)
    check_man_page(dest)
    # An existing configuration (and an admin's edit of the blacklist) is never overwritten.
    (dest / "etc/gatewayd/gatewayd.toml").write_text("# site config\n")
    (dest / "etc/modprobe.d/gatewayd-nfc.conf").write_text("# site blacklist\n")
    subprocess.run(["make", "-s", "install", f"DESTDIR={dest}"], cwd=ROOT, check=True, capture_output=True, timeout=600)
    assert (dest / "etc/gatewayd/gatewayd.toml").read_text() == "# site config\n"
    assert (dest / "etc/modprobe.d/gatewayd-nfc.conf").read_text() == "# site blacklist\n"
    # The installed binary runs.
    v = subprocess.run([str(dest / "usr/bin/gatewayd"), "--version"], capture_output=True, text=True)
    assert v.returncode == 0 and v.stdout.strip()


def check_nfc_files(dest):
    """The blacklist names the kernel's NFC modules; the rules give group gatewayd the USB nodes of
    exactly the readers the USB backend knows (GatewayConfig.Reader.NFC.usbDevices)."""
    import re
    blacklist = (dest / "etc/modprobe.d/gatewayd-nfc.conf").read_text()
    assert re.findall(r"^blacklist (\S+)$", blacklist, re.M) == ["pn533_usb", "pn533", "nfc"]
    rules = [l for l in (dest / "lib/udev/rules.d/70-gatewayd-nfc.rules").read_text().splitlines()
             if l and not l.startswith("#")]
    ids = set()
    for line in rules:
        m = re.match(r'ATTR\{idVendor\}=="([0-9a-f]{4})", ATTR\{idProduct\}=="([0-9a-f]{4})", (.*)$', line)
        if m:
            assert m.group(3) == 'GROUP="gatewayd", MODE="0664", TAG+="systemd"', line
            ids.add(f"{m.group(1)}:{m.group(2)}")
    swift = (ROOT / "Sources/GatewayCore/Config/GatewayConfig+NFC.swift").read_text()
    known = {f"{v.lower()}:{p.lower()}" for v, p in re.findall(r"\(0x([0-9A-Fa-f]{4}), 0x([0-9A-Fa-f]{4}), \"", swift)}
    assert known and ids == known, (ids, known)
    assert rules[0] == 'ACTION=="remove", GOTO="gatewayd_nfc_end"' and rules[-1] == 'LABEL="gatewayd_nfc_end"'
    for vp in ids:
        assert vp in blacklist, f"the blacklist's comment names {vp}"


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
              "/lib/systemd/system/gatewayd.service", "/lib/udev/rules.d/70-gatewayd-nfc.rules",
              "/etc/modprobe.d/gatewayd-nfc.conf"):
        assert f in text, f
    for status in ("0", "1", "78"):
        assert f"\n       {status} " in text, f"exit status {status}"
