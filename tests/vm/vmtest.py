#!/usr/bin/env python3
"""Host side of the gatewayd USB system test (stdlib only).

Boots a QEMU guest (TCG) with the stock Debian kernel, an xHCI controller, an emulated USB
keyboard (usb-kbd 0627:0001) and an emulated FTDI serial adapter (usb-serial 0403:6001), and
the host's root shared read-only over 9p so the guest runs this build of gatewayd and
case-server. The guest also builds a configfs gadget (05e0:1200: a boot keyboard and a HID
POS scanner) on dummy_hcd, and a PN533 NFC stick (04cc:2533) as a FunctionFS gadget on a second
dummy_hcd controller (tests/vm/pn533_gadget.py), on which it taps one NTAG215 for gatewayd's
libusb NFC backend to read through the kernel's usbfs. The host types through QMP, feeds the serial adapter through its
chardev socket, unplugs and replugs the keyboard with QMP device_del/device_add, and checks
that every scan arrived exactly once at case-server; and that `gatewayd --probe` in the guest
shows the readers' devices and lists the USB bus with each device's driver and verdict.

    vmtest.py --bin .build/debug --workdir DIR        exit 0 when all passed
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
QCODE = {c: c for c in "abcdefghijklmnopqrstuvwxyz0123456789"}
QCODE.update({"-": "minus", "\n": "ret"})

POS_DESC = bytes([
    0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x85, 0x02, 0x09, 0x12, 0xA1, 0x02, 0x15, 0x00, 0x26, 0xFF, 0x00,
    0x75, 0x08, 0x95, 0x01, 0x06, 0x00, 0xFF, 0x09, 0x01, 0x81, 0x02, 0x05, 0x8C, 0x09, 0xFB, 0x09, 0xFC,
    0x09, 0xFD, 0x95, 0x03, 0x81, 0x02, 0x09, 0xFE, 0x95, 0x38, 0x82, 0x02, 0x01, 0x06, 0x00, 0xFF, 0x09,
    0x02, 0x95, 0x02, 0x81, 0x02, 0x05, 0x8C, 0x09, 0xFF, 0x75, 0x01, 0x95, 0x01, 0x25, 0x01, 0x81, 0x02,
    0x75, 0x07, 0x81, 0x03, 0xC0, 0xC0])
KBD_DESC = bytes([
    0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01,
    0x95, 0x08, 0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x03, 0x95, 0x06, 0x75, 0x08, 0x15, 0x00, 0x25, 0x65,
    0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00, 0xC0])
EXPECTED = ["KBD-0001", "KBD-0002", "SER-0001", "GAD-42", "4006381333931"]
# The tag the PN533 gadget taps (its defaults): an NTAG215 with one URI record.
NFC_UID = "04A1B2C3D4E580"
NFC_URI = "https://example.com/kiosk?tag=42"


class QMP:
    def __init__(self, path, timeout=30):
        end = time.time() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                if time.time() > end:
                    raise
                time.sleep(0.05)
        self.f = self.s.makefile("rwb")
        json.loads(self.f.readline())
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise RuntimeError(f"{name}: {r['error']}")


def type_text(qmp, text, delay=0.02):
    ev = lambda k, down: {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": k}}}
    for ch in text:
        shift = ch.isupper()
        k = QCODE[ch.lower()]
        qmp.cmd("input-send-event", events=([ev("shift", True)] if shift else []) + [ev(k, True)])
        time.sleep(delay)
        qmp.cmd("input-send-event", events=[ev(k, False)] + ([ev("shift", False)] if shift else []))
        time.sleep(delay)


def prepare(work: Path, bindir: Path):
    """Keys, PKI, config and udev rules for the guest, made on the host."""
    if work.exists():
        shutil.rmtree(work)
    (work / "devices").mkdir(parents=True)
    subprocess.run([str(ROOT / "scripts" / "make-pki.sh"), str(work / "pki")], check=True)
    subprocess.run([str(bindir / "case-server"), "keygen", "--out", str(work / "server.key")], check=True, capture_output=True)
    pub = subprocess.run([str(bindir / "gatewayd"), "keygen", "--out", str(work / "device.key")], check=True,
                         capture_output=True, text=True).stdout
    (work / "devices" / "vm-terminal.pem").write_text(pub)
    subprocess.run([str(bindir / "gatewayd"), "keygen", "--site-key", str(work / "site.key")], check=True, capture_output=True)
    shutil.copy(ROOT / "udev" / "70-gatewayd.rules", work)
    shutil.copy(ROOT / "udev" / "70-gatewayd-nfc.rules", work)
    shutil.copy(ROOT / "udev" / "gatewayd-nfc-blacklist.conf", work)
    # QEMU's emulated keyboard and FTDI adapter are not scanner vendors: add them the way the
    # rules file documents for a reader it does not know.
    (work / "69-gatewayd-local.rules").write_text(
        'SUBSYSTEMS=="usb", ATTRS{idVendor}=="0627", ATTRS{idProduct}=="0001", ENV{GATEWAYD_READER}="1"\n'
        'SUBSYSTEMS=="usb", ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6001", ENV{GATEWAYD_READER}="1"\n')
    (work / "kbd.desc").write_bytes(KBD_DESC)
    (work / "pos.desc").write_bytes(POS_DESC)
    report = bytearray(64)
    data = b"4006381333931"
    report[0], report[1] = 2, len(data)
    report[2:5] = b"]E0"
    report[5:5 + len(data)] = data
    (work / "pos.report").write_bytes(bytes(report))
    config = """
[device]
id = "vm-terminal"
private_key = "device.key"
[server]
url = "https://127.0.0.1:8443"
public_key = "server.key.pub"
ca = "pki/ca.pem"
[spool]
path = "spool.db"
[redact]
site_key = "site.key"
[heartbeat]
interval_s = 0
[forward]
backoff_base_ms = 100
backoff_cap_ms = 1000
[[reader]]
id = "kbd"
kind = "evdev"
layout = "us"
[reader.match]
vendor = "0627"
product = "0001"
[[reader]]
id = "gadget-kbd"
kind = "evdev"
[reader.match]
vendor = "05e0"
product = "1200"
[[reader]]
id = "pos"
kind = "hidraw"
[reader.match]
vendor = "05e0"
product = "1200"
[[reader]]
id = "serial"
kind = "serial"
baud = 9600
[reader.match]
vendor = "0403"
product = "6001"
[[reader]]
id = "camera"
kind = "camera"
width = 160
height = 120
[reader.match]
name = "vivid*"
[[reader]]
id = "tap"
kind = "nfc"
backend = "usb"
[reader.match]
vendor = "04cc"
product = "2533"
"""
    (work / "gatewayd.toml").write_text(config)
    # For the probe's USB inventory: the same terminal without the readers of usb-kbd and the
    # FTDI adapter, so that the probe says what they could be.
    alone = config
    for reader in ('[[reader]]\nid = "kbd"\nkind = "evdev"\nlayout = "us"\n[reader.match]\nvendor = "0627"\nproduct = "0001"\n',
                   '[[reader]]\nid = "serial"\nkind = "serial"\nbaud = 9600\n[reader.match]\nvendor = "0403"\nproduct = "6001"\n'):
        assert reader in alone, reader
        alone = alone.replace(reader, "")
    (work / "gatewayd-usb.toml").write_text(alone)
    # For the unit's device sandbox: an NFC reader with the USB backend whose rule takes usb-kbd's
    # usbfs node (a stand-in: only whether the node can be opened is asked), probed inside a
    # devices cgroup that refuses usbfs (char 189), as DevicePolicy=closed without
    # DeviceAllow=char-usb_device does, and outside it.
    nfc = config.split("[[reader]]")[0] + '[[reader]]\nid = "tap"\nkind = "nfc"\nbackend = "usb"\n[reader.match]\nvendor = "0627"\nproduct = "0001"\n'
    (work / "gatewayd-nfc.toml").write_text(nfc)


def vm_args():
    """The VM tests' command line (this one and sandboxtest.py): the build's binaries, a work
    directory, and how long the guest may take."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()
    return Path(a.bin).resolve(), Path(a.workdir).resolve(), a.timeout


def main():
    bindir, work, timeout = vm_args()
    prepare(work / "share", bindir)
    kver = sorted(os.listdir("/lib/modules"))[-1]
    initrd = work / "initramfs.cpio.gz"
    subprocess.run([str(HERE / "build-initramfs.sh"), str(initrd), kver], check=True)
    qmp_path, ser_path = str(work / "qmp.sock"), str(work / "ser.sock")
    for p in (qmp_path, ser_path):
        if os.path.exists(p):
            os.unlink(p)
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-M", "q35", "-smp", "1", "-m", "1024",
           "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-monitor", "none",
           "-nic", "none", "-no-reboot", "-kernel", f"/boot/vmlinuz-{kver}", "-initrd", str(initrd),
           "-append", f"console=ttyS0 quiet panic=-1 WORK={work / 'share'} BIN={bindir} SRC={ROOT} EXPECT={len(EXPECTED) + 1}",
           "-qmp", f"unix:{qmp_path},server=on,wait=off",
           "-device", "qemu-xhci,id=xhci",
           "-device", "usb-kbd,id=kbd0,bus=xhci.0,serial=KBD0001",
           "-chardev", f"socket,id=s0,path={ser_path},server=on,wait=off",
           "-device", "usb-serial,id=ser0,chardev=s0,bus=xhci.0,always-plugged=on",
           "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"]
    t0 = time.time()
    vm = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    timer = threading.Timer(timeout, lambda: (print("HOST: TIMEOUT, killing VM", flush=True), vm.kill()))
    timer.start()
    qmp = QMP(qmp_path)
    ser = socket.socket(socket.AF_UNIX)
    for _ in range(200):
        try:
            ser.connect(ser_path)
            break
        except OSError:
            time.sleep(0.05)
    events, result, fails, udev, camera, probe, probe_usb = None, None, [], [], [], {}, {}
    probe_nfc, probe_sandbox, nfc_node, pn533 = {}, {}, [], {}
    for raw in vm.stdout:
        line = raw.decode(errors="replace").rstrip("\r\n")
        if not line.startswith(("EVENTS:", "PROBE-JSON:", "PROBE-USB-JSON:", "PROBE-NFC-JSON:", "PROBE-SANDBOX-JSON:")):
            print(f"[{time.time() - t0:6.1f}] {line}", flush=True)
        s = line.strip()
        try:
            if s == "READY-DEVICES":
                type_text(qmp, "KBD-0001\n")
                ser.sendall(b"SER-0001\r\n")
                print("HOST: typed KBD-0001 via QMP, wrote SER-0001 to the FTDI adapter", flush=True)
            elif s == "GOT-KBD-0001":
                qmp.cmd("device_del", id="kbd0")
                print("HOST: unplugged the keyboard (device_del)", flush=True)
            elif s == "UNPLUGGED":
                qmp.cmd("device_add", driver="usb-kbd", id="kbd0", bus="xhci.0", serial="KBD0001")
                print("HOST: plugged it back (device_add)", flush=True)
            elif s == "REPLUGGED":
                time.sleep(0.5)
                type_text(qmp, "KBD-0002\n")
                print("HOST: typed KBD-0002", flush=True)
            elif s.startswith("PROBE-JSON:"):
                probe = json.loads(s[len("PROBE-JSON:"):].strip() or "{}")
            elif s.startswith("PROBE-USB-JSON:"):
                probe_usb = json.loads(s[len("PROBE-USB-JSON:"):].strip() or "{}")
            elif s.startswith("PROBE-NFC-JSON:"):
                probe_nfc = json.loads(s[len("PROBE-NFC-JSON:"):].strip() or "{}")
            elif s.startswith("PROBE-SANDBOX-JSON:"):
                probe_sandbox = json.loads(s[len("PROBE-SANDBOX-JSON:"):].strip() or "{}")
            elif s.startswith("EVENTS:"):
                events = json.loads(s[len("EVENTS:"):].strip() or "{}")
            elif s.startswith("GUEST: NFC-NODE"):
                nfc_node.append(s)
            elif s.startswith("PN533-COUNTS:"):
                pn533 = {k: int(v) for k, v in (w.split("=") for w in s.split()[1:])}
            elif s.startswith("GUEST: UDEV-"):
                udev.append(s)
            elif s.startswith("GUEST: CAMERA-"):
                camera.append(s)
            elif s.startswith("GUEST-FAIL:"):
                fails.append(s)
            elif s.startswith("GUEST-RESULT:"):
                result = s.split()[-1]
        except Exception as e:  # noqa: BLE001
            print(f"HOST: ERROR {e!r}", flush=True)
            vm.kill()
    vm.wait()
    timer.cancel()
    ok = True
    def check(cond, what):
        nonlocal ok
        print(f"HOST: {'ok  ' if cond else 'FAIL'} {what}", flush=True)
        ok = ok and cond
    check(result == "DONE" and not fails, f"guest finished ({result}, {fails})")
    stored = (events or {}).get("events", [])
    taps = [e for e in stored if "nfc" in e]
    got = [e.get("text") for e in stored if "nfc" not in e]
    print(f"HOST: server events: {got}", flush=True)
    for want in EXPECTED:
        check(got.count(want) == 1, f"{want!r} arrived exactly once")
    check(len(got) == len(EXPECTED), f"no other events ({len(got)} stored)")
    pos = [e for e in (events or {}).get("events", []) if e.get("text") == "4006381333931"]
    check(bool(pos) and pos[0].get("symbology") == "]E0", "HID POS scan carries its symbology ]E0")
    check(any("input-" in u and "group=gatewayd" in u for u in udev), "udev: /dev/gatewayd/input-* in group gatewayd")
    check(any("tty-" in u and "group=gatewayd" in u for u in udev), "udev: /dev/gatewayd/tty-* in group gatewayd")
    check(any("hidraw-" in u for u in udev), "udev: /dev/gatewayd/hidraw-*")
    check(any("UDEV-NODE input-FakeScan" in u and "group=gatewayd" in u for u in udev),
          "udev: the scanner-vendor gadget (05e0:1200) is recognised without a local rule")
    check(any("UDEV-NODE hidraw-FakeScan" in u for u in udev), "udev: its HID POS hidraw node has a /dev/gatewayd link")
    check(any("UDEV-PROPS input-" in u and "LIBINPUT_IGNORE_DEVICE=1" in u and "systemd" in u for u in udev),
          "udev: wedge scanner hidden from libinput and tagged for systemd")
    # The PN533 FunctionFS gadget, read by gatewayd's libusb backend through the kernel's usbfs:
    # one tap, one event, as test_nfc_usb.py checks it under umockdev.
    print(f"HOST: nfc node: {nfc_node}; gadget counts: {pn533}", flush=True)
    print(f"HOST: nfc events: {taps}", flush=True)
    key = base64.b64decode((work / "share" / "site.key").read_text().strip())
    pseudonym = "pn:" + hmac.new(key, NFC_UID.encode(), hashlib.sha256).hexdigest()[:32]
    check(len(nfc_node) == 1 and "group=gatewayd" in nfc_node[0] and "driver=none" in nfc_node[0],
          "udev: the PN533 gadget's usbfs node is in group gatewayd (70-gatewayd-nfc.rules), no kernel driver on it")
    tap = taps[0] if len(taps) == 1 else {}
    check(len(taps) == 1, f"nfc: the tag tapped on the PN533 gadget arrived exactly once ({len(taps)} stored)")
    check(tap.get("nfc") == {"uid": pseudonym, "type": "ntag215", "atqa": "0044", "sak": "00"},
          "nfc: its nfc member has the pseudonymised UID, ntag215, ATQA 0044, SAK 00")
    check((tap.get("decoded") or {}).get("format") == "ndef"
          and [r.get("uri") for r in tap["decoded"].get("ndef", [])] == [NFC_URI] and "misread" not in tap,
          f"nfc: its NDEF message decoded to the URI {NFC_URI}")
    check(NFC_UID not in json.dumps(events), "nfc: the UID never reaches the server in clear")
    check(pn533.get("firmware") == 1 and pn533.get("reads", 0) >= 3 and pn533.get("rx_nack", 1) == 0
          and pn533.get("tx_nack", 1) == 0 and pn533.get("errors", 1) == 0
          and pn533.get("gw_unreadable", 1) == 0 and pn533.get("gw_reopens", 1) == 0,
          "nfc: one session (one GetFirmwareVersion), the tag's READs, no NACK, error frame or reopen")
    check("GUEST: CAMERA-FRAMES" in camera, "camera: a V4L2 device that appears is streamed and its frames scanned")
    check("GUEST: CAMERA-GONE" in camera, "camera: its removal ends the session cleanly")
    checks = {c["name"]: c for c in probe.get("checks", [])}

    def selected(reader):
        devs = ((checks.get(f"reader {reader}") or {}).get("reader") or {}).get("devices", [])
        return [d for d in devs if d.get("matched")]
    for reader, usb, needs in [("kbd", "0627:0001", "r"), ("pos", "05e0:1200", "r"), ("serial", "0403:6001", "rw")]:
        devs = selected(reader)
        print(f"HOST: probe reader {reader}: {devs}", flush=True)
        check(checks.get(f"reader {reader}", {}).get("status") == "ok" and any(
            d.get("usb") == usb and d.get("driver") and needs in (d.get("access") or "") for d in devs),
            f"probe: reader {reader} shows its USB device {usb}, its driver and access for gatewayd ({needs})")
    check(any(d.get("driver") == "ftdi_sio" for d in selected("serial")), "probe: the serial reader's driver is ftdi_sio")
    for name in ("server", "reader camera"):
        c = checks.get(name) or {}
        print(f"HOST: probe {name}: {c.get('status')}: {c.get('detail')}", flush=True)
        for line in c.get("lines") or []:
            print(f"HOST:   {line}", flush=True)
    check(checks.get("server", {}).get("status") == "ok" and checks.get("reader camera", {}).get("status") == "warn",
          "probe: server ok; the camera not plugged in yet is a warning")

    # The probe's USB inventory (libusb in the guest): each device with its driver and verdict,
    # with the test's readers, and without the readers of usb-kbd and the FTDI adapter.
    def usb_bus(report):
        c = {x["name"]: x for x in report.get("checks", [])}.get("usb bus") or {}
        return c, {d["usb"]: d for d in (c.get("usb") or {}).get("devices", [])}
    def drivers(d):
        return {i.get("driver") for i in (d or {}).get("interfaces", [])}
    bus, full = usb_bus(probe)
    bus_alone, alone = usb_bus(probe_usb)
    for c in (bus, bus_alone):
        print(f"HOST: probe usb bus: {c.get('status')}: {c.get('detail')}", flush=True)
        for line in c.get("lines") or []:
            print(f"HOST:   {line}", flush=True)
    kbd, ftdi, gadget = full.get("0627:0001") or {}, full.get("0403:6001") or {}, full.get("05e0:1200") or {}
    check(kbd.get("verdict") == "reader" and kbd.get("readers") == ["kbd"] and drivers(kbd) == {"usbhid"},
          "probe usb bus: usb-kbd 0627:0001, driver usbhid, taken by reader kbd")
    check(ftdi.get("verdict") == "reader" and ftdi.get("readers") == ["serial"] and drivers(ftdi) == {"ftdi_sio"},
          "probe usb bus: the FTDI adapter 0403:6001, driver ftdi_sio, taken by reader serial")
    check(gadget.get("verdict") == "reader" and gadget.get("readers") == ["gadget-kbd", "pos"]
          and drivers(gadget) == {"usbhid"} and gadget.get("product") == "Virtual Barcode Scanner"
          and gadget.get("serial") == "SN0001",
          "probe usb bus: the gadget 05e0:1200 (its strings, driver usbhid) taken by readers gadget-kbd and pos")
    kbd, ftdi, gadget = alone.get("0627:0001") or {}, alone.get("0403:6001") or {}, alone.get("05e0:1200") or {}
    check(kbd.get("verdict") == "hid_keyboard" and drivers(kbd) == {"usbhid"}
          and kbd.get("detail", "").startswith("HID keyboard that no reader rule matches")
          and any(n.startswith("/dev/input/event") for n in kbd.get("nodes", [])),
          "probe usb bus without its reader: usb-kbd is a HID keyboard no reader rule matches (usbhid, its evdev node)")
    check(ftdi.get("verdict") == "serial" and drivers(ftdi) == {"ftdi_sio"} and "a serial reader?" in ftdi.get("detail", "")
          and "/dev/ttyUSB0" in ftdi.get("nodes", []),
          "probe usb bus without its reader: the FTDI adapter is a serial reader? (ftdi_sio, /dev/ttyUSB0)")
    check(gadget.get("verdict") == "reader" and gadget.get("readers") == ["gadget-kbd", "pos"],
          "probe usb bus without them: the gadget is still taken by its readers")
    check(any(d.get("verdict") == "hub" for d in alone.values()) and bus_alone.get("status") == "ok",
          "probe usb bus: root hubs listed as hubs; nothing needs attention")
    tap = {x["name"]: x for x in probe_nfc.get("checks", [])}.get("reader tap") or {}
    boxed = {x["name"]: x for x in probe_sandbox.get("checks", [])}.get("reader tap") or {}
    print(f"HOST: probe nfc reader: {tap.get('status')}: {tap.get('detail')}", flush=True)
    print(f"HOST: probe nfc reader in a devices cgroup without usbfs: {boxed.get('status')}: {boxed.get('detail')}",
          flush=True)
    check(tap.get("status") == "ok" and "/dev/bus/usb/" in tap.get("detail", ""),
          "probe nfc usb reader: its usbfs node opens outside a sandbox")
    check(boxed.get("status") == "fail" and "blocked by the service's sandbox" in boxed.get("detail", "")
          and "DeviceAllow=char-usb_device rw" in boxed.get("detail", ""),
          "probe nfc usb reader inside a devices cgroup without usbfs: blocked by the service's sandbox")
    print(f"HOST: wall {time.time() - t0:.1f}s, overall {'PASS' if ok else 'FAIL'}", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
