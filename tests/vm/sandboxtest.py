#!/usr/bin/env python3
"""Host side of the sandbox VM test (stdlib only): gatewayd as the project ships it, under
systemd, inside its unit's sandbox, reading NFC tags end to end.

A test that runs gatewayd outside its unit would pass while every terminal fails at a device the
unit does not grant (`DevicePolicy=closed`), a socket family it does not allow or a path it
hides. So this one boots a QEMU guest (TCG, the stock Debian kernel) whose PID 1 becomes systemd
(tests/vm/sandbox-init.sh), with the host's /usr over 9p and, in /etc/systemd/system, the
project's systemd/gatewayd.service byte for byte — a drop-in changes only ExecStart's path, to
this build's binary. systemd-sysusers makes the user from systemd/gatewayd.sysusers; udev
applies the project's rules. Its device key is made in the guest's TPM (swtpm on the host behind
QEMU's TIS device) and every tap is sealed there. gatewayd reads an emulated ACR122U through Debian's own
pcscd.socket and vpcd, and a PN533 stick (a FunctionFS gadget) through the kernel's usbfs with
libusb; then the same unit without char-usb_device must refuse the stick. The guest's driver (tests/vm/sandbox_driver.py, a unit of its own)
taps tags and writes to a share of the host's what systemd and the kernel say about the running
service, the events the case server stored, the signals the reader got and gatewayd's journal.

    sandboxtest.py --bin .build/debug --workdir DIR        exit 0 when all passed
"""
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
from sandbox_driver import UIDS, URIS, USB_UID, USB_URI  # noqa: E402
from vmtest import vm_args  # noqa: E402

CONFIG = """[device]
id = "vm-sandbox"
private_key = "tpm:0x81000002"
[server]
url = "https://127.0.0.1:8443"
public_key = "/etc/gatewayd/server.key.pub"
ca = "/etc/gatewayd/ca.pem"
[spool]
path = "/var/lib/gatewayd/spool.db"
[redact]
site_key = "/var/lib/gatewayd/site.key"
[heartbeat]
interval_s = 0
[forward]
backoff_base_ms = 100
backoff_cap_ms = 1000
[[reader]]
id = "tap-pcsc"
kind = "nfc"
backend = "pcsc"
[[reader]]
id = "tap-usb"
kind = "nfc"
backend = "usb"
[reader.match]
vendor = "04cc"
product = "2533"
"""

UNITS = {
    # Only the ExecStart path differs from the shipped unit: this build's binary, not /usr/bin's.
    "gatewayd.service.d/vmtest.conf": """[Service]
ExecStart=
ExecStart=/opt/gatewayd/bin/gatewayd --config /etc/gatewayd/gatewayd.toml
""",
    # The device key, made in the guest's TPM (swtpm on the host, a TIS device in the guest)
    # before gatewayd starts; its public key registered at the case server.
    "tpm-keygen.service": """[Unit]
Description=device key in the TPM
Before=gatewayd.service case-server.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c '/opt/gatewayd/bin/gatewayd keygen --tpm > /var/lib/case-server/devices/vm-sandbox.pem'
""",
    "case-server.service": """[Unit]
Description=case-server for the sandbox test
[Service]
WorkingDirectory=/var/lib/case-server
ExecStart=/opt/gatewayd/bin/case-server serve --port 8443 --cert pki/server.pem --tls-key pki/server.key --private-key server.key --devices devices --db cases.db
""",
    # A PN533 stick on dummy_hcd (tests/vm/pn533_gadget.py); gatewayd finds it through udev.
    "pn533-gadget.service": """[Unit]
Description=PN533 NFC stick (FunctionFS gadget)
[Service]
ExecStart=/usr/bin/python3 -u /opt/gatewayd/repo/tests/vm/pn533_gadget.py --udc dummy_udc.0 --control /run/pn533.ctl
""",
    "vmtest-driver.service": """[Unit]
Description=sandbox test driver
After=gatewayd.service case-server.service pn533-gadget.service
SuccessAction=poweroff-force
FailureAction=poweroff-force
[Service]
Type=oneshot
ExecStart=/usr/bin/python3 /opt/gatewayd/repo/tests/vm/sandbox_driver.py
""",
    "vmtest.target": """[Unit]
Description=sandbox test
Requires=basic.target
After=basic.target
Wants=tpm-keygen.service gatewayd.service case-server.service vmtest-driver.service pcscd.socket pn533-gadget.service
AllowIsolate=yes
""",
}


UNIT_DEVICE_ALLOW = [l.split("=", 1)[1].strip() for l in (ROOT / "systemd" / "gatewayd.service").read_text().splitlines()
                     if l.startswith("DeviceAllow=")]


def prepare(work: Path, bindir: Path):
    """The guest's /etc additions, gatewayd's state directory and the case server's, on the host."""
    if work.exists():
        shutil.rmtree(work)
    etc, state, server = work / "etc", work / "gatewayd", work / "case-server"
    for d in (etc / "systemd" / "system" / "gatewayd.service.d", etc / "gatewayd", etc / "sysusers.d",
              etc / "udev" / "rules.d", etc / "modprobe.d", state, server / "devices"):
        d.mkdir(parents=True)
    subprocess.run([str(ROOT / "scripts" / "make-pki.sh"), str(server / "pki")], check=True, capture_output=True)
    # A P-256 server key: the device key is a P-256 key in the TPM.
    subprocess.run([str(bindir / "case-server"), "keygen", "--p256", "--out", str(server / "server.key")],
                   check=True, capture_output=True)
    subprocess.run([str(bindir / "gatewayd"), "keygen", "--site-key", str(state / "site.key")], check=True,
                   capture_output=True)
    shutil.copy(server / "server.key.pub", etc / "gatewayd" / "server.key.pub")
    shutil.copy(server / "pki" / "ca.pem", etc / "gatewayd" / "ca.pem")
    (etc / "gatewayd" / "gatewayd.toml").write_text(CONFIG)
    shutil.copy(ROOT / "systemd" / "gatewayd.service", etc / "systemd" / "system" / "gatewayd.service")
    shutil.copy(ROOT / "systemd" / "gatewayd.sysusers", etc / "sysusers.d" / "gatewayd.conf")
    for rules in ("70-gatewayd.rules", "70-gatewayd-nfc.rules"):
        shutil.copy(ROOT / "udev" / rules, etc / "udev" / "rules.d" / rules)
    shutil.copy(ROOT / "udev" / "gatewayd-nfc-blacklist.conf", etc / "modprobe.d" / "gatewayd-nfc.conf")
    for name, text in UNITS.items():
        (etc / "systemd" / "system" / name).write_text(text)
    os.symlink("vmtest.target", etc / "systemd" / "system" / "default.target")
    for p in [etc, state, server, *etc.rglob("*"), *state.rglob("*"), *server.rglob("*")]:
        if not p.is_symlink():
            p.chmod(0o755 if p.is_dir() else 0o600 if p.suffix == ".key" else 0o644)


def pseudonym(site_key: Path, value: str) -> str:
    """The badge rule's pseudonym of `value` under the site key (docs/privacy.md)."""
    key = base64.b64decode(site_key.read_text().strip())
    return "pn:" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


def main():
    bindir, work, timeout = vm_args()
    share, out = work / "share", work / "out"
    prepare(share, bindir)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    kver = sorted(os.listdir("/lib/modules"))[-1]
    initrd = work / "initramfs.cpio.gz"
    subprocess.run([str(HERE / "build-initramfs.sh"), str(initrd), kver, str(HERE / "sandbox-init.sh")], check=True)
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-M", "q35", "-smp", "1", "-m", "1536",
           "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-monitor", "none",
           "-nic", "none", "-no-reboot", "-kernel", f"/boot/vmlinuz-{kver}", "-initrd", str(initrd),
           "-append", f"console=ttyS0 panic=-1 WORK={share} BIN={bindir} REPO={ROOT}",
           "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
           "-virtfs", f"local,path={out},mount_tag=out,security_model=none"]
    # The guest's TPM 2.0: swtpm on a unix socket, a TIS device in the guest (/dev/tpmrm0).
    shutil.rmtree(work / "tpm", ignore_errors=True)  # a new TPM: keygen refuses an occupied handle
    (work / "tpm").mkdir()
    tpm_sock = work / "tpm" / "swtpm.sock"
    swtpm = subprocess.Popen(["swtpm", "socket", "--tpm2", "--tpmstate", f"dir={work / 'tpm'}",
                              "--ctrl", f"type=unixio,path={tpm_sock}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if tpm_sock.exists():
            break
        time.sleep(0.02)
    cmd += ["-chardev", f"socket,id=chrtpm,path={tpm_sock}", "-tpmdev", "emulator,id=tpm0,chardev=chrtpm",
            "-device", "tpm-tis,tpmdev=tpm0"]
    t0 = time.time()
    vm = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    timer = threading.Timer(timeout, lambda: (print("HOST: TIMEOUT, killing VM", flush=True), vm.kill()))
    timer.start()
    result, fails = None, []
    for raw in vm.stdout:
        line = raw.decode(errors="replace").rstrip("\r\n")
        tag, _, value = line.strip().partition(": ")
        print(f"[{time.time() - t0:6.1f}] {line}", flush=True)
        if tag == "GUEST-FAIL":
            fails.append(value)
        elif tag == "GUEST-RESULT":
            result = value
    vm.wait()
    timer.cancel()
    swtpm.kill()
    swtpm.wait()
    ok = True

    def read(name):
        p = out / name
        if not p.exists():
            return None
        return p.read_text() if p.suffix == ".txt" else json.loads(p.read_text())

    journal = read("journal.txt") or ""
    print("\n".join(f"[journal] {l}" for l in journal.splitlines()[-60:]), flush=True)

    def check(cond, what):
        nonlocal ok
        print(f"HOST: {'ok  ' if cond else 'FAIL'} {what}", flush=True)
        ok = ok and bool(cond)

    check(result == "DONE" and not fails, f"guest finished ({result}, {fails})")
    unit = read("unit.json") or {}
    show, status = unit.get("show", {}), unit.get("status", {})
    print(f"HOST: unit: {json.dumps(show)}", flush=True)
    print(f"HOST: process: {json.dumps(status)}", flush=True)
    print(f"HOST: {unit.get('exposure')}", flush=True)
    check(show.get("FragmentPath") == "/etc/systemd/system/gatewayd.service"
          and show.get("DropInPaths") == "/etc/systemd/system/gatewayd.service.d/vmtest.conf",
          "systemd runs the shipped unit file, with only the test's ExecStart drop-in")
    check(show.get("ActiveState") == "active" and show.get("SubState") == "running", "gatewayd.service is active (running)")
    check(show.get("User") == "gatewayd" and show.get("DevicePolicy") == "closed"
          # (ProtectClock=yes adds char-rtc r of its own)
          and set(show.get("DeviceAllow", "").splitlines()) == set(UNIT_DEVICE_ALLOW) | {"char-rtc r"}
          and show.get("ProtectSystem") == "strict",
          "its properties are the unit's: User=gatewayd, DevicePolicy=closed with the unit's DeviceAllow list, ProtectSystem=strict")
    uids = status.get("Uid", "0").split()
    check("tss" in status.get("groups", []) and "gatewayd" in status.get("groups", []),
          f"the service user is in group tss for /dev/tpmrm0 (systemd/gatewayd.sysusers): {status.get('groups')}")
    tpm = read("tpm.json") or {}
    print(f"HOST: TPM: {tpm}", flush=True)
    check(tpm.get("node_group") == "tss" and "spool.db" in tpm.get("state_files", [])
          and tpm.get("private_key_files") == [],
          "the device key is in the TPM (/dev/tpmrm0, group tss): no key file under /var/lib/gatewayd")
    check(len(set(uids)) == 1 and uids[0] != "0" and status.get("NoNewPrivs") == "1" and status.get("Seccomp") == "2"
          and status.get("CapEff") == "0000000000000000" and status.get("CapBnd") == "0000000000000000",
          "the process: an unprivileged uid, no_new_privs, a seccomp filter, no capabilities")
    check("/system.slice/gatewayd.service" in status.get("cgroup", "") and status.get("mountns_differs"),
          "the process is in the unit's cgroup and a mount namespace of its own")
    m = re.search(r"exposure level for gatewayd.service: ([0-9.]+)", unit.get("exposure", ""))
    check(m and float(m.group(1)) <= 2.0, f"systemd-analyze security of the running unit ≤ 2.0 ({m and m.group(1)})")
    events = read("events.json") or []
    site_key = share / "gatewayd" / "site.key"
    print(f"HOST: events: {[(e.get('reader'), (e.get('decoded') or {}).get('ndef')) for e in events]}", flush=True)
    taps = [("tap-pcsc", u, i) for u, i in zip(URIS, UIDS)] + [("tap-usb", USB_URI, USB_UID)]
    check(len(events) == len(taps), f"{len(taps)} taps, {len(events)} events at the case server")
    for e, (reader, uri, uid) in zip(events, taps):
        ndef = (e.get("decoded") or {}).get("ndef") or [{}]
        check(e.get("reader") == reader and ndef[0].get("uri") == uri
              and (e.get("nfc") or {}).get("uid") == pseudonym(site_key, uid.hex().upper())
              and uid.hex().upper() not in json.dumps(e),
              f"the tap of {uri}: its event from reader {reader}, the URI decoded, the UID pseudonymised")
    usb = read("usb.json") or {}
    node = usb.get("node") or {}
    print(f"HOST: PN533 node: {node}", flush=True)
    print(f"HOST: without char-usb_device: {usb.get('refused')}", flush=True)
    check(node.get("group") == "gatewayd" and node.get("driver") == "usbfs" and node.get("pn533_modules") == [],
          "the PN533's usbfs node: group gatewayd (70-gatewayd-nfc.rules), claimed by gatewayd through usbfs, "
          "the kernel's pn533 driver not loaded (the blacklist)")
    check("char-usb_device" not in usb.get("allow_without_usb", "x")
          and "blocked by the service's sandbox" in (usb.get("refused") or ""),
          "the unit without DeviceAllow=char-usb_device: gatewayd says the USB reader is blocked by the sandbox")
    signals = read("signals.json")
    check(signals == [["green", 1]] * len(URIS), f"the reader got green and one beep per tap ({signals})")
    check("backend=pcsc" in journal and "backend=usb" in journal
          and all(u.hex().upper() not in journal.upper() for u in [*UIDS, USB_UID]),
          "the journal shows both readers, never a UID")
    # libdispatch sets each worker thread's nice value; a filter without setpriority(2) makes it
    # log a line per thread (the unit re-allows just that call).
    check("gatewayd ready" in journal and "Failed to set thread priority" not in journal,
          "no system call the unit filters out fails in gatewayd's journal")
    print(f"HOST: wall {time.time() - t0:.1f}s, overall {'PASS' if ok else 'FAIL'}", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
