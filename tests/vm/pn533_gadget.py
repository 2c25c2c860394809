#!/usr/bin/env python3
"""A PN533 NFC stick (04cc:2533) as a Linux USB gadget, for gatewayd's libusb NFC backend
(`kind = "nfc"`, `backend = "usb"`) against a real kernel usbfs node (stdlib only; run as root
in the VM test's guest, tests/vm/guest-init.sh).

It builds a configfs gadget with one FunctionFS function (`ffs.pn533`), mounts that function's
functionfs, writes its descriptors and strings to ep0 and binds the gadget to a UDC (dummy_hcd's
`dummy_udc.1` in the guest: `dummy_udc.0` has the HID scanner gadget). The host then sees what a
PN533 stick shows: one vendor-specific interface (class FF) with one bulk IN and one bulk OUT
endpoint, full speed, 64-byte packets. The gadget runs at full speed (configfs `max_speed`) and
its descriptors give 512-byte packets for high speed as well.

FunctionFS (Linux Documentation/usb/functionfs.rst, include/uapi/linux/usb/functionfs.h and
tools/usb/ffs-test.c): descriptors in the v2 format (magic 3, flags HAS_FS_DESC | HAS_HS_DESC,
the count of each speed's descriptors, then the descriptors), strings (magic 2, one language);
the endpoint files ep1 (IN) and ep2 (OUT) appear once the descriptors are written, and the
kernel picks the endpoint addresses (logged once the host has configured the device). ep0 gives
events (12 bytes each: an 8-byte setup packet, the type, 3 bytes padding), read here on a thread
of their own so that they never hold up the bulk pipes; a write to the IN endpoint blocks until
the host reads it.

The protocol on the bulk pipes is the PN533's own (NXP PN533 user manual, "Host controller
communication protocol": normal information frames 00 00 FF LEN LCS TFI PD0..PDn DCS 00 with
LCS = -LEN and DCS = -(TFI + PD) mod 256, the ACK frame 00 00 FF 00 FF 00, the NACK frame
00 00 FF FF 00 00 and the syntax error frame 00 00 FF 01 FF 7F 81 00). Each command the host
sends is acknowledged, then answered, in two transfers; a NACK from the host gets the last answer
again, a command with a bad checksum gets a NACK. The commands (the manual's command set):
GetFirmwareVersion (D4 02 → D5 03 33 02 07 07, a PN533 v2.7), RFConfiguration (D4 32 → D5 33),
InListPassiveTarget (D4 4A, 106 kbps type A: D5 4B 00 without a tag, D5 4B 01 01 ATQA(2) SAK
NFCIDLength NFCID1 with one), InDataExchange (D4 40 Tg 30 pp: the tag's Type 2 READ, D5 41 00
and 16 bytes; status 01, the tag did not answer, when there is no listed tag to ask or it
refused the command), InRelease (D4 52 → D5 53 00); any other command gets the syntax error
frame after its ACK. The tag is an NTAG215 built by tests/system/nfc_emulator.py (NXP
NTAG213/215/216 data sheet, memory organisation and READ: 4 pages from the one asked, rolling
over; NFC Forum Type 2 Tag specification, capability container and NDEF TLV; NFC Forum URI RTD).

Control: a FIFO (--control PATH) taking lines `tap [uri [uid-hex]]` (default --uri, --uid),
`lift` and `quit`, and/or a schedule (--tap-after S --lift-after S, seconds from the gadget being
bound). Every frame received or sent is logged to stdout, one line each, flushed (an answer when
it is queued for the IN pipe):

    pn533: rx cmd=4A frame=0000FF04FCD44A0200E000      a command, as it came
    pn533: tx cmd=4B frame=0000FF03FDD54B00E000        its answer
    pn533: rx ack | rx nack (resent last answer) | tx ack | tx nack (bad checksum)

    pn533_gadget.py [--udc dummy_udc.1] [--control FIFO] [--uri URI --tap-after S --lift-after S]
"""
import argparse
import errno
import fcntl
import os
import queue
import struct
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "system"))
from nfc_emulator import Tag, uri_record  # noqa: E402

VENDOR, PRODUCT = 0x04CC, 0x2533
DEFAULT_UID = "04A1B2C3D4E580"

# include/uapi/linux/usb/functionfs.h
DESCRIPTORS_MAGIC_V2, STRINGS_MAGIC = 3, 2
HAS_FS_DESC, HAS_HS_DESC = 1, 2
EVENTS = {0: "BIND", 1: "UNBIND", 2: "ENABLE", 3: "DISABLE", 4: "SETUP", 5: "SUSPEND", 6: "RESUME"}
EVENT_SIZE = 12
# FUNCTIONFS_ENDPOINT_DESC = _IOR('g', 130, struct usb_endpoint_descriptor): 9 bytes.
ENDPOINT_DESC = (2 << 30) | (9 << 16) | (ord("g") << 8) | 130

ACK = bytes.fromhex("0000FF00FF00")
NACK = bytes.fromhex("0000FFFF0000")
SYNTAX_ERROR = bytes.fromhex("0000FF01FF7F8100")
FIRMWARE = bytes.fromhex("33020707")  # IC 33 (PN533), version 2, revision 7, supports 07
ATQA, SAK = bytes.fromhex("0044"), 0x00  # an NTAG21x's (NXP NTAG213/215/216 data sheet)


def descriptors() -> bytes:
    """Interface 0 (class FF, 2 endpoints, string 1) with bulk IN ep1 and bulk OUT ep2, for full
    speed (64-byte packets) and high speed (512)."""
    def speed(packet: int) -> bytes:
        intf = struct.pack("<BBBBBBBBB", 9, 4, 0, 0, 2, 0xFF, 0xFF, 0xFF, 1)
        ep_in = struct.pack("<BBBBHB", 7, 5, 0x81, 0x02, packet, 0)
        ep_out = struct.pack("<BBBBHB", 7, 5, 0x02, 0x02, packet, 0)
        return intf + ep_in + ep_out
    body = struct.pack("<II", 3, 3) + speed(64) + speed(512)
    return struct.pack("<III", DESCRIPTORS_MAGIC_V2, 12 + len(body), HAS_FS_DESC | HAS_HS_DESC) + body


def strings() -> bytes:
    text = b"PN533 NFC (gadget)\0"
    body = struct.pack("<H", 0x0409) + text
    return struct.pack("<IIII", STRINGS_MAGIC, 16 + len(body), 1, 1) + body


def frame(payload: bytes) -> bytes:
    """A normal information frame around TFI + data."""
    n = len(payload)
    return bytes([0x00, 0x00, 0xFF, n, -n & 0xFF]) + payload + bytes([-sum(payload) & 0xFF, 0x00])


class Reader:
    """The chip's side of the protocol: a byte stream in, frames out. No I/O."""

    def __init__(self, log):
        self.log = log
        self.buffer = b""
        self.last_answer = None
        self.tag = None
        self.listed = False
        self.lock = threading.Lock()

    def tap(self, tag: Tag):
        with self.lock:
            self.tag, self.listed = tag, False

    def lift(self):
        with self.lock:
            self.tag, self.listed = None, False

    def feed(self, data: bytes) -> list[bytes]:
        """The host's bytes; returns the frames to send, in order (each its own transfer)."""
        self.buffer += data
        out = []
        while True:
            start = self.buffer.find(b"\x00\xff")
            if start < 0 or len(self.buffer) < start + 4:
                if start < 0:
                    self.buffer = self.buffer[-1:] if self.buffer.endswith(b"\x00") else b""
                return out
            frame_start = max(start - 1, 0) if self.buffer[start - 1 : start] == b"\x00" else start
            n, lcs = self.buffer[start + 2], self.buffer[start + 3]
            if (n, lcs) == (0x00, 0xFF):
                self.log("rx ack")
                self.buffer = self.buffer[start + 5 :]
                continue
            if (n, lcs) == (0xFF, 0x00):
                self.buffer = self.buffer[start + 5 :]
                if self.last_answer is not None:
                    self.log("rx nack (resent last answer)")
                    out.append(self.last_answer)
                else:
                    self.log("rx nack (nothing to resend)")
                continue
            if (n + lcs) & 0xFF != 0:
                self.log(f"rx bad length checksum frame={self.buffer[frame_start:].hex().upper()}")
                self.log("tx nack (bad checksum)")
                self.buffer = b""
                out.append(NACK)
                return out
            end = start + 4 + n + 2
            if len(self.buffer) < end:
                return out
            raw = self.buffer[frame_start:end]
            payload, dcs = self.buffer[start + 4 : start + 4 + n], self.buffer[start + 4 + n]
            self.buffer = self.buffer[end:]
            if (sum(payload) + dcs) & 0xFF != 0 or len(payload) < 2 or payload[0] != 0xD4:
                self.log(f"rx bad frame={raw.hex().upper()}")
                self.log("tx nack (bad checksum)")
                out.append(NACK)
                continue
            self.log(f"rx cmd={payload[1]:02X} frame={raw.hex().upper()}")
            out.append(ACK)
            self.log("tx ack")
            answer = self.answer(payload[1], payload[2:])
            self.last_answer = answer
            if answer[5] == 0x7F:
                self.log(f"tx error frame={answer.hex().upper()}")
            else:
                self.log(f"tx cmd={answer[6]:02X} frame={answer.hex().upper()}")
            out.append(answer)

    def answer(self, cmd: int, params: bytes) -> bytes:
        with self.lock:
            if cmd == 0x02:  # GetFirmwareVersion
                return frame(b"\xd5\x03" + FIRMWARE)
            if cmd == 0x32:  # RFConfiguration
                return frame(b"\xd5\x33")
            if cmd == 0x4A:  # InListPassiveTarget MaxTg BrTy
                if len(params) < 2 or params[1] != 0x00 or self.tag is None:
                    self.listed = False
                    return frame(b"\xd5\x4b\x00")
                self.listed = True
                uid = self.tag.uid
                return frame(b"\xd5\x4b\x01\x01" + ATQA + bytes([SAK, len(uid)]) + uid)
            if cmd == 0x40:  # InDataExchange Tg DataOut
                if len(params) == 3 and params[0] == 1 and params[1] == 0x30 and self.listed and self.tag:
                    data = self.tag.read(params[2])
                    if data is not None:
                        return frame(b"\xd5\x41\x00" + data)
                return frame(b"\xd5\x41\x01")
            if cmd == 0x52:  # InRelease Tg
                self.listed = False
                return frame(b"\xd5\x53\x00")
            return SYNTAX_ERROR


class Gadget:
    """The configfs gadget and its FunctionFS function."""

    def __init__(self, name: str, udc: str, ffs_dir: Path):
        self.udc = udc
        self.ffs_dir = ffs_dir
        config = Path("/sys/kernel/config")
        if not (config / "usb_gadget").is_dir():
            os.system(f"mount -t configfs none {config}")
        self.root = config / "usb_gadget" / name

    def create(self):
        g = self.root
        for d in ("strings/0x409", "configs/c.1/strings/0x409", "functions/ffs.pn533"):
            (g / d).mkdir(parents=True, exist_ok=True)
        for attr, value in [("idVendor", f"0x{VENDOR:04x}"), ("idProduct", f"0x{PRODUCT:04x}"),
                            ("bcdDevice", "0x0200"), ("bcdUSB", "0x0200"), ("max_speed", "full-speed"),
                            ("strings/0x409/manufacturer", "NXP"), ("strings/0x409/product", "PN533 (gadget)"),
                            ("strings/0x409/serialnumber", "PN533-0001"),
                            ("configs/c.1/strings/0x409/configuration", "NFC"), ("configs/c.1/MaxPower", "100")]:
            (g / attr).write_text(value + "\n")
        link = g / "configs/c.1/ffs.pn533"
        if not link.exists():
            link.symlink_to(g / "functions/ffs.pn533")
        self.ffs_dir.mkdir(parents=True, exist_ok=True)
        if not os.path.ismount(self.ffs_dir):
            if os.system(f"mount -t functionfs pn533 {self.ffs_dir}") != 0:
                raise SystemExit("cannot mount functionfs (is usb_f_fs loaded?)")
        self.ep0 = os.open(self.ffs_dir / "ep0", os.O_RDWR)
        os.write(self.ep0, descriptors())
        os.write(self.ep0, strings())

    def bind(self):
        (self.root / "UDC").write_text(self.udc + "\n")

    def unbind(self):
        try:
            (self.root / "UDC").write_text("\n")
        except OSError:
            pass


def endpoint_address(fd: int) -> tuple[int, int]:
    """The endpoint's descriptor as the kernel configured it: address, max packet size."""
    buf = bytearray(9)
    fcntl.ioctl(fd, ENDPOINT_DESC, buf)
    return buf[2], buf[4] | buf[5] << 8


def main():
    ap = argparse.ArgumentParser(description="A PN533 NFC stick as a FunctionFS gadget")
    ap.add_argument("--udc", default="dummy_udc.1")
    ap.add_argument("--name", default="pn533")
    ap.add_argument("--ffs-dir", default="/dev/ffs-pn533")
    ap.add_argument("--control", help="a FIFO taking `tap [uri [uid]]`, `lift`, `quit`")
    ap.add_argument("--uri", default="https://example.com/kiosk?tag=42")
    ap.add_argument("--uid", default=DEFAULT_UID)
    ap.add_argument("--tap-after", type=float)
    ap.add_argument("--lift-after", type=float)
    a = ap.parse_args()

    out_lock = threading.Lock()

    def log(msg):
        with out_lock:
            print(f"pn533: {msg}", flush=True)

    reader = Reader(log)
    gadget = Gadget(a.name, a.udc, Path(a.ffs_dir))
    gadget.create()
    enabled = threading.Event()
    done = threading.Event()

    def tap(uri, uid):
        reader.tap(Tag.ntag215(uri_record(uri), uid=bytes.fromhex(uid)))
        log(f"tap uri={uri}")

    def lift():
        reader.lift()
        log("lift")

    def events():
        while not done.is_set():
            try:
                data = os.read(gadget.ep0, EVENT_SIZE * 4)
            except OSError as e:
                if e.errno == errno.EINTR:
                    continue
                log(f"ep0 read failed: {e}")
                return
            for i in range(0, len(data) - EVENT_SIZE + 1, EVENT_SIZE):
                setup, kind = data[i : i + 8], data[i + 8]
                name = EVENTS.get(kind, str(kind))
                log(f"event {name}" + (f" setup={setup.hex().upper()}" if kind == 4 else ""))
                if kind == 2:
                    enabled.set()
                elif kind in (1, 3):
                    enabled.clear()
                elif kind == 4:
                    # No class or vendor requests: stall them (a read for an IN request, a write
                    # for an OUT one: the wrong direction halts ep0).
                    try:
                        if setup[0] & 0x80:
                            os.read(gadget.ep0, 0)
                        else:
                            os.write(gadget.ep0, b"")
                    except OSError:
                        pass

    def commands(path):
        if not os.path.exists(path):
            os.mkfifo(path)
        # Opened read-write: the FIFO never reads as closed between writers.
        with open(os.open(path, os.O_RDWR), "r") as f:
            for line in f:
                words = line.split()
                if not words:
                    continue
                if words[0] == "tap" and len(words) <= 3:
                    tap(words[1] if len(words) > 1 else a.uri, words[2] if len(words) > 2 else a.uid)
                elif words[0] == "lift":
                    lift()
                elif words[0] == "quit":
                    done.set()
                    os._exit(0)
                else:
                    log(f"unknown control line {line.strip()!r}")

    def schedule(t0):
        if a.tap_after is not None:
            time.sleep(max(0.0, t0 + a.tap_after - time.monotonic()))
            tap(a.uri, a.uid)
        if a.lift_after is not None:
            time.sleep(max(0.0, t0 + a.lift_after - time.monotonic()))
            lift()

    threading.Thread(target=events, daemon=True).start()
    gadget.bind()
    log(f"bound to {a.udc} as {VENDOR:04x}:{PRODUCT:04x}")
    if a.control:
        threading.Thread(target=commands, args=(a.control,), daemon=True).start()
    threading.Thread(target=schedule, args=(time.monotonic(),), daemon=True).start()

    ep_in = os.open(Path(a.ffs_dir) / "ep1", os.O_RDWR)
    ep_out = os.open(Path(a.ffs_dir) / "ep2", os.O_RDWR)
    sent = queue.Queue()  # IN transfers run on their own thread: the OUT pipe is always read
    packet = [64]

    def writer():
        while True:
            data = sent.get()
            try:
                os.write(ep_in, data)
                if len(data) % packet[0] == 0:
                    os.write(ep_in, b"")  # a zero-length packet ends a transfer of full packets
            except OSError as e:
                log(f"bulk IN write failed: {e}")

    threading.Thread(target=writer, daemon=True).start()
    logged_endpoints = False
    while not done.is_set():
        try:
            data = os.read(ep_out, 512)
        except OSError as e:
            # The host went away (ESHUTDOWN, after a DISABLE): wait for the next ENABLE.
            if e.errno != errno.EINTR:
                log(f"bulk OUT read: {e.strerror}")
                reader.buffer = b""
                time.sleep(0.1)
                enabled.wait(1.0)
            continue
        if not logged_endpoints:
            try:
                (addr_in, size_in), (addr_out, _) = endpoint_address(ep_in), endpoint_address(ep_out)
                packet[0] = size_in or 64
                log(f"endpoints in=0x{addr_in:02x} out=0x{addr_out:02x} maxpacket={size_in}")
            except OSError as e:
                log(f"endpoint descriptor: {e}")
            logged_endpoints = True
        for answer in reader.feed(data):
            sent.put(answer)


if __name__ == "__main__":
    main()
