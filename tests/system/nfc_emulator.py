"""NFC tags on an ACR122U-like contactless reader, emulated behind pcscd's vpcd driver.

Debian's vsmartcard-vpcd (libifdvpcd 3.3) gives pcscd two readers, "Virtual PCD 00 00" and
"Virtual PCD 00 01", each listening on a TCP port (the reader.conf port and the next one, on
every address) for a "virtual ICC". This module is the ICC of the first: it connects to pcscd.

The vpcd protocol (vsmartcard, virtualsmartcard/src/vpcd/vpcd.c): every message either way is a
2-byte big-endian length and a payload. pcscd sends 1-byte controls (0 power off, 1 power on,
2 reset: no answer; 4 "send the ATR": answer the ATR) and APDUs (anything longer: answer the
response APDU). pcscd polls the slot every 400 ms: with no connection it accepts one if one is
waiting (it never blocks on accept), then asks for the ATR. The card is present while the
connection is up and answers that with an ATR; a closed connection is "no card". So a tap is
"be connected and answer the ATR", a lift is "close the connection". With no tag the emulator
still connects and closes at each poll's ATR request: it always knows that pcscd is polling.

The reader answers what an ACR122U answers (ACS, "ACR122U Application Programming Interface":
"ATR format for ISO 14443 Part 3 PICCs", "Get Data", "Read Binary Blocks", "Bi-color LED and
Buzzer Control"); the tags' memory follows NXP's NTAG213/215/216 data sheet (memory
organisation, UID, READ) and the NFC Forum Type 2 Tag, NDEF and URI/Text RTD specifications.

Everything here runs in the test's process: `NfcEmulator` serves pcscd from a thread and the test
drives it with `tap`, `lift` and `tear_after`, then reads `apdus`, `signals` and `events`.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

# --- NDEF ---------------------------------------------------------------------------------

# NFC Forum URI RTD 1.0, table 3: the abbreviation byte that starts a URI record's payload.
URI_PREFIXES = (
    "",
    "http://www.",
    "https://www.",
    "http://",
    "https://",
    "tel:",
    "mailto:",
    "ftp://anonymous:anonymous@",
    "ftp://ftp.",
    "ftps://",
    "sftp://",
    "smb://",
    "nfs://",
    "ftp://",
    "dav://",
    "news:",
    "telnet://",
    "imap:",
    "rtsp://",
    "urn:",
    "pop:",
    "sip:",
    "sips:",
    "tftp:",
    "btspp://",
    "btl2cap://",
    "btgoep://",
    "tcpobex://",
    "irdaobex://",
    "file://",
    "urn:epc:id:",
    "urn:epc:tag:",
    "urn:epc:pat:",
    "urn:epc:raw:",
    "urn:epc:",
    "urn:nfc:",
)

TNF_WELL_KNOWN = 0x01


@dataclass(frozen=True)
class Record:
    """One NDEF record before it is put in a message (the message sets MB/ME/SR)."""

    tnf: int
    type: bytes
    payload: bytes
    id: bytes = b""


def uri_record(uri: str, prefix: Optional[int] = None) -> Record:
    """A well-known "U" record. The prefix byte is the longest abbreviation the URI starts with
    (or `prefix`, to force one, e.g. 0 to store the URI unabbreviated)."""
    if prefix is None:
        prefix = max(
            (i for i, p in enumerate(URI_PREFIXES) if uri.startswith(p)),
            key=lambda i: len(URI_PREFIXES[i]),
        )
    rest = uri[len(URI_PREFIXES[prefix]) :]
    if not uri.startswith(URI_PREFIXES[prefix]):
        raise ValueError(f"{uri!r} does not start with prefix {prefix} {URI_PREFIXES[prefix]!r}")
    return Record(TNF_WELL_KNOWN, b"U", bytes([prefix]) + rest.encode("utf-8"))


def text_record(text: str, lang: str = "en") -> Record:
    """A well-known "T" record, UTF-8 (status byte: bit 7 clear, bits 5-0 the language length)."""
    code = lang.encode("ascii")
    if len(code) > 0x3F:
        raise ValueError("language code too long")
    return Record(TNF_WELL_KNOWN, b"T", bytes([len(code)]) + code + text.encode("utf-8"))


def digital_link(gtin: str = "09506000134352", serial: str = "ABC123",
                 domain: str = "https://id.gs1.org") -> str:
    """A GS1 Digital Link URI: GTIN (AI 01) and serial number (AI 21)."""
    return f"{domain}/01/{gtin}/21/{serial}"


def encode_record(r: Record, mb: bool, me: bool) -> bytes:
    sr = len(r.payload) < 256
    header = (0x80 if mb else 0) | (0x40 if me else 0) | (0x10 if sr else 0)
    header |= (0x08 if r.id else 0) | r.tnf
    out = bytes([header, len(r.type)])
    out += bytes([len(r.payload)]) if sr else len(r.payload).to_bytes(4, "big")
    if r.id:
        out += bytes([len(r.id)])
    return out + r.type + r.id + r.payload


def ndef_message(*records: Record) -> bytes:
    """The records as one NDEF message (MB on the first, ME on the last)."""
    if not records:
        raise ValueError("an NDEF message has at least one record")
    last = len(records) - 1
    return b"".join(encode_record(r, i == 0, i == last) for i, r in enumerate(records))


def ndef_tlv(message: bytes) -> bytes:
    """The NDEF message TLV (03) and the terminator TLV (FE). Lengths from 255 on take the
    3-byte form FF hi lo (Type 2 Tag spec, TLV blocks)."""
    n = len(message)
    if n < 0xFF:
        length = bytes([n])
    elif n <= 0xFFFE:
        length = b"\xff" + n.to_bytes(2, "big")
    else:
        raise ValueError("NDEF message too long for a TLV")
    return b"\x03" + length + message + b"\xfe"


# --- ATR ----------------------------------------------------------------------------------

STANDARD_ISO14443A_PART3 = 0x03
CARD_MIFARE_CLASSIC_1K = 0x0001
CARD_MIFARE_ULTRALIGHT = 0x0003  # NTAG21x report themselves as Ultralight (ACR122U, PC/SC part 3)


def pcsc_storage_card_atr(standard: int, card_name: int) -> bytes:
    """The ATR a PC/SC reader builds for a contactless storage card (PC/SC part 3 and its
    supplement; ACR122U API, "ATR format for ISO 14443 Part 3 PICCs"): 3B 8F 80 01, historical bytes 80 4F 0C A0 00 00 03 06 SS C0 C1 00 00 00
    00 (category 80, AID tag 4F of length 0C: the PC/SC RID, standard, card name, 4 RFU bytes),
    then TCK, the XOR of T0 to the last historical byte. ACS's example for a MIFARE Classic 1K
    is 3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A."""
    historical = bytes([0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, standard])
    historical += card_name.to_bytes(2, "big") + bytes(4)
    body = bytes([0x80 | len(historical), 0x80, 0x01]) + historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes([tck])


# --- Tags ---------------------------------------------------------------------------------

# NTAG21x data sheet (memory organisation): total pages, last user page, CC size byte.
NTAG_LAYOUT = {
    "NTAG213": (45, 0x27, 0x12),
    "NTAG215": (135, 0x81, 0x3E),
    "NTAG216": (231, 0xE1, 0x6D),
}
# Factory content of the pages after user memory: dynamic lock bytes, CFG0, CFG1, PWD (reads
# as zeros), PACK.
NTAG_CONFIG_PAGES = bytes.fromhex("000000BD" "040000FF" "00050000" "00000000" "00000000")

DEFAULT_NTAG_UID = bytes.fromhex("04A2246A1B2C80")
DEFAULT_CLASSIC_UID = bytes.fromhex("B47E2C91")


@dataclass(frozen=True)
class Tag:
    """A tag as the reader sees it: its UID, the ATR the reader builds for it and, for Type 2
    tags, the whole memory (pages of 4 bytes). `message` is the NDEF message written to it,
    kept so that tests can compare what the host decoded."""

    kind: str
    uid: bytes
    atr: bytes
    memory: Optional[bytes] = None
    message: Optional[bytes] = None

    @property
    def pages(self) -> int:
        return 0 if self.memory is None else len(self.memory) // 4

    def read(self, page: int) -> Optional[bytes]:
        """NTAG READ: 4 pages (16 bytes) from `page`, rolling over to page 0 past the last page
        (NTAG21x data sheet, READ); None (the tag's NAK) if `page` is past the end or the tag
        needs authentication first (MIFARE Classic)."""
        if self.memory is None or page >= self.pages:
            return None
        doubled = self.memory + self.memory
        return doubled[page * 4 : page * 4 + 16]

    def page(self, n: int) -> bytes:
        assert self.memory is not None
        return self.memory[n * 4 : n * 4 + 4]

    # Constructors -------------------------------------------------------------------------
    @classmethod
    def ntag(cls, kind: str, *records: Record, message: Optional[bytes] = None,
             uid: bytes = DEFAULT_NTAG_UID, cc_size: Optional[int] = None,
             user_data: Optional[bytes] = None, formatted: bool = True) -> "Tag":
        """An NTAG21x. The user memory (from page 4) holds `user_data` if given, else the NDEF
        TLV of `message` (or of `records`), else nothing. `cc_size` overrides the CC's size byte
        (to make a CC that declares less than its TLV); `formatted=False` leaves page 3 zero."""
        total, last_user, default_cc = NTAG_LAYOUT[kind]
        if len(uid) != 7:
            raise ValueError("an NTAG21x has a 7-byte UID")
        if records and message is None:
            message = ndef_message(*records)
        if user_data is None:
            user_data = ndef_tlv(message) if message is not None else b""
        user_bytes = (last_user - 3) * 4
        if len(user_data) > user_bytes:
            raise ValueError(f"{len(user_data)} bytes do not fit {kind}'s {user_bytes}")
        mem = bytearray(total * 4)
        mem[0:3] = uid[0:3]
        mem[3] = 0x88 ^ uid[0] ^ uid[1] ^ uid[2]  # BCC0: cascade tag 88h xor SN0..SN2
        mem[4:8] = uid[3:7]
        mem[8] = uid[3] ^ uid[4] ^ uid[5] ^ uid[6]  # BCC1
        mem[9] = 0x48  # "internal" byte as NXP programs it
        if formatted:
            mem[12:16] = bytes([0xE1, 0x10, default_cc if cc_size is None else cc_size, 0x00])
        mem[16 : 16 + len(user_data)] = user_data
        cfg = (last_user + 1) * 4
        mem[cfg : cfg + len(NTAG_CONFIG_PAGES)] = NTAG_CONFIG_PAGES
        atr = pcsc_storage_card_atr(STANDARD_ISO14443A_PART3, CARD_MIFARE_ULTRALIGHT)
        return cls(kind, bytes(uid), atr, bytes(mem), message)

    @classmethod
    def ntag213(cls, *records: Record, **kw) -> "Tag":
        return cls.ntag("NTAG213", *records, **kw)

    @classmethod
    def ntag215(cls, *records: Record, **kw) -> "Tag":
        return cls.ntag("NTAG215", *records, **kw)

    @classmethod
    def mifare_classic_1k(cls, uid: bytes = DEFAULT_CLASSIC_UID) -> "Tag":
        """A MIFARE Classic 1K: UID and ATR only; its blocks need authentication, which the
        emulator does not do, so Read Binary answers 63 00 as an ACR122U does."""
        if len(uid) != 4:
            raise ValueError("this MIFARE Classic 1K has a 4-byte UID")
        atr = pcsc_storage_card_atr(STANDARD_ISO14443A_PART3, CARD_MIFARE_CLASSIC_1K)
        return cls("MIFARE Classic 1K", bytes(uid), atr)

    @classmethod
    def blank(cls, kind: str = "NTAG213", formatted: bool = False, **kw) -> "Tag":
        """A tag with no NDEF message: unformatted (page 3 and user memory zero) by default; with
        `formatted=True` it has its CC and an empty NDEF TLV (03 00 FE)."""
        data = ndef_tlv(b"") if formatted else b""
        return cls.ntag(kind, user_data=data, formatted=formatted, **kw)

    @classmethod
    def corrupt_tlv(cls, uri: str = "https://example.com/a-uri-longer-than-the-cc-says",
                    cc_size: int = 0x02, **kw) -> "Tag":
        """An NTAG213 whose CC declares a data area (cc_size * 8 bytes, 16 by default) smaller
        than its NDEF TLV: the whole message is on the tag, but a reader that trusts the CC must
        reject it ("CC smaller than its TLV")."""
        tag = cls.ntag213(uri_record(uri), cc_size=cc_size, **kw)
        assert tag.message is not None and len(ndef_tlv(tag.message)) > cc_size * 8
        return tag


# --- ACR122U LED and buzzer ---------------------------------------------------------------


@dataclass(frozen=True)
class Signal:
    """One Bi-color LED and Buzzer Control pseudo-APDU (FF 00 40 P2 04 T1 T2 rep link), decoded
    (ACR122U API, "Bi-color LED and Buzzer Control"; ACS's ACM1252U manual lists it the same
    way among its "ACR122U Compatible Commands"; the reader answers 90 and the LED state, bit 0
    red, bit 1 green): P2 bit 0/1 final red/green state, bit 2/3 red/green state mask, bit 4/5
    initial red/green blinking state, bit 6/7 red/green blinking mask; T1/T2 in 100 ms units;
    link 1 buzzes during T1, 2 during T2, 3 during both. `red`/`green` are the LEDs after the
    command; `blink_red`/`blink_green` whether that LED blinks; `beeps` how many separate tones
    (link 3 is one continuous tone); `buzzer_ms` the total buzzer time."""

    t: float
    raw: bytes
    red: bool
    green: bool
    blink_red: bool
    blink_green: bool
    t1_ms: int
    t2_ms: int
    repetitions: int
    link: int
    beeps: int
    buzzer_ms: int

    @property
    def color(self) -> str:
        """What a user sees: the blinking colour(s) if any blink, else the final state;
        "green", "red", "orange" (both) or "off"."""
        red, green = (self.blink_red, self.blink_green) if (self.blink_red or self.blink_green) \
            else (self.red, self.green)
        return {(False, False): "off", (True, False): "red", (False, True): "green",
                (True, True): "orange"}[(red, green)]


def decode_led(t: float, apdu: bytes, led: int) -> tuple[Signal, int]:
    """The signal an LED/buzzer pseudo-APDU makes, and the LED state after it (bit 0 red,
    bit 1 green, as the reader answers it in SW2)."""
    p2 = apdu[3]
    t1, t2, rep, link = apdu[5:9]
    if p2 & 0x04:
        led = (led & ~0x01) | (p2 & 0x01)
    if p2 & 0x08:
        led = (led & ~0x02) | (p2 & 0x02)
    blinking = rep > 0
    buzz = {0: 0, 1: t1, 2: t2, 3: t1 + t2}.get(link, 0) * 100 * rep
    beeps = 0 if buzz == 0 else (1 if link == 3 else rep)
    signal = Signal(
        t=t, raw=bytes(apdu), red=bool(led & 1), green=bool(led & 2),
        blink_red=blinking and bool(p2 & 0x40), blink_green=blinking and bool(p2 & 0x80),
        t1_ms=t1 * 100, t2_ms=t2 * 100, repetitions=rep, link=link, beeps=beeps,
        buzzer_ms=buzz,
    )
    return signal, led


# --- The emulator ---------------------------------------------------------------------------

SW_OK = b"\x90\x00"
SW_FAILED = b"\x63\x00"  # ACR122U: "The operation failed"
SW_NOT_SUPPORTED = b"\x6a\x81"  # Get Data: "Function not supported"
SW_INS_NOT_SUPPORTED = b"\x6d\x00"
SW_CLA_NOT_SUPPORTED = b"\x6e\x00"

CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4
CTRL_NAMES = {CTRL_OFF: "power-off", CTRL_ON: "power-on", CTRL_RESET: "reset"}


@dataclass(frozen=True)
class Apdu:
    """One APDU pcscd passed on, with the answer (None: the connection closed instead)."""

    t: float
    command: bytes
    response: Optional[bytes]

    @property
    def sw(self) -> Optional[bytes]:
        return None if self.response is None else self.response[-2:]


@dataclass(frozen=True)
class Event:
    """Something that happened at the reader: "tap", "lift", "tear" (the tag went away during a
    read), "detected" (pcscd took the ATR of the tag tapped last: it sees the card now),
    "power-on", "power-off", "reset" (pcscd's controls)."""

    t: float
    kind: str
    detail: str = ""


class NfcEmulator:
    """The virtual ICC of vpcd slot 0 ("Virtual PCD 00 00"), as an ACR122U with tags on it.

    It connects to `host`:`port` (pcscd's vpcd port) from its own thread and connects again
    whenever a connection ends: pcscd polls the slot every 400 ms, accepting one connection at a
    time, so a tag is seen within about one poll of a tap, and after pcscd is killed and started
    again the emulator is back by itself. With no tag on the reader each poll's ATR request is
    answered by closing the connection (an empty reader) and the next connection waits for the
    next poll. Timestamps are `time.monotonic()`."""

    READER = "Virtual PCD 00 00"

    def __init__(self, port: int, host: str = "127.0.0.1", netns: Optional[str] = None):
        """`netns`: a network namespace (/proc/PID/ns/net) to connect from — pcscd's own, in
        which vpcd listens on its loopback only (`Pcscd`)."""
        self.host, self.port, self.netns = host, port, netns
        self.apdus: list[Apdu] = []
        self.signals: list[Signal] = []
        self.events: list[Event] = []
        self.polls = 0  # ATR requests from pcscd: its presence polls and power-ups
        self.connections = 0  # connections pcscd accepted (it spoke on them)
        self._cond = threading.Condition()
        self._tag: Optional[Tag] = None
        self._detected = False
        self._tear_in: Optional[int] = None
        self._tear_answer: Optional[bytes] = None
        self._led = 0
        self._sock: Optional[socket.socket] = None
        self._generation = 0  # counts removals: a connection from before one is stale
        self._removal_unseen = False
        self._closed = False
        # Called on the emulator's thread with each LED/buzzer signal as it arrives, while the
        # host waits for the answer: what the test sees there is the host's state at that moment.
        self.on_signal: Optional[Callable[[Signal], None]] = None
        self._thread = threading.Thread(target=self._run, name=f"nfc-emulator:{port}",
                                        daemon=True)

    # Test control --------------------------------------------------------------------------
    def start(self) -> "NfcEmulator":
        self._thread.start()
        return self

    @property
    def tag(self) -> Optional[Tag]:
        return self._tag

    def tap(self, tag: Tag) -> None:
        """Put `tag` on the reader; pcscd sees it at its next poll. A tag already there is
        taken off first, so pcscd sees a removal before the new card."""
        with self._cond:
            if self._tag is not None:
                self._remove_locked("lift", "replaced")
            self._tag = tag
            self._detected = False
            self._event("tap", tag.kind)

    def lift(self) -> None:
        """Take the tag off: the connection closes now; an APDU pcscd is sending gets an empty
        answer, the next fails, and pcscd reports the card removed at its next poll. Disarms
        `tear_after`."""
        with self._cond:
            self._tear_in = None
            self._remove_locked("lift")

    def tear_after(self, n_reads: int, answer: Optional[bytes] = None) -> None:
        """The tag goes away in the middle of a read: the next `n_reads` Read Binary commands
        are answered; the one after gets `answer` (say SW_FAILED, what an ACR122U answers when
        the tag stops answering) or, by default, nothing (the connection closes: through vpcd the
        host's SCardTransmit then succeeds with an empty response), and the tag is gone."""
        with self._cond:
            self._tear_in = n_reads
            self._tear_answer = answer

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._tag = None
            self._shutdown_locked()
            self._cond.notify_all()
        self._thread.join(timeout=5)

    # Waiting ---------------------------------------------------------------------------------
    def wait(self, predicate: Callable[[], object], timeout: float = 5.0, what: str = "it"):
        """Wait until `predicate()` is true (evaluated under the emulator's lock); return it."""
        with self._cond:
            if not self._cond.wait_for(predicate, timeout):
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            return predicate()

    def wait_connected(self, timeout: float = 5.0) -> None:
        """Wait for pcscd's next poll of this emulator: pcscd is up and talking to it now."""
        with self._cond:
            seen = self.polls
        self.wait(lambda: self.polls > seen, timeout, f"pcscd to poll vpcd port {self.port}")

    def wait_detected(self, timeout: float = 5.0) -> None:
        """Wait until pcscd has taken the ATR of the tag tapped last: it sees the card."""
        self.wait(lambda: self._detected, timeout, "pcscd to detect the tapped tag")

    def wait_apdus(self, n: int, timeout: float = 5.0) -> list[Apdu]:
        self.wait(lambda: len(self.apdus) >= n, timeout, f"{n} APDUs")
        return list(self.apdus)

    def wait_signals(self, n: int = 1, timeout: float = 5.0) -> list[Signal]:
        self.wait(lambda: len(self.signals) >= n, timeout, f"{n} LED/buzzer signals")
        return list(self.signals)

    def event_kinds(self) -> list[str]:
        with self._cond:
            return [e.kind for e in self.events]

    # Inside --------------------------------------------------------------------------------
    def _event(self, kind: str, detail: str = "") -> None:
        self.events.append(Event(time.monotonic(), kind, detail))
        self._cond.notify_all()

    def _shutdown_locked(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _remove_locked(self, kind: str, detail: str = "", shutdown: bool = True) -> None:
        if self._tag is not None:
            self._event(kind, detail)
        self._tag = None
        self._detected = False
        self._generation += 1
        # pcscd does not always find out from the closed connection itself: when its power-off
        # at the end of a poll cycle is what hits it, the next poll just accepts a new
        # connection, and a tag tapped meanwhile would look like the same card, still there.
        # So the first poll after a removal always finds the reader empty.
        self._removal_unseen = True
        if shutdown:
            self._shutdown_locked()

    def _run(self) -> None:
        if self.netns:
            _enter_netns(self.netns)  # this thread only: its sockets live in pcscd's namespace
        while True:
            with self._cond:
                if self._closed:
                    return
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError:
                with self._cond:
                    self._cond.wait(0.05)  # pcscd is not listening (yet): try again
                continue
            sock.settimeout(None)
            with self._cond:
                if self._closed:
                    sock.close()
                    return
                self._sock = sock
            try:
                self._serve(sock)
            except OSError:
                pass
            finally:
                with self._cond:
                    if self._sock is sock:
                        self._sock = None
                    self._detected = False  # a new pcscd, or a new tap, takes the ATR again
                sock.close()

    def _serve(self, sock: socket.socket) -> None:
        spoken = False
        with self._cond:
            generation = self._generation
        while True:
            header = _recv_exact(sock, 2)
            if header is None:
                return
            payload = _recv_exact(sock, int.from_bytes(header, "big"))
            if payload is None:
                return
            with self._cond:
                if generation != self._generation:
                    return  # read before a removal closed this connection: it is gone
                if not spoken:
                    spoken = True
                    self.connections += 1
                reply, close = self._answer(payload)
            if reply is not None:
                sock.sendall(len(reply).to_bytes(2, "big") + reply)
            if close:
                return

    def _answer(self, payload: bytes) -> tuple[Optional[bytes], bool]:
        """The reply to one message (None: no reply) and whether to close the connection."""
        if len(payload) == 1:
            ctrl = payload[0]
            if ctrl != CTRL_ATR:
                self._event(CTRL_NAMES.get(ctrl, f"control-{ctrl}"))
                return None, False
            self.polls += 1
            self._cond.notify_all()
            if self._tag is None or self._removal_unseen:
                # No card. Not an empty answer: vpcd reads it with recv(0 bytes, MSG_WAITALL),
                # which waits for a byte that never comes and stalls pcscd's poll thread.
                self._removal_unseen = False
                return None, True
            if not self._detected:
                self._detected = True
                self._event("detected", self._tag.kind)
            return self._tag.atr, False
        now = time.monotonic()
        if self._tag is None:
            reply, close = None, True  # only after a lift raced pcscd's APDU
        else:
            reply, close = self._apdu(payload)
        self.apdus.append(Apdu(now, payload, reply))
        self._cond.notify_all()
        return reply, close

    def _apdu(self, cmd: bytes) -> tuple[Optional[bytes], bool]:
        tag = self._tag
        assert tag is not None
        if len(cmd) < 4:
            return SW_FAILED, False
        cla, ins, p1, p2 = cmd[:4]
        if cla != 0xFF:
            return SW_CLA_NOT_SUPPORTED, False  # no ISO 7816-4 application on a storage tag
        if ins == 0xCA:  # Get Data
            if p1 != 0x00:
                return SW_NOT_SUPPORTED, False  # P1 01 asks for the ATS: a Type 2 tag has none
            le = cmd[4] if len(cmd) == 5 else 0
            if le == 0 or le == len(tag.uid):
                return tag.uid + SW_OK, False
            if le > len(tag.uid):
                return tag.uid + b"\x62\x82", False  # end of UID before Le bytes
            return bytes([0x6C, len(tag.uid)]), False  # wrong Le; the right one in SW2
        if ins == 0xB0:  # Read Binary: P2 the page (block), Le at most 16
            if len(cmd) != 5 or p1 != 0x00 or not 1 <= cmd[4] <= 16:
                return SW_FAILED, False
            if self._tear_in is not None:
                if self._tear_in <= 0:
                    answer = self._tear_answer
                    self._tear_in = self._tear_answer = None
                    self._remove_locked("tear", f"read of page {p2}", shutdown=False)
                    return answer, True
                self._tear_in -= 1
            data = tag.read(p2)
            if data is None:
                return SW_FAILED, False  # past the end, or MIFARE Classic unauthenticated
            return data[: cmd[4]] + SW_OK, False
        if ins == 0x00 and p1 == 0x40:  # Bi-color LED and Buzzer Control
            if len(cmd) != 9 or cmd[4] != 0x04:
                return SW_FAILED, False
            signal, self._led = decode_led(time.monotonic(), cmd, self._led)
            self.signals.append(signal)
            if self.on_signal is not None:
                self.on_signal(signal)
            return bytes([0x90, self._led]), False
        return SW_INS_NOT_SUPPORTED, False


def _enter_netns(path: str) -> None:
    """setns(2) into the network namespace at `path`, for the calling thread (Python 3.11 has
    no os.setns)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), f"setns {path}")
    finally:
        os.close(fd)


def _recv_exact(sock: socket.socket, n: int) -> Optional[bytes]:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
        # vpcd writes a message's length and its payload in two send() calls: with Nagle on
        # its side the payload waits for our ACK of the length, which a delayed ACK holds back
        # about 40 ms. Acknowledging at once keeps an APDU round trip well under a millisecond.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    return buf
