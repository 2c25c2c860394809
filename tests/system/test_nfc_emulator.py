"""The NFC emulator through a real pcscd (vpcd), with pcsc-tools as the client: no gatewayd.

Expected bytes are written out by hand (from the NXP, NFC Forum, PC/SC and ACS documents the
emulator cites), not computed with the emulator's own builders, so a wrong builder fails here.
"""
import os
import re
import subprocess
import time

import pytest

from nfc_emulator import (
    SW_FAILED,
    NfcEmulator,
    Tag,
    digital_link,
    ndef_message,
    ndef_tlv,
    pcsc_storage_card_atr,
    text_record,
    uri_record,
)
from nfc_fixtures import Pcscd

H = bytes.fromhex

NTAG_ATR = H("3B8F8001804F0CA0000003060300030000000068")
CLASSIC_ATR = H("3B8F8001804F0CA000000306030001000000006A")  # ACS's published example
URI = "https://example.com/gw"
# D1 (MB ME SR, well-known) 01 0F "U" 04 ("https://") "example.com/gw", in the TLV 03 13 … FE
URI_TLV = H("0313D1010F5504" "6578616D706C652E636F6D2F6777" "FE")


def scriptor(pcscd, *apdus):
    """Send `apdus` with pcsc-tools' scriptor; the responses it printed (bytes, in order), and
    everything it wrote."""
    run = subprocess.run(
        ["scriptor", "-r", pcscd.reader], input="".join(a + "\n" for a in apdus),
        env=pcscd.client_env(), capture_output=True, text=True, timeout=20,
    )
    responses = [H(r.replace("\n", "").replace(" ", ""))
                 for r in re.findall(r"^< ([0-9A-F \n]*?) : ", run.stdout, flags=re.M)]
    return responses, run.stdout + run.stderr


def scan(pcscd):
    """pcsc_scan -c (list the cards once): what it says about reader 0, the emulator's."""
    run = subprocess.run(["pcsc_scan", "-c"], env=pcscd.client_env(), capture_output=True,
                         text=True, timeout=20)
    return run.stdout.split(" Reader 1:")[0]


# --- The builders, against the documents -------------------------------------------------------


def test_atrs_and_ndef_bytes_match_the_specifications():
    assert pcsc_storage_card_atr(0x03, 0x0001) == CLASSIC_ATR
    assert Tag.mifare_classic_1k().atr == CLASSIC_ATR
    assert Tag.ntag213().atr == NTAG_ATR

    assert ndef_tlv(ndef_message(uri_record(URI))) == URI_TLV
    assert ndef_message(uri_record(digital_link())) == (
        H("D101275504") + b"id.gs1.org/01/09506000134352/21/ABC123")
    assert ndef_message(uri_record("https://www.gs1.org")) == H("D101085502") + b"gs1.org"
    assert ndef_message(text_record("Bay 4")) == H("D1010854") + b"\x02en" + b"Bay 4"
    two = ndef_message(uri_record(URI), text_record("x"))
    assert two[0] == 0x91 and two[19] == 0x51  # MB on the first record, ME on the second

    long = Tag.ntag215(uri_record("https://example.com/" + "a" * 280))
    assert long.page(4)[:4] == H("03FF012C")  # 300-byte message: 3-byte length form
    assert long.memory[16 + 4 + 300] == 0xFE

    ntag = Tag.ntag215(uri_record(URI))
    assert ntag.memory[:16] == H("04A2240A" "6A1B2C80" "DD480000" "E1103E00")
    assert Tag.ntag213().page(3) == H("E1101200")
    assert ntag.memory[16:16 + len(URI_TLV)] == URI_TLV

    corrupt = Tag.corrupt_tlv()
    assert corrupt.page(3) == H("E1100200") and corrupt.page(4)[0] == 0x03
    assert corrupt.page(4)[1] > 2 * 8  # the TLV claims more than the CC's 16 bytes
    assert set(Tag.blank().memory[12:160]) == {0}  # no CC, no TLV
    assert Tag.blank(formatted=True).memory[12:20] == H("E1101200" "0300FE00")


# --- Through pcscd -----------------------------------------------------------------------------


def test_a_tapped_ntag215_answers_uid_pages_and_led_through_pcscd(pcscd, nfc_tag_reader):
    nfc_tag_reader.tap(Tag.ntag215(uri_record(URI)))
    nfc_tag_reader.wait_detected()
    assert f"ATR: {NTAG_ATR.hex(' ').upper()}" in scan(pcscd)

    responses, out = scriptor(
        pcscd,
        "FF CA 00 00 00",
        "FF B0 00 03 10",
        "FF B0 00 04 10",
        "FF B0 00 08 10",
        "FF B0 00 86 10",  # the last page, then pages 0-2: an NTAG's READ rolls over
        "FF B0 00 87 10",  # past the end: the tag NAKs, the ACR122U answers 63 00
        "FF 00 40 AE 04 01 01 02 01",  # blink green, beep during T1, twice
        "FF 00 40 5D 04 02 01 03 03",  # red
        "FF CA 01 00 00",  # no ATS on a Type 2 tag
        "00 A4 04 00 00",
    )
    assert responses == [
        H("04A2246A1B2C80" "9000"),
        H("E1103E00" "0313D101" "0F550465" "78616D70" "9000"),
        H("0313D101" "0F550465" "78616D70" "6C652E63" "9000"),
        H("6F6D2F67" "77FE0000" "00000000" "00000000" "9000"),
        H("00000000" "04A2240A" "6A1B2C80" "DD480000" "9000"),
        H("6300"),
        H("9002"),
        H("9001"),
        H("6A81"),
        H("6E00"),
    ], out

    assert [a.command for a in nfc_tag_reader.apdus][:2] == [H("FFCA000000"), H("FFB0000310")]
    assert nfc_tag_reader.apdus[0].sw == H("9000")
    green, red = nfc_tag_reader.signals
    assert (green.color, green.blink_green, green.green, green.red) == ("green", True, True, False)
    assert (green.beeps, green.buzzer_ms, green.t1_ms, green.repetitions) == (2, 200, 100, 2)
    assert (red.color, red.red, red.green, red.beeps, red.buzzer_ms) == ("red", True, False, 1, 900)
    assert green.t <= red.t
    assert nfc_tag_reader.event_kinds()[:3] == ["tap", "detected", "power-on"]


def test_lift_empties_the_reader_and_a_new_tap_shows_the_new_card(pcscd, nfc_tag_reader):
    nfc_tag_reader.tap(Tag.ntag213(text_record("hello")))
    nfc_tag_reader.wait_detected()
    assert "Card inserted" in scan(pcscd)

    nfc_tag_reader.lift()
    nfc_tag_reader.wait_connected()  # a poll on a new connection: pcscd has seen the removal
    state = scan(pcscd)
    assert "Card removed" in state and "ATR" not in state
    responses, out = scriptor(pcscd, "FF CA 00 00 00")
    assert responses == [] and "No smartcard inserted" in out

    nfc_tag_reader.tap(Tag.mifare_classic_1k())
    nfc_tag_reader.wait_detected()
    assert f"ATR: {CLASSIC_ATR.hex(' ').upper()}" in scan(pcscd)
    responses, out = scriptor(pcscd, "FF CA 00 00 00", "FF B0 00 04 10")
    assert responses == [H("B47E2C91" "9000"), H("6300")], out  # blocks need authentication
    assert nfc_tag_reader.event_kinds().count("detected") == 2


def test_tap_on_a_tag_already_there_is_a_removal_then_the_new_card(pcscd, nfc_tag_reader):
    nfc_tag_reader.tap(Tag.ntag213())
    nfc_tag_reader.wait_detected()
    before = re.search(r"Event number: (\d+)", scan(pcscd)).group(1)
    nfc_tag_reader.tap(Tag.mifare_classic_1k())
    nfc_tag_reader.wait_detected()
    after = re.search(r"Event number: (\d+)", scan(pcscd)).group(1)
    assert int(after) == int(before) + 2  # removed, inserted
    kinds = [k for k in nfc_tag_reader.event_kinds() if k in ("tap", "lift", "detected")]
    assert kinds == ["tap", "detected", "lift", "tap", "detected"]


def test_tear_after_takes_the_tag_away_mid_read(pcscd, nfc_tag_reader):
    nfc_tag_reader.tap(Tag.ntag215(uri_record(URI)))
    nfc_tag_reader.wait_detected()
    nfc_tag_reader.tear_after(1)

    responses, out = scriptor(pcscd, "FF B0 00 04 10", "FF B0 00 08 10", "FF B0 00 0C 10")
    # vpcd turns the closed connection into an empty response, then the card is gone.
    assert responses == [H("0313D1010F55046578616D706C652E63" "9000"), b""], out
    assert "Transaction failed" in out
    assert nfc_tag_reader.apdus[-1].command == H("FFB0000810")
    assert nfc_tag_reader.apdus[-1].response is None
    assert nfc_tag_reader.event_kinds()[-1] == "tear"
    assert nfc_tag_reader.tag is None
    nfc_tag_reader.wait_connected()
    assert "Card removed" in scan(pcscd)

    # The ACR122U's own answer to a tag that stopped answering, then the removal.
    nfc_tag_reader.tap(Tag.ntag215(uri_record(URI)))
    nfc_tag_reader.wait_detected()
    nfc_tag_reader.tear_after(0, answer=SW_FAILED)
    responses, out = scriptor(pcscd, "FF CA 00 00 00", "FF B0 00 04 10", "FF B0 00 08 10")
    assert responses == [H("04A2246A1B2C80" "9000"), H("6300")], out
    assert "Transaction failed" in out


def test_pcscd_killed_and_restarted_finds_the_emulator_again(pcscd, nfc_tag_reader):
    nfc_tag_reader.tap(Tag.ntag213(uri_record(URI)))
    nfc_tag_reader.wait_detected()
    assert scriptor(pcscd, "FF CA 00 00 00")[0] == [H("04A2246A1B2C80" "9000")]

    old = pcscd.pid
    pcscd.kill()
    responses, out = scriptor(pcscd, "FF CA 00 00 00")
    assert responses == [] and "Service not available" in out
    t = time.monotonic()
    pcscd.restart()
    assert pcscd.pid != old
    nfc_tag_reader.wait_detected(timeout=3)  # the emulator reconnected by itself
    assert time.monotonic() - t < 2
    assert scriptor(pcscd, "FF CA 00 00 00")[0] == [H("04A2246A1B2C80" "9000")]
    assert subprocess.run(["pgrep", "-f", str(pcscd.conf)], capture_output=True,
                          text=True).stdout.split() == [str(pcscd.pid)]


def test_pcscd_stops_and_leaves_nothing_running():
    if os.geteuid() != 0:
        pytest.skip("pcscd's private mount namespace needs root")
    daemon = Pcscd()
    daemon.start()
    conf, first = str(daemon.conf), daemon.pid
    running = lambda: subprocess.run(["pgrep", "-f", conf], capture_output=True,  # noqa: E731
                                     text=True).stdout.split()
    assert running() == [str(first)]
    assert open(f"/proc/{first}/comm").read().strip() == "pcscd"
    daemon.restart()
    assert running() == [str(daemon.pid)] and daemon.pid != first
    emulator = NfcEmulator(daemon.port, netns=daemon.netns).start()
    emulator.wait_connected()
    emulator.close()
    daemon.stop()
    assert running() == []
    assert not daemon.dir.exists()
