"""Device readers through the real gatewayd: recorded evdev streams replayed through the evdev
reader, and binary RFID frames through the serial reader on a pty."""
import os
import time
from pathlib import Path

from harness import texts, wait_for
from test_serial_pty import make_pty

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evdev"


def expected(name):
    layout, term, scans = "us", "enter", []
    for line in (FIXTURES / f"{name}.expect").read_text().splitlines():
        k, v = line.split("=", 1)
        if k == "layout":
            layout = v
        elif k == "terminator":
            term = v
        else:
            scans.append(bytes.fromhex(v).decode())
    return layout, term, scans


def test_recorded_evdev_streams_replay_through_the_evdev_reader(site):
    names = sorted(p.stem for p in FIXTURES.glob("*.bin"))
    assert len(names) >= 9
    readers, want = [], []
    for name in names:
        layout, term, scans = expected(name)
        readers.append({"id": name, "kind": "evdev", "path": str(FIXTURES / f"{name}.bin"),
                        "layout": layout, "terminator": term})
        want += [(name, s) for s in scans]
    site.write_config(readers=readers)
    site.start_server()
    site.start_gateway()
    events = site.wait_events(len(want))
    got = sorted((e["reader"], e["text"]) for e in site.events()["events"])
    assert got == sorted(want)


def test_em4100_frames_split_writes_noise_and_bad_checksums(site):
    link = str(site.root / "ttyRFID")
    master = make_pty(link)
    site.write_config(readers=[{"id": "rfid", "kind": "serial", "path": link, "framing": "em4100"}])
    site.start_server()
    site.start_gateway()
    wait_for(lambda: "reader connected" in site.log(), 10, "the RFID reader to open")
    good = b"\x0262E3086CED08\x03"            # RDM6300 datasheet example
    bad = b"\x0262E3086CED09\x03"             # wrong checksum: a misread
    os.write(master, b"\xff\x00garbage" + good[:4])
    time.sleep(0.05)
    os.write(master, good[4:] + bad + b"\x020F00A1B2C3DF\x03")
    events = site.wait_events(2)
    time.sleep(0.5)
    # Badge ids are personal (an operator's identity): the built-in `badge` rule replaces every
    # form of the id with the site-keyed pseudonym of its printed form, the decimal card number.
    assert sorted(texts(site.events()["events"])) == sorted([site.pseudonym(str(0x00A1B2C3)), site.pseudonym(str(0xE3086CED))])
    log = site.log()
    assert "frame with a bad checksum discarded (misread)" in log
    assert "62E3086CED09" not in log
    os.close(master)


def test_stx_etx_framer_with_length_and_xor(site):
    link = str(site.root / "ttyRFID")
    master = make_pty(link)
    site.write_config(readers=[{"id": "uhf", "kind": "serial", "path": link, "framing": "stx-etx",
                                "length_byte": True, "checksum": "xor"}])
    site.start_server()
    site.start_gateway()
    wait_for(lambda: "reader connected" in site.log(), 10, "the reader to open")

    def frame(data):
        x = 0
        for b in data:
            x ^= b
        return b"\x02" + bytes([len(data)]) + data + bytes([x]) + b"\x03"

    os.write(master, frame(b"E280-1160") + frame(b"AB\x03CD"))
    events = site.wait_events(2)
    assert sorted(texts(events)) == ["AB\x03CD", "E280-1160"]
    os.close(master)
