"""`make deb` builds a .deb that installs on a fresh Debian 12 and whose unit passes
`systemd-analyze verify` (issue 8, part).

The package is built with `make deb` (a release build: several minutes from scratch) and
installed with apt into a fresh Debian 12 minbase made by debootstrap from this machine's own
apt mirror. The debootstrap result is cached as a tarball in .build-deb-chroot/ (git-ignored;
delete it to start over) and unpacked afresh for every run; downloaded .debs are cached there
too. Needs root (debootstrap, chroot, mounts) and the network to the mirror.

`systemd-analyze verify` runs inside the chroot, with the Debian 12 systemd the package pulls in
(it depends on systemd | systemd-sysusers), on the installed unit and binary: no running systemd
is needed there, only /proc and /sys mounted. (From the host, `systemd-analyze verify
--root=<chroot>` would work too, but would check with the host's systemd.)

GATEWAYD_SKIP_DEB=1 skips it (CI does not set it). GATEWAYD_DEB_SCRATCH=.build-release builds
in that SwiftPM scratch directory instead of .build.
"""
import gzip
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from harness import ROOT

SUITE = "bookworm"
CACHE = ROOT / ".build-deb-chroot"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

pytestmark = pytest.mark.skipif(os.environ.get("GATEWAYD_SKIP_DEB") == "1", reason="GATEWAYD_SKIP_DEB=1")


def mirror():
    """The Debian mirror this machine's apt uses (deb822 .sources or one-line .list), not security."""
    files = [Path("/etc/apt/sources.list")] + sorted(Path("/etc/apt/sources.list.d").glob("*"))
    for f in files:
        if not f.is_file() or not (f.name.endswith(".list") or f.name.endswith(".sources")):
            continue
        text = f.read_text(errors="replace")
        if f.name.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M))
                if fields.get("Enabled", "yes") == "no" or "deb" not in fields.get("Types", "").split():
                    continue
                if SUITE in fields.get("Suites", "").split() and "main" in fields.get("Components", "").split():
                    return fields["URIs"].split()[0]
        else:
            for line in text.splitlines():
                m = re.match(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.*)$", line)
                if m and m.group(2) == SUITE and "main" in m.group(3).split():
                    return m.group(1)
    return "http://deb.debian.org/debian"


def base_tarball():
    """A Debian 12 minbase, made once with debootstrap and kept as a tarball."""
    arch = subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True, text=True).stdout.strip()
    tar = CACHE / f"{SUITE}-minbase-{arch}.tar"
    if tar.exists():
        return tar, 0.0
    CACHE.mkdir(exist_ok=True)
    work = CACHE / "debootstrap"
    shutil.rmtree(work, ignore_errors=True)
    t0 = time.monotonic()
    r = subprocess.run(["debootstrap", "--variant=minbase", f"--arch={arch}", SUITE, str(work), mirror()],
                       capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, "debootstrap failed:\n" + r.stdout[-3000:] + r.stderr[-3000:]
    subprocess.run(["tar", "--numeric-owner", "--xattrs", "-C", str(work), "-cf", f"{tar}.part", "."], check=True)
    os.replace(f"{tar}.part", tar)
    shutil.rmtree(work)
    return tar, time.monotonic() - t0


class Chroot:
    """A fresh copy of the cached minbase with /proc, /dev, /sys and the .deb cache mounted."""

    def __init__(self, root: Path):
        self.root = root
        self.mounts = []

    def __enter__(self):
        return self

    def mount(self, args, target):
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", *args, str(target)], check=True)
        self.mounts.append(target)

    def setup(self, tar):
        self.root.mkdir()
        subprocess.run(["tar", "--numeric-owner", "--xattrs", "-C", str(self.root), "-xf", str(tar)], check=True)
        self.mount(["-t", "proc", "proc"], self.root / "proc")
        self.mount(["-t", "sysfs", "sysfs"], self.root / "sys")
        self.mount(["--bind", "/dev"], self.root / "dev")
        self.mount(["--bind", "/dev/pts"], self.root / "dev/pts")
        archives = CACHE / "archives"
        (archives / "partial").mkdir(parents=True, exist_ok=True)
        self.mount(["--bind", str(archives)], self.root / "var/cache/apt/archives")
        shutil.copy("/etc/resolv.conf", self.root / "etc/resolv.conf")
        # Nothing installed here starts a service (there is no service manager in a chroot).
        policy = self.root / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)

    def run(self, *cmd, check=True, timeout=600):
        env = ["env", "-i", f"PATH={PATH}", "LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive", "HOME=/root"]
        r = subprocess.run(["chroot", str(self.root), *env, *cmd], capture_output=True, text=True, timeout=timeout)
        if check:
            assert r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
        return r

    def ids(self, db):
        """name -> id from the chroot's own /etc/passwd or /etc/group (not the host's)."""
        out = {}
        for line in (self.root / "etc" / db).read_text().splitlines():
            parts = line.split(":")
            if len(parts) > 3:
                out[parts[0]] = (int(parts[2]), parts[3])
        return out

    def __exit__(self, *exc):
        for target in reversed(self.mounts):
            if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", str(target)], capture_output=True)
        self.mounts.clear()
        # Only remove the tree when nothing is mounted in it any more (never into the host's /dev).
        mounted = subprocess.run(["findmnt", "-rn", "-o", "TARGET"], capture_output=True, text=True).stdout.split()
        if not any(m.startswith(str(self.root)) for m in mounted):
            shutil.rmtree(self.root, ignore_errors=True)


def test_deb_installs_on_a_fresh_debian_12(tmp_path, capsys):
    assert os.geteuid() == 0, "test_deb needs root: debootstrap, chroot and mounts (GATEWAYD_SKIP_DEB=1 skips it)"
    # --- build -----------------------------------------------------------------------------
    dist = ROOT / "dist"
    t0 = time.monotonic()
    scratch = os.environ.get("GATEWAYD_DEB_SCRATCH")
    r = subprocess.run(["make", "-s", "deb"] + ([f"SCRATCH={scratch}"] if scratch else []), cwd=ROOT,
                       capture_output=True, text=True, timeout=3600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    build_s = time.monotonic() - t0
    built = re.findall(r"make-deb: (dist/gatewayd_\S+\.deb)", r.stdout)
    assert built, r.stdout
    deb = ROOT / built[-1]
    assert deb.is_file()
    field = lambda name: subprocess.run(["dpkg-deb", "-f", str(deb), name], check=True, capture_output=True,
                                        text=True).stdout.strip()
    depends = field("Depends")
    assert field("Package") == "gatewayd" and re.match(r"^[0-9]", field("Version"))
    for lib in ("libc6", "libsqlite3-0", "libzbar0", "libudev1", "libusb-1.0-0", "libgps28"):
        assert lib in depends, f"Depends lacks {lib}: {depends}"
    assert "swift" not in depends.lower()
    assert subprocess.run(["dpkg-deb", "-I", str(deb), "conffiles"], capture_output=True,
                          text=True).stdout.split() == ["/etc/gatewayd/gatewayd.toml", "/etc/modprobe.d/gatewayd-nfc.conf"]
    contents = subprocess.run(["dpkg-deb", "-c", str(deb)], check=True, capture_output=True, text=True).stdout
    assert all(" root/root " in line for line in contents.splitlines()), "files are owned by root"
    files = [line.split()[-1].lstrip(".") for line in contents.splitlines() if not line.startswith("d")]

    # --- a fresh Debian 12 -------------------------------------------------------------------
    tar, debootstrap_s = base_tarball()
    with Chroot(tmp_path / "chroot") as ch:
        t1 = time.monotonic()
        ch.setup(tar)
        assert not (ch.root / "usr/lib/swift").exists() and not (ch.root / "usr/bin/gatewayd").exists()
        shutil.copy(deb, ch.root / "tmp" / deb.name)
        ch.run("apt-get", "update", "-qq")
        t2 = time.monotonic()
        inst = ch.run("apt-get", "install", "-y", "-q", f"/tmp/{deb.name}", timeout=1200)
        install_s = time.monotonic() - t2
        assert "gatewayd: installed, not started. Next:" in inst.stdout, inst.stdout[-2000:]

        # The service user and group (systemd-sysusers), in dialout for serial readers.
        users, groups = ch.ids("passwd"), ch.ids("group")
        assert "gatewayd" in users and "gatewayd" in groups
        assert "gatewayd" in groups["dialout"][1].split(","), groups["dialout"]
        # and in tss (the TPM's /dev/tpmrm0), a group sysusers makes when the TPM stack is absent.
        assert "gatewayd" in groups["tss"][1].split(","), groups.get("tss")
        uid, gid = users["gatewayd"][0], groups["gatewayd"][0]

        # Files, modes and owners.
        expect = {
            "usr/bin/gatewayd": (0o755, 0, 0), "lib/udev/rules.d/70-gatewayd.rules": (0o644, 0, 0),
            "lib/systemd/system/gatewayd.service": (0o644, 0, 0), "usr/lib/sysusers.d/gatewayd.conf": (0o644, 0, 0),
            "etc/gatewayd/gatewayd.toml": (0o640, 0, gid), "usr/share/man/man8/gatewayd.8.gz": (0o644, 0, 0),
            "usr/share/doc/gatewayd/README.md": (0o644, 0, 0), "usr/share/bash-completion/completions/gatewayd": (0o644, 0, 0),
            "var/lib/gatewayd": (0o700, uid, gid),
            "lib/udev/rules.d/70-gatewayd-nfc.rules": (0o644, 0, 0), "etc/modprobe.d/gatewayd-nfc.conf": (0o644, 0, 0),
        }
        for rel, (mode, owner, group) in expect.items():
            st = (ch.root / rel).stat()
            assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (mode, owner, group), \
                f"{rel}: {oct(st.st_mode & 0o7777)} {st.st_uid}:{st.st_gid}"
        with gzip.open(ch.root / "usr/share/man/man8/gatewayd.8.gz", "rt") as f:
            assert ".SH FILES" in f.read()

        # It runs without a Swift toolchain: nothing of Swift on this system, no missing library.
        ldd = ch.run("ldd", "/usr/bin/gatewayd").stdout
        assert "not found" not in ldd and "swift" not in ldd.lower(), ldd
        # The libraries it loads only when used are there too (Depends), for dlopen to find.
        cache = ch.run("ldconfig", "-p").stdout
        for lib in ("libzbar.so.0", "libusb-1.0.so.0"):
            assert lib in cache, f"{lib} is not installed"
        v = ch.run("gatewayd", "--version")
        assert v.stdout.strip() and v.stdout.strip() in field("Version"), v.stdout
        h = ch.run("gatewayd", "--help")
        assert "SUBCOMMANDS" in h.stdout and "spool" in h.stdout

        # The installed configuration has no keys yet: --probe says what is missing, it does not crash.
        p = ch.run("gatewayd", "--probe", check=False, timeout=180)
        assert 0 < p.returncode < 128, f"--probe exited {p.returncode}:\n{p.stdout}\n{p.stderr}"
        assert "/etc/gatewayd/gatewayd.toml" in p.stdout and "FAIL" in p.stdout, p.stdout + p.stderr
        assert "gatewayd keygen" in p.stdout, "the probe names the fix"

        # The unit, checked by the systemd the package depends on, on the installed files.
        ver = ch.run("systemd-analyze", "verify", "/lib/systemd/system/gatewayd.service", check=False)
        assert ver.returncode == 0 and "gatewayd" not in ver.stdout + ver.stderr, ver.stdout + ver.stderr

        # Purge: the package's files, its conffile and /etc/gatewayd go; the state directory
        # (keys, spool) stays and the purge says so.
        t3 = time.monotonic()
        purge = ch.run("apt-get", "purge", "-y", "-q", "gatewayd")
        purge_s = time.monotonic() - t3
        assert "/var/lib/gatewayd" in purge.stdout and "left in place" in purge.stdout, purge.stdout[-2000:]
        left = [f for f in files if (ch.root / f.lstrip("/")).exists()]
        assert not left, f"left after purge: {left}"
        assert not (ch.root / "etc/gatewayd").exists()
        assert (ch.root / "var/lib/gatewayd").is_dir()
        assert ch.run("dpkg-query", "-W", "-f=${Status}", "gatewayd", check=False).stdout.strip() in ("", "unknown ok not-installed")
        assert "gatewayd" not in ch.run("dpkg-statoverride", "--list").stdout
        chroot_s = time.monotonic() - t1

    with capsys.disabled():
        print(f"\ntest_deb: {deb.name} {deb.stat().st_size / 1e6:.1f} MB; make deb {build_s:.0f} s; "
              f"debootstrap {debootstrap_s:.0f} s (0 = cached); apt-get install {install_s:.1f} s; "
              f"purge {purge_s:.1f} s; chroot run {chroot_s:.0f} s\ntest_deb: Depends: {depends}")
