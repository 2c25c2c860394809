#!/usr/bin/env python3
"""Guest side of the sandbox VM test (tests/vm/sandboxtest.py): runs under systemd in the guest
as vmtest-driver.service, after the project's gatewayd.service has started with its sandbox.

It taps tags on the emulated PC/SC reader (tests/system/nfc_emulator.py behind pcscd's vpcd
driver; pcscd itself is Debian's pcscd.socket, activated by gatewayd's first connection) and on
the PN533 stick (tests/vm/pn533_gadget.py, a FunctionFS gadget on dummy_hcd that gatewayd's
libusb backend opens through the kernel's usbfs), waits until each tap is an event at the case
server, then takes char-usb_device out of the unit's DeviceAllow list (systemctl set-property)
and restarts it, to see the USB reader refused by the sandbox. It writes what it saw to /mnt/out
(a writable 9p share of the host's), one JSON file each:
  unit.json: what systemd says of gatewayd.service, and what the kernel says of its process
  events.json: the case server's events
  signals.json: the lights and beeps gatewayd sent the reader
  tpm.json: the TPM's node and what the state directory holds (no key file)
  usb.json: the PN533's node, its kernel driver, the gadget's log, the refused reader's journal
  journal.txt: gatewayd's journal
Progress goes to the console. The host checks the files. Everything here is root and outside the
sandbox: it only drives and looks.
"""
import grp
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "system"))
from nfc_emulator import NfcEmulator, Tag, uri_record  # noqa: E402

VPCD_PORT = 0x8C7B  # Debian's /etc/reader.conf.d/vpcd
URIS = ["https://example.com/kiosk/sandbox-1", "https://example.com/kiosk/sandbox-2"]
UIDS = [bytes.fromhex("04A1B2C3D4E501"), bytes.fromhex("04A1B2C3D4E502")]
USB_URI, USB_UID = "https://example.com/kiosk/sandbox-usb", bytes.fromhex("04A1B2C3D4E503")



OUT = Path("/mnt/out")


def save(name, value):
    (OUT / name).write_text(value if isinstance(value, str) else json.dumps(value))


def say(tag, value):
    with open("/dev/ttyS0", "w") as console:
        console.write(f"{tag}: {value if isinstance(value, str) else json.dumps(value)}\n")


def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True).stdout


def wait(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.5)
    raise TimeoutError(what)


def events():
    out = sh("/opt/gatewayd/bin/case-server", "events", "--db", "/var/lib/case-server/cases.db", "--json")
    try:
        return json.loads(out).get("events", [])
    except ValueError:
        return []


def journal(unit="gatewayd.service", since=None):
    return sh("journalctl", "-u", unit, "-o", "cat", "--no-pager", *(["--cursor", since] if since else []))


def cursor():
    return sh("journalctl", "-n", "0", "--show-cursor", "--no-pager").strip().rpartition("cursor: ")[2]


def pn533_node():
    """The PN533 gadget's usbfs node, its group and mode, its interface's driver (usbfs once
    gatewayd has claimed it) and the kernel's pn533 modules loaded."""
    for d in Path("/sys/bus/usb/devices").iterdir():
        try:
            if (d / "idVendor").read_text().strip() + ":" + (d / "idProduct").read_text().strip() != "04cc:2533":
                continue
        except OSError:
            continue
        node = "/dev/bus/usb/%03d/%03d" % (int((d / "busnum").read_text()), int((d / "devnum").read_text()))
        st = os.stat(node)
        driver = d / f"{d.name}:1.0" / "driver"
        return {"node": node, "group": grp.getgrgid(st.st_gid).gr_name, "mode": oct(st.st_mode & 0o777),
                "driver": os.path.basename(os.readlink(driver)) if driver.exists() else None,
                "pn533_modules": [l.split()[0] for l in open("/proc/modules") if l.startswith("pn533")]}
    return None


def unit():
    props = ["MainPID", "ActiveState", "SubState", "User", "DevicePolicy", "DeviceAllow", "ProtectSystem",
             "PrivateTmp", "NoNewPrivileges", "RestrictAddressFamilies", "CapabilityBoundingSet", "FragmentPath",
             "DropInPaths", "ExecStart"]
    show = {}
    for line in sh("systemctl", "show", "gatewayd.service", "-p", ",".join(props)).splitlines():
        k, _, v = line.partition("=")
        show[k] = show[k] + "\n" + v if k in show else v
    pid = show.get("MainPID", "0")
    status = {}
    if pid != "0":
        for l in open(f"/proc/{pid}/status"):
            k, _, v = l.partition(":")
            if k in ("Uid", "Gid", "NoNewPrivs", "Seccomp", "CapEff", "CapBnd"):
                status[k] = v.strip()
        status["cgroup"] = open(f"/proc/{pid}/cgroup").read().strip()
        gids = next(l.split(":", 1)[1].split() for l in open(f"/proc/{pid}/status") if l.startswith("Groups:"))
        status["groups"] = sorted(grp.getgrgid(int(g)).gr_name for g in gids)
        status["mountns_differs"] = os.readlink(f"/proc/{pid}/ns/mnt") != os.readlink("/proc/1/ns/mnt")
    exposure = sh("systemd-analyze", "security", "--no-pager", "gatewayd.service").strip().splitlines()
    return {"show": show, "status": status, "exposure": exposure[-1] if exposure else ""}


def main():
    say("GUEST", "driver started")
    wait(lambda: sh("systemctl", "is-active", "gatewayd.service").strip() == "active", 240, "gatewayd.service active")
    wait(lambda: "backend=pcsc" in journal() and "reader connected" in journal(), 240, "the PC/SC reader connected")
    say("GUEST", "gatewayd active, its PC/SC reader connected")
    emu = NfcEmulator(VPCD_PORT).start()
    emu.wait_connected(timeout=60)
    for i, (uri, uid) in enumerate(zip(URIS, UIDS)):
        emu.tap(Tag.ntag213(uri_record(uri), uid=uid))
        emu.wait_signals(i + 1, timeout=120)
        emu.lift()
        say("GUEST", f"tap {i + 1}: signalled")
    wait(lambda: len(events()) >= len(URIS), 120, "the events at the case server")
    save("signals.json", [[s.color, s.beeps] for s in emu.signals])
    emu.close()

    # The PN533 through usbfs: the unit grants char-usb_device.
    wait(lambda: "reader=tap-usb" in journal() and "backend=usb" in journal(), 120, "the USB reader connected")
    node = pn533_node()
    say("GUEST", f"PN533 connected: {node}")
    with open("/run/pn533.ctl", "w") as ctl:
        ctl.write(f"tap {USB_URI} {USB_UID.hex().upper()}\n")
    wait(lambda: len(events()) >= len(URIS) + 1, 120, "the USB tap's event")
    with open("/run/pn533.ctl", "w") as ctl:
        ctl.write("lift\n")
    say("GUEST", "USB tap stored")
    time.sleep(2)
    save("unit.json", unit())
    save("events.json", events())
    save("tpm.json", {"node_group": grp.getgrgid(os.stat("/dev/tpmrm0").st_gid).gr_name,
                      "state_files": sorted(os.listdir("/var/lib/gatewayd")),
                      "private_key_files": [str(p) for p in Path("/var/lib/gatewayd").rglob("*")
                                            if p.is_file() and b"PRIVATE KEY" in p.read_bytes()]})

    # The same unit without char-usb_device: the USB reader is refused, the PC/SC one still works.
    mark = cursor()
    # The unit's DeviceAllow list without usbfs, as a unit file that forgot it would have it.
    without_usb = [d for d in sh("systemctl", "show", "gatewayd.service", "-p", "DeviceAllow").splitlines()
                   if d.startswith("DeviceAllow=") and "usb_device" not in d]
    sh("systemctl", "set-property", "--runtime", "gatewayd.service", "DeviceAllow=", *without_usb)
    sh("systemctl", "restart", "gatewayd.service")
    refused = wait(lambda: next((l for l in journal(since=mark).splitlines()
                                 if "tap-usb" in l and "sandbox" in l), None), 120, "the USB reader refused")
    wait(lambda: "backend=pcsc" in journal(since=mark) and "reader connected" in journal(since=mark), 120,
         "the PC/SC reader after the restart")
    allow = sh("systemctl", "show", "gatewayd.service", "-p", "DeviceAllow").strip()
    say("GUEST", "without char-usb_device: the USB reader refused")
    save("usb.json", {"node": node, "refused": refused, "allow_without_usb": allow,
                      "gadget": journal("pn533-gadget.service")[-6000:]})


if __name__ == "__main__":
    try:
        main()
        say("GUEST-RESULT", "DONE")
    except Exception as e:  # noqa: BLE001 — the host reads the reason on the console
        say("GUEST-FAIL", repr(e))
        say("GUEST-RESULT", "FAIL")
    finally:
        save("journal.txt", journal())
