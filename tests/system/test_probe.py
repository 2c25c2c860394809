"""`gatewayd --probe`: one command that says whether a terminal can deliver scans, and why not.
Every check runs against real things: the case server over TLS on loopback, a pty as a serial
reader, the terminal's own clock shifted by an LD_PRELOAD shim, a short-lived certificate."""
import base64
import hashlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import jsonschema
import pytest

from harness import CASE_SERVER, GATEWAYD, ROOT, wait_for, walljump

SCHEMA = json.loads((ROOT / "docs" / "probe.schema.json").read_text())


def probe(site, *extra, env_extra=None):
    env = dict(os.environ, RUNTIME_DIRECTORY=str(site.root / "run"))
    env.update(env_extra or {})
    return subprocess.run([GATEWAYD, "--probe", "--config", str(site.root / "gatewayd.toml"), *extra],
                          capture_output=True, text=True, env=env, timeout=60)


def report(site, *extra, env_extra=None):
    r = probe(site, "--json", *extra, env_extra=env_extra)
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["ok"] == (r.returncode == 0), (doc["ok"], r.returncode)
    return doc, {c["name"]: c for c in doc["checks"]}


def spki_pin(cert_pem):
    pub = subprocess.run(["openssl", "x509", "-noout", "-pubkey", "-in", str(cert_pem)], check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub, check=True, capture_output=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def test_healthy_terminal_passes_and_says_why(site):
    site.write_config()
    site.start_server()
    site.start_gateway()
    site.scan("ACME-1")
    site.wait_events(1)
    wait_for(lambda: (site.root / "run" / "forwarder.json").exists(), 10, "the forwarder status")
    r = probe(site)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ["config", "device key", "server key", "site key", "reader fifo0", "spool", "forwarder", "server"]:
        assert any(line.startswith(name) for line in r.stdout.splitlines()), f"no {name} line in\n{r.stdout}"
    assert "the sealed probe envelope authenticated" in r.stdout and "circuit closed" in r.stdout
    assert r.stdout.rstrip().endswith("probe: scans can be delivered")

    doc, checks = report(site)
    assert doc["ok"] and doc["schema"] == "gatewayd-probe/1"
    assert checks["server"]["status"] == "ok" and checks["spool"]["status"] == "ok"
    server = checks["server"]["server"]
    assert server["addresses"] == ["127.0.0.1"] and server["http_status"] == 200 and server["probe_envelope"] == "accepted"
    leaf = server["chain"][0]
    assert leaf["subject"].startswith("CN=localhost") and 395 <= leaf["days_left"] <= 397
    assert leaf["pin_sha256"] == spki_pin(site.root / "pki" / "server.pem")
    assert len(server["chain"]) == 2, server["chain"]  # leaf and the test CA
    assert abs(server["clock_skew_ms"]) < 1500
    # Loopback answers in milliseconds: the range is the Date header's second and little more.
    assert 500 <= server["clock_skew_uncertainty_ms"] < 1000, server
    key_id = re.search(r"key id (\S+)", checks["server key"]["detail"]).group(1)
    assert key_id in server["server_key_ids"]
    assert checks["spool"]["spool"]["depth"] == 0 and checks["spool"]["spool"]["free_mb"] > 0
    # The probe envelope was opened and answered, never stored as an event.
    time.sleep(0.5)
    assert len(site.events()["events"]) == 1
    assert "probe envelope opened" in site.log("server")


def test_server_down_and_loose_key_fail_with_the_fix(site):
    site.write_config()
    site.start_gateway()
    site.scan("ACME-1")
    wait_for(lambda: "delivery failed" in site.log(), 20, "a failed delivery")
    r = probe(site)
    assert r.returncode == 1 and "probe: FAILED" in r.stdout, r.stderr[:3000]
    doc, checks = report(site)
    assert not doc["ok"]
    assert checks["server"]["status"] == "fail" and "refused" in checks["server"]["detail"].lower()
    assert checks["forwarder"]["status"] == "warn" and "circuit open" in checks["forwarder"]["detail"]
    assert checks["spool"]["spool"]["depth"] == 1 and "1 waiting" in checks["spool"]["detail"]
    os.chmod(site.root / "device.key", 0o644)
    _, checks = report(site)
    assert checks["device key"]["status"] == "fail" and "chmod 600" in checks["device key"]["detail"]


def test_unregistered_device_and_unknown_server_key_fail_with_the_fix(site):
    site.write_config()
    site.start_server()
    (site.root / "devices" / "term-1.pem").rename(site.root / "term-1.pem.away")
    doc, checks = report(site)
    assert not doc["ok"]
    assert checks["server"]["status"] == "fail" and checks["server"]["server"]["probe_envelope"].startswith("unknown_device")
    assert "register this device id" in checks["server"]["detail"]
    (site.root / "term-1.pem.away").rename(site.root / "devices" / "term-1.pem")
    # The server is restarted with another key only: the terminal seals to a key it lacks.
    site.stop_server()
    site.run([CASE_SERVER, "keygen", "--out", str(site.root / "other.key")])
    (site.root / "server.key").rename(site.root / "server.key.orig")
    (site.root / "other.key").rename(site.root / "server.key")
    site.start_server()
    _, checks = report(site)
    assert checks["server"]["status"] == "fail"
    assert "holds no private key" in checks["server"]["detail"] and "unknown_key_id" in checks["server"]["detail"]


def test_expiring_certificate_warns_and_expired_fails(site):
    env = dict(os.environ, DAYS="10")
    subprocess.run([str(ROOT / "scripts" / "make-pki.sh"), str(site.root / "pki")], check=True, env=env)
    site.write_config()
    site.start_server()
    doc, checks = report(site)
    assert doc["ok"], checks["server"]
    assert checks["server"]["status"] == "warn" and re.search(r"expires in (9|10) days", checks["server"]["detail"])
    # Eleven days later by the terminal's clock: the certificate has expired; TLS refuses it
    # and the probe still shows the chain it was offered, with the date.
    lib, offset = walljump(site)
    offset.write_text(str(11 * 86400))
    doc, checks = report(site, env_extra={"LD_PRELOAD": str(lib), "WALLJUMP_FILE": str(offset)})
    assert not doc["ok"] and checks["server"]["status"] == "fail"
    assert "expired" in checks["server"]["detail"], checks["server"]["detail"]
    assert checks["server"]["server"]["chain"][0]["days_left"] < 0


def test_clock_skew_from_the_servers_date(site):
    site.write_config()
    site.start_server()
    lib, offset = walljump(site)
    offset.write_text("120\n")
    doc, checks = report(site, env_extra={"LD_PRELOAD": str(lib), "WALLJUMP_FILE": str(offset)})
    skew = checks["server"]["server"]["clock_skew_ms"]
    assert 118_500 <= skew <= 121_500, skew
    # The Date header has a one-second resolution: 120 s ± 1.
    assert checks["server"]["status"] == "warn" and re.search(r"clock off by 1(19|20|21) s", checks["server"]["detail"])
    assert doc["ok"]  # a wrong clock is worth fixing but does not stop delivery


def test_readers_devices_permissions_and_rules(site):
    master, slave = os.openpty()
    tty = os.ttyname(slave)
    site.write_config(readers=[
        {"id": "fifo0", "kind": "line", "path": str(site.fifo)},
        {"id": "serial0", "kind": "serial", "path": tty, "baud": 9600},
        {"id": "gone", "kind": "serial", "path": "/dev/gatewayd-no-such-port"},
        {"id": "wedge", "kind": "evdev", "match": {"vendor": "dead", "product": "beef"}},
    ])
    site.start_server()
    try:
        doc, checks = report(site)
        assert doc["ok"], [c for c in doc["checks"] if c["status"] == "fail"]
        s = checks["reader serial0"]
        assert s["status"] == "ok" and s["reader"]["kind"] == "serial"
        dev = s["reader"]["devices"][0]
        assert dev["devnode"] == tty and dev["matched"] and dev["needs"] == "rw"
        assert checks["reader gone"]["status"] == "warn" and "no device found" in checks["reader gone"]["detail"]
        w = checks["reader wedge"]
        assert w["status"] == "warn" and w["reader"]["rule"] == "vendor dead, product beef"
        for d in w["reader"]["devices"]:  # whatever input devices this machine has: none is taken
            assert not d["matched"] and d["why_not"].startswith("vendor")
        assert checks["reader fifo0"]["status"] == "ok"
        # The pty is root's, mode 0600: the service user (here: nobody) could not open it.
        os.chmod(tty, 0o600)
        doc, checks = report(site, "--as-user", "nobody")
        s = checks["reader serial0"]
        assert not doc["ok"] and s["status"] == "fail"
        assert "not readable and writable by nobody" in s["detail"] and "70-gatewayd.rules" in s["detail"]
        assert s["reader"]["devices"][0]["access"] == "none" and s["reader"]["devices"][0]["mode"].startswith("crw-------")
        table = probe(site, "--as-user", "nobody").stdout
        assert f"{tty}" in table and "nobody may none (needs rw) — selected" in table
    finally:
        os.close(master)
        os.close(slave)


def test_config_warnings(site):
    cfg = site.write_config()
    cfg.write_text(cfg.read_text().replace("[spool]\n", '[spool]\noverflow = "drop_oldest"\n'))
    site.start_server()
    _, checks = report(site)
    c = checks["config"]
    assert c["status"] == "warn"
    assert any("drop_oldest" in w for w in c["warnings"]) and any("interval_s = 0" in w for w in c["warnings"])
    bad = site.root / "bad.toml"
    bad.write_text(cfg.read_text().replace('[device]\n', '[device]\nnonsense = 1\n'))
    r = subprocess.run([GATEWAYD, "--probe", "--json", "--config", str(bad)], capture_output=True, text=True)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["checks"][0]["name"] == "config" and doc["checks"][0]["status"] == "fail" and "nonsense" in doc["checks"][0]["detail"]


def sysfs_usb_devices():
    """The USB devices the kernel lists, root hubs included (none where /sys has no USB bus)."""
    d = Path("/sys/bus/usb/devices")
    return {p.name: p for p in d.iterdir() if ":" not in p.name} if d.exists() else {}


def test_usb_bus_lists_every_device_with_its_drivers_and_a_verdict(site):
    site.write_config()
    doc, checks = report(site)
    names = [c["name"] for c in doc["checks"]]
    assert names.index("usb bus") == names.index("reader fifo0") + 1, names  # after the readers
    c = checks["usb bus"]
    table = probe(site).stdout
    assert any(line.startswith("usb bus") for line in table.splitlines()), table
    if not os.path.exists("/dev/bus/usb"):
        # A container: libusb sees no bus. A warning that says why and what to do; the probe goes on.
        assert c["status"] == "warn" and "/dev/bus/usb does not exist" in c["detail"], c
        assert c.get("usb", {"devices": []})["devices"] == []
        assert {"spool", "server"} <= set(checks)
        return
    assert c["status"] in ("ok", "warn"), c
    devices = c["usb"]["devices"]
    kernel = sysfs_usb_devices()
    assert sorted(d["port_path"] for d in devices) == sorted(kernel), (devices, kernel)
    assert len(c["lines"]) == len(devices)
    for d in devices:
        sysfs = kernel[d["port_path"]]
        assert d["usb"] == f"{(sysfs / 'idVendor').read_text().strip()}:{(sysfs / 'idProduct').read_text().strip()}"
        assert d["detail"] and d["readers"] == []  # the only reader is a FIFO
        if d["port_path"].startswith("usb"):
            assert d["verdict"] == "hub" and d["detail"] == "root hub"
        prefix = f"{d['bus']}-0" if d["port_path"].startswith("usb") else d["port_path"]  # a root hub's interfaces
        for i in d["interfaces"]:
            link = next(iter(sysfs.parent.glob(f"{prefix}:*.{i['number']}/driver")), None)
            assert i.get("driver") == (os.path.basename(os.readlink(link)) if link else None), (d, i)
    if c["status"] == "warn":
        assert any(d["verdict"] in ("nfc_held_by_kernel", "rule_without_node") for d in devices), c


def test_usb_bus_without_libusb_warns_with_the_fix_and_the_probe_goes_on(site):
    lib = site.root / "nolibusb"
    lib.mkdir()
    (lib / "libusb-1.0.so.0").write_bytes(b"not a shared library")
    site.write_config()
    doc, checks = report(site, env_extra={"LD_LIBRARY_PATH": str(lib)})
    c = checks["usb bus"]
    assert c["status"] == "warn" and c["detail"].startswith("cannot load libusb-1.0 (")
    assert c["detail"].endswith("install it: apt-get install libusb-1.0-0") and "usb" not in c
    assert {"spool", "server"} <= set(checks)


def usb_testbed():
    """A umockdev description of a bus: a root hub, a keyboard (usbhid, an evdev node), an
    ACR122U the kernel's pn533_usb holds, an FTDI adapter (ftdi_sio, ttyUSB0) and a device
    nothing drives. libusb reads their descriptors from it, the probe their strings and drivers."""
    def descriptors(vendor, product, interfaces, device_class=0):
        """The device descriptor and one configuration with an interface (class, subclass, protocol) each."""
        v, p = int(vendor, 16), int(product, 16)
        dev = [18, 1, 0x00, 0x02, device_class, 0, 0, 64, v & 0xFF, v >> 8, p & 0xFF, p >> 8, 0, 1, 1, 2, 3, 1]
        body = sum(([9, 4, n, 0, 0, c, s, pr, 0] for n, (c, s, pr, _, _) in enumerate(interfaces)), [])
        return dev + [9, 2, 9 + len(body), 0, len(interfaces), 1, 0, 0x80, 50] + body

    def record(path, lines):
        return "\n".join([f"P: {path}"] + lines) + "\n\n"

    def device(name, devnum, vendor, product, strings, interfaces, device_class=0):
        """interfaces: (class, subclass, protocol, driver or None, [(sysfs path below it, /dev name)])."""
        path = "/devices/pci0000:00/0000:00:14.0/usb1" + ("" if name == "usb1" else f"/{name}")
        node = f"bus/usb/001/{devnum:03d}"
        out = record(path, [f"N: {node}", f"E: DEVNAME=/dev/{node}", "E: DEVTYPE=usb_device", "E: DRIVER=usb",
                            "E: SUBSYSTEM=usb", "E: BUSNUM=001", f"E: DEVNUM={devnum:03d}", "A: busnum=1", f"A: devnum={devnum}",
                            f"A: idVendor={vendor}", f"A: idProduct={product}", f"A: bDeviceClass={device_class:02x}",
                            "A: bConfigurationValue=1", "A: bNumConfigurations=1", "A: speed=12",
                            f"H: descriptors={bytes(descriptors(vendor, product, interfaces, device_class)).hex()}"]
                     + [f"A: {k}={v}" for k, v in strings.items()])
        for n, (c, sub, proto, driver, nodes) in enumerate(interfaces):
            ipath = f"{path}/{'1-0' if name == 'usb1' else name}:1.{n}"
            out += record(ipath, ["E: DEVTYPE=usb_interface", "E: SUBSYSTEM=usb", f"A: bInterfaceNumber={n:02x}",
                                  f"A: bInterfaceClass={c:02x}", f"A: bInterfaceSubClass={sub:02x}", f"A: bInterfaceProtocol={proto:02x}"]
                          + ([f"E: DRIVER={driver}", f"L: driver=../../../../../../bus/usb/drivers/{driver}"] if driver else []))
            for below, dev in nodes:
                subsystem = "tty" if dev.startswith("tty") else "input"
                out += record(f"{ipath}/{below}", [f"N: {dev}", f"E: DEVNAME=/dev/{dev}", f"E: SUBSYSTEM={subsystem}"])
        return out

    return (device("usb1", 1, "1d6b", "0002", {"manufacturer": "Linux xhci-hcd", "product": "xHCI Host Controller"},
                   [(9, 0, 0, "hub", [])], device_class=9)
            + device("1-1", 2, "0627", "0001", {"manufacturer": "QEMU", "product": "QEMU USB Keyboard", "serial": "KBD0001"},
                     [(3, 1, 1, "usbhid", [("0003:0627:0001.0001/input/input5/event5", "input/event5")])])
            + device("1-2", 3, "072f", "2200", {"manufacturer": "ACS", "product": "ACR122U PICC Interface"},
                     [(0x0B, 0, 0, "pn533_usb", [])])
            + device("1-3", 4, "0403", "6001", {"manufacturer": "FTDI", "product": "FT232R USB UART", "serial": "A50285BI"},
                     [(0xFF, 0xFF, 0xFF, "ftdi_sio", [("ttyUSB0/tty/ttyUSB0", "ttyUSB0")])])
            + device("1-4", 5, "1234", "5678", {}, [(0xFF, 0, 0, None, [])]))


def test_usb_bus_through_libusb_on_an_emulated_bus(site):
    testbed = site.root / "bus.umockdev"
    testbed.write_text(usb_testbed())
    site.write_config(readers=[{"id": "kbd", "kind": "evdev", "match": {"vendor": "0627", "product": "0001"}}])
    config = str(site.root / "gatewayd.toml")
    run = lambda *extra: subprocess.run(["umockdev-run", "--device", str(testbed), "--", GATEWAYD, "--probe", "--config", config, *extra],
                                        capture_output=True, text=True, timeout=120, env=dict(os.environ, RUNTIME_DIRECTORY=str(site.root / "run")))
    r = run("--json")
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, SCHEMA)
    c = {x["name"]: x for x in doc["checks"]}["usb bus"]
    devices = {d["port_path"]: d for d in c["usb"]["devices"]}
    assert list(devices) == ["usb1", "1-1", "1-2", "1-3", "1-4"], c
    assert c["status"] == "warn" and c["detail"] == "5 USB devices, 1 taken by readers; 1 needs attention: 1-2 072f:2200"
    hub, kbd, acr, ftdi, bare = devices.values()
    assert hub["verdict"] == "hub" and hub["device_class"] == 9 and hub["interfaces"][0]["driver"] == "hub"
    assert kbd["usb"] == "0627:0001" and (kbd["manufacturer"], kbd["product"], kbd["serial"]) == ("QEMU", "QEMU USB Keyboard", "KBD0001")
    assert kbd["interfaces"] == [{"number": 0, "class": 3, "subclass": 1, "protocol": 1, "class_name": "HID boot keyboard", "driver": "usbhid"}]
    assert kbd["nodes"] == ["/dev/input/event5"] and kbd["verdict"] == "reader" and kbd["readers"] == ["kbd"]
    assert kbd["detail"] == "taken by reader kbd (evdev, vendor 0627, product 0001: /dev/input/event5)"
    assert acr["verdict"] == "nfc_held_by_kernel" and acr["interfaces"][0]["driver"] == "pn533_usb"
    assert "install the blacklist (/etc/modprobe.d/gatewayd-nfc.conf)" in acr["detail"]
    assert ftdi["verdict"] == "serial" and ftdi["nodes"] == ["/dev/ttyUSB0"] and ftdi["interfaces"][0]["driver"] == "ftdi_sio"
    assert ftdi["detail"].startswith("FTDI serial adapter (vendor specific → ftdi_sio, /dev/ttyUSB0): a serial reader?")
    assert bare["verdict"] == "unclaimed" and "driver" not in bare["interfaces"][0] and "manufacturer" not in bare
    assert bare["detail"] == "no driver and no rule (vendor specific → no driver)"
    # Without the reader, the keyboard is one no rule matches.
    site.write_config(readers=[])
    kbd = {d["port_path"]: d for x in json.loads(run("--json").stdout)["checks"] if x["name"] == "usb bus" for d in x["usb"]["devices"]}["1-1"]
    assert kbd["verdict"] == "hid_keyboard" and kbd["detail"].startswith("HID keyboard that no reader rule matches")
    table = run().stdout.splitlines()
    at = next(i for i, line in enumerate(table) if line.startswith("usb bus"))
    assert "WARN" in table[at] and len([line for line in table[at + 1:at + 6] if line.startswith(" ")]) == 5, table
    assert "1-2 072f:2200 'ACS ACR122U PICC Interface' [smart card (CCID) → pn533_usb] — ACS ACR122U held by pn533_usb" in table[at + 3]
    # An NFC reader with backend = "usb" takes the ACR122U: its own check says what holds it.
    site.write_config(readers=[{"id": "tap", "kind": "nfc", "backend": "usb"}])
    tap = {x["name"]: x for x in json.loads(run("--json").stdout)["checks"]}["reader tap"]
    assert tap["status"] == "warn", tap
    assert tap["detail"].startswith(
        "nfc (usb) reader (the USB ids its driver knows): /dev/bus/usb/001/003 (pn533_usb) held by the kernel's NFC driver"), tap
    assert "install the blacklist (/etc/modprobe.d/gatewayd-nfc.conf)" in tap["detail"], tap


def test_the_daemon_does_not_load_libusb_for_the_kiosk_probe(site):
    site.write_config()
    site.start_server()
    gw = site.start_gateway()
    import urllib.request
    with urllib.request.urlopen(site.kiosk_url() + "/api/probe", timeout=60) as r:
        doc = json.load(r)
    jsonschema.validate(doc, SCHEMA)
    c = {x["name"]: x for x in doc["checks"]}["usb bus"]
    assert c["status"] == "ok" and c["detail"].startswith("not listed by the daemon") and "usb" not in c
    maps = Path(f"/proc/{gw.pid}/maps").read_text()
    # A terminal without NFC readers maps neither NFC library, even after its probe ran.
    assert "libusb" not in maps and "libpcsclite" not in maps


def test_listen_shows_scans_as_sealed_and_sends_nothing(site):
    site.write_config()
    site.start_server()
    fd = site.open_fifo()
    p = subprocess.Popen([GATEWAYD, "--probe", "--listen", "4", "--config", str(site.root / "gatewayd.toml")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, RUNTIME_DIRECTORY=str(site.root / "run")))
    time.sleep(1.0)
    os.write(fd, b"ACME-300001\nowner 13812345678\n")
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    lines = out.splitlines()
    assert len(lines) == 2, out
    assert "reader=fifo0 class=subject schema=acme subject=300001" in lines[0]
    assert "138****5678" in lines[1] and "13812345678" not in out and "redactions=phone" in lines[1]
    assert "listen: 2 scans seen" in err
    # Nothing spooled, nothing sent.
    assert not (site.root / "spool.db").exists()
    time.sleep(0.5)
    assert site.events()["events"] == []


def test_listen_refuses_beside_the_daemon(site):
    site.write_config()
    site.start_server()
    site.start_gateway()
    wait_for(lambda: "gatewayd ready" in site.log(), 20, "the daemon")
    r = subprocess.run([GATEWAYD, "--probe", "--listen", "2", "--config", str(site.root / "gatewayd.toml")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "another gatewayd is running" in r.stderr
    # And a second daemon on the same spool is refused the same way (exit 78, config error).
    second = subprocess.run([GATEWAYD, "--config", str(site.root / "gatewayd.toml")], capture_output=True, text=True, timeout=30,
                            env=dict(os.environ, RUNTIME_DIRECTORY=str(site.root / "run2")))
    assert second.returncode == 78 and "another gatewayd is running" in second.stderr


def test_metrics_port_taken_is_logged_and_scanning_goes_on(site):
    import socket
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    cfg = site.write_config()
    cfg.write_text(cfg.read_text().replace('listen = "127.0.0.1:0"', f'listen = "127.0.0.1:{port}"'))
    site.start_server()
    gw = site.start_gateway()
    site.scan("ACME-1")
    site.wait_events(1)
    wait_for(lambda: "metrics endpoint cannot listen; running without it" in site.log(), 10, "the log line")
    assert gw.poll() is None
    blocker.close()


def test_metrics_count_scans_by_class_and_decode_failures(site):
    site.write_config()
    site.start_server()
    site.start_gateway()
    # A subject label, free text, an EAN-13 (AIM ]E0) with a wrong check digit: a misread.
    site.scan("ACME-1", "ACME-2", "hello", "]E04006381333932")
    site.wait_events(4)
    m = site.metrics()

    def value(name, **labels):
        for line in m.splitlines():
            if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
        return None
    assert value("gatewayd_scans_total", reader="fifo0", **{"class": "subject"}) == 2, m
    assert value("gatewayd_scans_total", reader="fifo0", **{"class": "unknown"}) == 2
    assert value("gatewayd_decode_failures_total", reader="fifo0", reason="misread_gtin") == 1
    for name in ["gatewayd_spool_depth", "gatewayd_spool_oldest_age_seconds", "gatewayd_delivered_total"]:
        assert name in m, name
    # Forward latency is a histogram with buckets from 1 ms.
    assert "# TYPE gatewayd_forward_duration_seconds histogram" in m
    assert value("gatewayd_forward_duration_seconds_bucket", le="0.001") is not None
    assert value("gatewayd_forward_duration_seconds_bucket", le="+Inf") >= 1
