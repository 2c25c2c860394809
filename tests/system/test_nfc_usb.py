"""The libusb NFC backend (`backend = "usb"`) end to end, without hardware: the real gatewayd
runs under umockdev-run, which gives it a mocked sysfs (so libudev enumerates the reader like a
plugged one) and answers its usbfs ioctls from URB scripts written from the PN533 and CCID frame
formats (tests/system/data/nfc/README.md says what each script does). Events are checked at a
real case-server.

umockdev-run cannot unplug a device, but it delivers uevents: its preload library turns each
netlink socket of the program into a unix socket `$UMOCKDEV_DIR/event<fd>`, to which `uevent()`
below sends libudev's message format, as umockdev's own uevent sender does. A re-announced
device is opened again, and its script replays from the start (a new open is a new ioctl client).
"""
import glob
import os
import re
import socket
import struct
import time
from pathlib import Path

from harness import wait_for

DATA = Path(__file__).resolve().parent / "data" / "nfc"
UID = "04A1B2C3D4E580"
URI = "https://example.com/kiosk?tag=42"
PN533 = ("/devices/pci0000:00/0000:00:14.0/usb1/1-2", "/dev/bus/usb/001/005")
ACR122U = ("/devices/pci0000:00/0000:00:14.0/usb1/1-3", "/dev/bus/usb/001/006")


def umockdev(device, script, devnode):
    return ["umockdev-run", "--device", str(DATA / device), "--ioctl", f"{devnode}={DATA / script}", "--"]


def start(site, device, script, devnode, transcript=True):
    """transcript: umockdev logs every URB it completes (UMOCKDEV_DEBUG=ioctl-tree), so the test
    can compare them with the script; off for a script that repeats for ever."""
    site.write_config(readers=[{"id": "tap0", "kind": "nfc", "backend": "usb"}])
    site.start_server()
    env = {"UMOCKDEV_DEBUG": "ioctl-tree"} if transcript else {}
    return site.start_gateway(wrapper=umockdev(device, script, devnode), env_extra=env)


def script(name):
    """The URBs of a script, in order: type endpoint status flags length actual errors data."""
    return [l.split(None, 2)[2].strip() for l in (DATA / name).read_text().splitlines() if "REAPURB" in l]


def transcript(site):
    """The URBs umockdev completed for gatewayd, in order, as the script writes them. An OUT URB
    completes only when its bytes are the script's, but umockdev looks ahead in the script for a
    match, so only the whole sequence shows that nothing was skipped (a NACK not sent, a command
    not resent)."""
    return [u.strip() for u in re.findall(r"handling USBDEVFS_REAPURBNDELAY (3 \d+ -?\d+ \d+ \d+ \d+ \d+ [0-9A-F]*)", site.log())]


def umockdev_dir(wrapper):
    """The umockdev directory of the program umockdev-run runs (its UMOCKDEV_DIR)."""
    child = wait_for(lambda: open(f"/proc/{wrapper.pid}/task/{wrapper.pid}/children").read().split(), 10,
                     "gatewayd under umockdev-run")[0]
    env = open(f"/proc/{child}/environ", "rb").read().split(b"\0")
    return next(v.split(b"=", 1)[1].decode() for v in env if v.startswith(b"UMOCKDEV_DIR="))


def _murmur2(data: bytes) -> int:
    """systemd's string_hash32, which libudev's socket filter compares the subsystem with."""
    m, h = 0x5BD1E995, len(data)
    while len(data) >= 4:
        k = int.from_bytes(data[:4], "little") * m & 0xFFFFFFFF
        k = (k ^ k >> 24) * m & 0xFFFFFFFF
        h = (h * m & 0xFFFFFFFF) ^ k
        data = data[4:]
    if len(data) == 3:
        h ^= data[2] << 16
    if len(data) >= 2:
        h ^= data[1] << 8
    if data:
        h = (h ^ data[0]) * m & 0xFFFFFFFF
    h = (h ^ h >> 13) * m & 0xFFFFFFFF
    return h ^ h >> 15


def uevent(directory, device, action, seqnum):
    """Sends a udev event for a USB device to every monitor of the program under umockdev."""
    devpath, devnode = device
    props = b"".join(f"{k}={v}".encode() + b"\0" for k, v in [
        ("ACTION", action), ("DEVPATH", devpath), ("SUBSYSTEM", "usb"), ("SEQNUM", seqnum),
        ("DEVNAME", devnode), ("DEVTYPE", "usb_device")])
    # struct udev_monitor_netlink_header: "libudev", magic (network order), header size,
    # properties offset and length, subsystem and devtype hashes (network order), tag bloom.
    header = (b"libudev\0" + struct.pack("!I", 0xFEEDCAFE) + struct.pack("=III", 40, 40, len(props))
              + struct.pack("!II", _murmur2(b"usb"), _murmur2(b"usb_device")) + struct.pack("=II", 0, 0))
    sockets = glob.glob(os.path.join(directory, "event[0-9]*"))
    assert sockets, f"no monitor in {directory}"
    for path in sockets:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            try:
                s.connect(path)
                s.send(header + props)
            except ConnectionRefusedError:
                pass  # a monitor the program has closed


def by_seq(site):
    return sorted(site.events()["events"], key=lambda e: e["seq"])


def assert_tap_and_torn_read(site, events, chip_type="ntag215"):
    tap, torn = events
    assert tap["nfc"] == {"uid": site.pseudonym(UID), "type": chip_type, "atqa": "0044", "sak": "00"}
    assert tap["decoded"]["format"] == "ndef"
    assert [r.get("uri") for r in tap["decoded"]["ndef"]] == [URI]
    assert "misread" not in tap
    assert torn["misread"]["format"] == "nfc"
    assert torn["misread"]["reason"].startswith("torn read"), torn["misread"]
    assert torn["nfc"]["uid"] == site.pseudonym(UID)
    assert "decoded" not in torn
    # The UID never reaches the server or gatewayd's log in clear (umockdev's lines have it).
    assert UID not in str(site.events())
    assert not [l for l in site.log().splitlines() if " gatewayd: " in l and UID.lower() in l.lower()]


def test_pn533_tap_nack_checksum_error_and_unplug_mid_read(site):
    """Open and resync (ACK, GetFirmwareVersion), a poll with no tag, then the NTAG: its NDEF
    message over three READs, one answer with a bad checksum (NACKed, sent again) and one command
    the chip NACKed (sent again). The tag left on the reader is not a second tap; lifted and put
    back it is, and the stick is unplugged during that read (ENODEV): the tap is stored as a torn
    read, the session ends as gone. udev announcing it again opens it again."""
    gw = start(site, "pn533.umockdev", "pn533.ioctl", PN533[1])
    wait_for(lambda: "reader disconnected" in site.log(), 20, "the stick to be unplugged")
    events = site.wait_events(2)
    assert len(events) == 2
    assert_tap_and_torn_read(site, by_seq(site))
    log = site.log()
    connected = [l for l in log.splitlines() if "reader connected" in l]
    assert len(connected) == 1 and "chip=PN533 v2.7" in connected[0] and "backend=usb" in connected[0], connected
    assert "LIBUSB_ERROR_NO_DEVICE" in [l for l in log.splitlines() if "reader disconnected" in l][0]
    assert "nfc tap stored" in log and "signalled=false" in log  # a PN533 stick has no buzzer
    assert "out of step" not in log  # the NACK and the checksum error were recovered in-line
    assert transcript(site) == script("pn533.ioctl")

    uevent(umockdev_dir(gw), PN533, "add", 9001)
    wait_for(lambda: site.log().count("reader disconnected") == 2, 20, "the second session to end")
    assert site.log().count("reader connected") == 2
    site.wait_events(4)
    assert len(by_seq(site)) == 4
    assert_tap_and_torn_read(site, by_seq(site)[2:])
    assert transcript(site) == script("pn533.ioctl") * 2


def test_acr122u_tap_leds_after_commit_and_tag_gone(site):
    """The same tag through an ACR122U: PN532 frames in CCID XfrBlock pseudo-APDUs (the firmware
    answer fetched with GET RESPONSE after 61 08), the green LED and beep after the stored tap and
    red with two beeps after the torn read (status 01 from the chip: the tag stopped answering),
    each exactly where the script expects it (the CCID sequence numbers make the script strict),
    then the reader unplugged between polls."""
    start(site, "acr122u.umockdev", "acr122u.ioctl", ACR122U[1])
    wait_for(lambda: "reader disconnected" in site.log(), 20, "the reader to be unplugged")
    events = site.wait_events(2)
    assert len(events) == 2
    assert_tap_and_torn_read(site, by_seq(site))
    log = site.log()
    connected = [l for l in log.splitlines() if "reader connected" in l]
    assert len(connected) == 1, connected
    assert "chip=PN532 v1.6" in connected[0] and "reader_firmware=ACR122U215" in connected[0]
    stored = [l for l in log.splitlines() if "nfc tap stored" in l]
    misread = [l for l in log.splitlines() if "nfc tap misread" in l]
    assert len(stored) == 1 and "signalled=true" in stored[0], stored
    assert len(misread) == 1 and "signalled=true" in misread[0] and "torn read" in misread[0], misread
    assert "out of step" not in log
    assert transcript(site) == script("acr122u.ioctl")
    # Each signal only after its tap was committed: gatewayd logs "scans spooled" once the spool
    # has it, umockdev logs the LED URB when it completes, both into this one log as they happen.
    spooled = [m.start() for m in re.finditer(r"first_seq=\d+ reader=tap0 \[GatewayLinux\] scans spooled", log)]
    leds = [m.start() for m in re.finditer(r"handling USBDEVFS_REAPURBNDELAY 3 2 0 0 19 19 0 6F\w{18}FF0040", log)]
    assert len(spooled) == 2 and len(leds) == 2 and spooled[0] < leds[0] < spooled[1] < leds[1], (spooled, leds)


def test_removal_stops_the_session_and_readding_reopens_it(site):
    """A stick that only ever answers "no tag" (the script's one poll repeats): udev's remove
    event stops the session at once, its add event opens the stick again."""
    gw = start(site, "pn533.umockdev", "pn533-idle.ioctl", PN533[1], transcript=False)
    wait_for(lambda: "reader connected" in site.log(), 20, "the stick to open")
    time.sleep(0.5)  # a few polls
    bed = umockdev_dir(gw)
    removed_at = time.monotonic()
    uevent(bed, PN533, "remove", 9001)
    wait_for(lambda: "reader session ended" in site.log(), 5, "the session to stop")
    assert time.monotonic() - removed_at < 2
    assert "device removed" in site.log()
    uevent(bed, PN533, "add", 9002)
    wait_for(lambda: site.log().count("reader connected") == 2, 10, "the stick to open again")
    assert site.events()["events"] == []
    # Shutdown stops the polling session promptly too.
    child = int(open(f"/proc/{gw.pid}/task/{gw.pid}/children").read().split()[0])
    stopped_at = time.monotonic()
    os.kill(child, 15)
    gw.wait(timeout=10)
    assert time.monotonic() - stopped_at < 5
    assert "reader supervisor stopped" in site.log()
