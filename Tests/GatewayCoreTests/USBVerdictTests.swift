import Foundation
import GatewayCore
import XCTest

/// The probe's USB inventory: a verdict for every kind of device a technician meets, judged
/// against the configured readers with the rules the supervisor applies.
final class USBVerdictTests: XCTestCase {
    func readers(_ tables: String) throws -> [GatewayConfig.Reader] {
        try GatewayConfig.parse(
            toml: "[device]\nid = \"t\"\n[server]\nurl = \"https://x\"\n" + tables,
            directory: "/"
        ).readers
    }

    // The devices of the QEMU guest test, and the NFC readers of issue 28.
    let keyboard = USBDevice(
        bus: 1,
        address: 2,
        ports: [1],
        vendor: 0x0627,
        product: 0x0001,
        manufacturer: "QEMU",
        productName: "QEMU USB Keyboard",
        serial: "KBD0001",
        interfaces: [.init(number: 0, interfaceClass: 3, subclass: 1, interfaceProtocol: 1, driver: "usbhid")],
        nodes: [
            DeviceDescription(
                devnode: "/dev/input/event2",
                subsystem: "input",
                vendor: 0x0627,
                product: 0x0001,
                name: "QEMU QEMU USB Keyboard"
            )
        ]
    )
    let ftdi = USBDevice(
        bus: 1,
        address: 3,
        ports: [2],
        vendor: 0x0403,
        product: 0x6001,
        manufacturer: "QEMU",
        productName: "QEMU USB SERIAL",
        interfaces: [
            .init(number: 0, interfaceClass: 0xFF, subclass: 0xFF, interfaceProtocol: 0xFF, driver: "ftdi_sio")
        ],
        nodes: [
            DeviceDescription(
                devnode: "/dev/ttyUSB0",
                subsystem: "tty",
                vendor: 0x0403,
                product: 0x6001,
                links: ["/dev/serial/by-id/usb-QEMU_QEMU_USB_SERIAL-if00-port0"]
            )
        ]
    )
    let gadget = USBDevice(
        bus: 3,
        address: 2,
        ports: [1],
        vendor: 0x05E0,
        product: 0x1200,
        manufacturer: "FakeScan Inc",
        productName: "Virtual Barcode Scanner",
        serial: "SN0001",
        interfaces: [
            .init(number: 0, interfaceClass: 3, subclass: 1, interfaceProtocol: 1, driver: "usbhid"),
            .init(number: 1, interfaceClass: 3, driver: "usbhid"),
        ],
        nodes: [
            DeviceDescription(devnode: "/dev/hidraw1", subsystem: "hidraw", vendor: 0x05E0, product: 0x1200),
            DeviceDescription(devnode: "/dev/input/event3", subsystem: "input", vendor: 0x05E0, product: 0x1200),
        ]
    )
    func acr122u(driver: String?) -> USBDevice {
        USBDevice(
            bus: 1,
            address: 7,
            ports: [3, 1],
            vendor: 0x072F,
            product: 0x2200,
            manufacturer: "ACS",
            productName: "ACR122U PICC Interface",
            interfaces: [.init(number: 0, interfaceClass: 0x0B, driver: driver)]
        )
    }

    func testAReaderRuleTakesTheDeviceThroughItsNode() throws {
        let rs = try readers(
            """
            [[reader]]
            id = "kbd"
            kind = "evdev"
            [reader.match]
            vendor = "0627"
            product = "0001"
            [[reader]]
            id = "gadget-kbd"
            kind = "evdev"
            [reader.match]
            vendor = "05e0"
            [[reader]]
            id = "pos"
            kind = "hidraw"
            [reader.match]
            vendor = "05e0"
            product = "1200"
            """
        )
        let k = USBVerdict.of(keyboard, readers: rs)
        XCTAssertEqual(k.code, .reader)
        XCTAssertEqual(k.readers, ["kbd"])
        XCTAssertEqual(k.detail, "taken by reader kbd (evdev, vendor 0627, product 0001: /dev/input/event2)")
        XCTAssertFalse(k.needsAttention)
        let g = USBVerdict.of(gadget, readers: rs)
        XCTAssertEqual(g.code, .reader)
        XCTAssertEqual(g.readers, ["gadget-kbd", "pos"], "both readers, each through its own node")
        XCTAssertEqual(
            g.detail,
            "taken by readers gadget-kbd (evdev, vendor 05e0: /dev/input/event3) and pos (hidraw, vendor 05e0, product 1200: /dev/hidraw1)"
        )
    }

    func testAPathReaderTakesTheDeviceItsPathLeadsTo() throws {
        let rs = try readers(
            "[[reader]]\nid = \"ser\"\nkind = \"serial\"\npath = \"/dev/serial/by-id/usb-QEMU_QEMU_USB_SERIAL-if00-port0\"\n"
        )
        XCTAssertEqual(USBVerdict.of(ftdi, readers: rs, resolvedPaths: ["ser": "/dev/ttyUSB0"]).readers, ["ser"])
        XCTAssertEqual(USBVerdict.of(ftdi, readers: rs).readers, ["ser"], "udev's link names it too")
        var other = ftdi
        other.nodes[0].devnode = "/dev/ttyUSB1"
        other.nodes[0].links = []
        XCTAssertEqual(USBVerdict.of(other, readers: rs, resolvedPaths: ["ser": "/dev/ttyUSB0"]).code, .serial)
    }

    func testAnNFCReaderWithTheUSBBackendTakesTheDeviceItself() throws {
        let rs = try readers("[[reader]]\nid = \"tap\"\nkind = \"nfc\"\nbackend = \"usb\"\n")
        let pn533 = USBDevice(
            bus: 2,
            address: 4,
            ports: [1],
            vendor: 0x04CC,
            product: 0x2533,
            interfaces: [.init(number: 0, interfaceClass: 0xFF)]
        )
        let v = USBVerdict.of(pn533, readers: rs)
        XCTAssertEqual(v.code, .reader)
        XCTAssertEqual(v.detail, "taken by reader tap (nfc usb, the USB ids its driver knows: /dev/bus/usb/002/004)")
        let ruled = try readers(
            "[[reader]]\nid = \"tap\"\nkind = \"nfc\"\nbackend = \"usb\"\n[reader.match]\nserial = \"A\"\n"
        )
        XCTAssertEqual(USBVerdict.of(pn533, readers: ruled).code, .nfcNoReader, "its rule wants another serial")
    }

    func testAnNFCReaderHeldByTheKernelNeedsTheBlacklist() throws {
        let v = USBVerdict.of(acr122u(driver: "pn533_usb"), readers: [])
        XCTAssertEqual(v.code, .nfcHeldByKernel)
        XCTAssertEqual(
            v.detail,
            "ACS ACR122U held by pn533_usb: install the blacklist (/etc/modprobe.d/gatewayd-nfc.conf) and replug it"
        )
        XCTAssertTrue(v.needsAttention)
        let rs = try readers("[[reader]]\nid = \"tap\"\nkind = \"nfc\"\nbackend = \"usb\"\n")
        let taken = USBVerdict.of(acr122u(driver: "pn533_usb"), readers: rs)
        XCTAssertEqual(taken.code, .nfcHeldByKernel, "the kernel's hold comes first, though the rule matches")
        XCTAssertEqual(taken.readers, ["tap"])
        XCTAssertTrue(taken.detail.hasSuffix("; then reader tap takes it"), taken.detail)
    }

    func testACCIDReaderWithAPCSCReaderIsLeftToPcscd() throws {
        let rs = try readers("[[reader]]\nid = \"nfc0\"\nkind = \"nfc\"\nreader = \"ACS*\"\n")
        let idle = USBVerdict.of(acr122u(driver: nil), readers: rs)
        XCTAssertEqual(idle.code, .nfcPCSCD)
        XCTAssertEqual(idle.readers, ["nfc0"])
        XCTAssertEqual(idle.detail, "ACS ACR122U: pcscd/libccid drives it for reader nfc0 (backend pcsc)")
        XCTAssertTrue(USBVerdict.of(acr122u(driver: "usbfs"), readers: rs).detail.hasSuffix(", and holds it now"))
        var acr1252 = acr122u(driver: nil)
        acr1252.product = 0x223E
        XCTAssertEqual(USBVerdict.of(acr1252, readers: rs).detail.prefix(12), "ACS ACR1252:")
    }

    func testAnNFCReaderNoReaderTakesSaysWhichBackendFits() throws {
        let both = USBVerdict.of(acr122u(driver: nil), readers: [])
        XCTAssertEqual(both.code, .nfcNoReader)
        XCTAssertEqual(
            both.detail,
            "ACS ACR122U, an NFC reader no reader takes: add [[reader]] kind = \"nfc\", backend = \"pcsc\" (with pcscd) or \"usb\""
        )
        let pcsc = try readers("[[reader]]\nid = \"nfc0\"\nkind = \"nfc\"\n")
        let scl3711 = USBDevice(
            bus: 1,
            address: 9,
            ports: [4],
            vendor: 0x04E6,
            product: 0x5591,
            interfaces: [.init(number: 0, interfaceClass: 0xFF)]
        )
        let v = USBVerdict.of(scl3711, readers: pcsc)
        XCTAssertEqual(v.code, .nfcNoReader)
        XCTAssertTrue(v.detail.hasPrefix("SCM SCL3711, an NFC reader"), v.detail)
        XCTAssertTrue(v.detail.hasSuffix("backend = \"usb\" (pcscd's libccid does not drive it)"), v.detail)
        var acr1252 = acr122u(driver: nil)
        acr1252.product = 0x223B
        XCTAssertTrue(
            USBVerdict.of(acr1252, readers: []).detail.hasSuffix("gatewayd's USB driver does not know it)"),
            "the USB backend does not drive an ACR1252"
        )
    }

    func testARuleThatNamesADeviceWithoutItsKindOfNodeSaysWhy() throws {
        let serial = try readers(
            "[[reader]]\nid = \"ser\"\nkind = \"serial\"\n[reader.match]\nvendor = \"0627\"\nproduct = \"0001\"\n"
        )
        let v = USBVerdict.of(keyboard, readers: serial)
        XCTAssertEqual(v.code, .ruleWithoutNode)
        XCTAssertTrue(v.needsAttention)
        XCTAssertEqual(
            v.detail,
            "reader ser's rule (serial, vendor 0627, product 0001) matches it, but it offers no tty: it is a HID keyboard:"
                + " use kind = \"evdev\", or switch the scanner to its USB serial (USB-COM) mode"
        )
        let evdev = try readers("[[reader]]\nid = \"w\"\nkind = \"evdev\"\n[reader.match]\nvendor = \"0403\"\n")
        XCTAssertTrue(
            USBVerdict.of(ftdi, readers: evdev).detail.hasSuffix(
                "no input event device: it is a serial device (vendor specific → ftdi_sio): use kind = \"serial\""
            )
        )
        var unbound = ftdi
        unbound.interfaces[0].driver = nil
        unbound.nodes = []
        let serial2 = try readers("[[reader]]\nid = \"s\"\nkind = \"serial\"\n[reader.match]\nvendor = \"0403\"\n")
        XCTAssertTrue(
            USBVerdict.of(unbound, readers: serial2).detail.hasSuffix(
                "no driver is bound to its interfaces (vendor specific → no driver): is the driver loaded?"
            )
        )
        // A name-only rule is about evdev names, not the USB strings: no claim is made from it.
        let byName = try readers("[[reader]]\nid = \"n\"\nkind = \"serial\"\n[reader.match]\nname = \"*\"\n")
        XCTAssertEqual(USBVerdict.of(keyboard, readers: byName).code, .hidKeyboard)
    }

    func testAKeyboardNoRuleMatchesNamesTheReaderThatCouldTakeIt() throws {
        let rs = try readers("[[reader]]\nid = \"w\"\nkind = \"evdev\"\n[reader.match]\nvendor = \"05e0\"\n")
        let v = USBVerdict.of(keyboard, readers: rs)
        XCTAssertEqual(v.code, .hidKeyboard)
        XCTAssertEqual(v.readers, [])
        XCTAssertEqual(
            v.detail,
            "HID keyboard that no reader rule matches (HID boot keyboard → usbhid, /dev/input/event2): a wedge scanner or"
                + " badge reader is read with kind = \"evdev\" and [reader.match] vendor = \"0627\", product = \"0001\""
        )
        XCTAssertFalse(v.needsAttention)
    }

    func testOtherHIDDevicesPOSScannerOrPointer() {
        var pos = gadget
        pos.interfaces = [.init(number: 0, interfaceClass: 3, driver: "usbhid")]
        pos.nodes = [pos.nodes[0]]
        let v = USBVerdict.of(pos, readers: [])
        XCTAssertEqual(v.code, .hid)
        XCTAssertTrue(v.detail.contains("(HID → usbhid, /dev/hidraw1)"), v.detail)
        XCTAssertTrue(v.detail.contains("kind = \"hidraw\""), v.detail)
        var mouse = pos
        mouse.interfaces = [.init(number: 0, interfaceClass: 3, subclass: 1, interfaceProtocol: 2, driver: "usbhid")]
        XCTAssertEqual(
            USBVerdict.of(mouse, readers: []),
            .init(code: .hid, detail: "HID pointer (HID boot mouse → usbhid): not a reader")
        )
    }

    func testSerialAdaptersAndCDCACMAskWhetherTheyAreAReader() {
        let v = USBVerdict.of(ftdi, readers: [])
        XCTAssertEqual(v.code, .serial)
        XCTAssertEqual(
            v.detail,
            "FTDI serial adapter (vendor specific → ftdi_sio, /dev/ttyUSB0): a serial reader? kind = \"serial\" with"
                + " [reader.match] vendor = \"0403\", product = \"6001\" or path = \"/dev/serial/by-id/…\""
        )
        let acm = USBDevice(
            bus: 1,
            address: 5,
            ports: [2, 3],
            vendor: 0x0C2E,
            product: 0x0B61,
            interfaces: [
                .init(number: 0, interfaceClass: 2, subclass: 2, interfaceProtocol: 1, driver: "cdc_acm"),
                .init(number: 1, interfaceClass: 0x0A, driver: "cdc_acm"),
            ],
            nodes: [DeviceDescription(devnode: "/dev/ttyACM0", subsystem: "tty")]
        )
        XCTAssertTrue(
            USBVerdict.of(acm, readers: []).detail.hasPrefix(
                "CDC-ACM tty (CDC-ACM → cdc_acm, CDC data → cdc_acm, /dev/ttyACM0)"
            )
        )
        let ch340 = USBDevice(
            bus: 1,
            address: 6,
            ports: [5],
            vendor: 0x1A86,
            product: 0x7523,
            interfaces: [.init(number: 0, interfaceClass: 0xFF)]
        )
        let c = USBVerdict.of(ch340, readers: [])
        XCTAssertEqual(c.code, .serial)
        XCTAssertTrue(c.detail.hasPrefix("CH340 serial adapter"), c.detail)
        XCTAssertTrue(c.detail.hasSuffix("; no tty yet: no driver is bound"), c.detail)
    }

    func testHubsCamerasOtherDevicesAndTheUnclaimed() {
        let root = USBDevice(bus: 1, address: 1, ports: [], vendor: 0x1D6B, product: 0x0002, deviceClass: 9)
        XCTAssertEqual(USBVerdict.of(root, readers: []), .init(code: .hub, detail: "root hub"))
        XCTAssertEqual(root.sysfsName, "usb1")
        let hub = USBDevice(
            bus: 1,
            address: 4,
            ports: [1],
            vendor: 0x05E3,
            product: 0x0610,
            interfaces: [.init(number: 0, interfaceClass: 9, driver: "hub")]
        )
        XCTAssertEqual(USBVerdict.of(hub, readers: []), .init(code: .hub, detail: "hub"))
        let camera = USBDevice(
            bus: 1,
            address: 8,
            ports: [1, 4],
            vendor: 0x046D,
            product: 0x0825,
            interfaces: [
                .init(number: 0, interfaceClass: 0x0E, subclass: 1, driver: "uvcvideo"),
                .init(number: 2, interfaceClass: 1, subclass: 1, driver: "snd-usb-audio"),
            ],
            nodes: [DeviceDescription(devnode: "/dev/video0", subsystem: "video4linux")]
        )
        let v = USBVerdict.of(camera, readers: [])
        XCTAssertEqual(v.code, .camera)
        XCTAssertEqual(camera.sysfsName, "1-1.4")
        XCTAssertTrue(v.detail.contains("/dev/video0)"), v.detail)
        let stick = USBDevice(
            bus: 2,
            address: 2,
            ports: [2],
            vendor: 0x0781,
            product: 0x5567,
            interfaces: [
                .init(number: 0, interfaceClass: 8, subclass: 6, interfaceProtocol: 0x50, driver: "usb-storage")
            ]
        )
        XCTAssertEqual(
            USBVerdict.of(stick, readers: []),
            .init(code: .other, detail: "mass storage → usb-storage: not a kind of reader gatewayd reads, and no rule")
        )
        var bare = stick
        bare.interfaces[0] = .init(number: 0, interfaceClass: 0xDC)
        XCTAssertEqual(
            USBVerdict.of(bare, readers: []),
            .init(code: .unclaimed, detail: "no driver and no rule (class dc → no driver)")
        )
        bare.interfaces = []
        XCTAssertEqual(USBVerdict.of(bare, readers: []).detail, "no driver and no rule (no active configuration)")
    }

    func testEveryVerdictIsReachable() throws {
        let pcsc = try readers("[[reader]]\nid = \"nfc0\"\nkind = \"nfc\"\n")
        let serialRule = try readers("[[reader]]\nid = \"s\"\nkind = \"serial\"\n[reader.match]\nvendor = \"0627\"\n")
        let evdevRule = try readers("[[reader]]\nid = \"k\"\nkind = \"evdev\"\n[reader.match]\nvendor = \"0627\"\n")
        var pos = gadget
        pos.interfaces = [.init(number: 0, interfaceClass: 3, driver: "usbhid")]
        let seen: Set<USBVerdict.Code> = [
            USBVerdict.of(keyboard, readers: evdevRule).code,
            USBVerdict.of(acr122u(driver: "pn533_usb"), readers: []).code,
            USBVerdict.of(acr122u(driver: nil), readers: pcsc).code,
            USBVerdict.of(acr122u(driver: nil), readers: []).code,
            USBVerdict.of(keyboard, readers: serialRule).code,
            USBVerdict.of(keyboard, readers: []).code,
            USBVerdict.of(pos, readers: []).code,
            USBVerdict.of(ftdi, readers: []).code,
            USBVerdict.of(
                USBDevice(
                    bus: 1,
                    address: 2,
                    ports: [1],
                    vendor: 1,
                    product: 1,
                    interfaces: [.init(number: 0, interfaceClass: 0x0E)]
                ),
                readers: []
            ).code,
            USBVerdict.of(
                USBDevice(bus: 1, address: 1, ports: [], vendor: 0x1D6B, product: 2, deviceClass: 9),
                readers: []
            ).code,
            USBVerdict.of(
                USBDevice(
                    bus: 1,
                    address: 2,
                    ports: [1],
                    vendor: 1,
                    product: 1,
                    interfaces: [.init(number: 0, interfaceClass: 8, driver: "usb-storage")]
                ),
                readers: []
            ).code,
            USBVerdict.of(USBDevice(bus: 1, address: 2, ports: [1], vendor: 1, product: 1), readers: []).code,
        ]
        XCTAssertEqual(seen, Set(USBVerdict.Code.allCases))
    }

    func testTheCheckListsEveryDeviceInBusOrderAndWarnsOnlyWhenAVerdictNeedsAttention() throws {
        let rs = try readers("[[reader]]\nid = \"kbd\"\nkind = \"evdev\"\n[reader.match]\nvendor = \"0627\"\n")
        let root = USBDevice(
            bus: 1,
            address: 1,
            ports: [],
            vendor: 0x1D6B,
            product: 0x0002,
            deviceClass: 9,
            manufacturer: "Linux 6.1.0 xhci-hcd",
            productName: "xHCI Host Controller"
        )
        let check = ProbeCheck.usbBus([gadget, ftdi, keyboard, root], readers: rs)
        XCTAssertEqual(check.name, "usb bus")
        XCTAssertEqual(check.status, .ok)
        XCTAssertEqual(check.detail, "4 USB devices, 1 taken by readers")
        XCTAssertEqual(check.usb?.devices.map(\.portPath), ["usb1", "1-1", "1-2", "3-1"])
        XCTAssertEqual(check.usb?.devices.map(\.verdict), [.hub, .reader, .serial, .hidKeyboard])
        XCTAssertEqual(
            check.lines?[0],
            "usb1 1d6b:0002 'Linux 6.1.0 xhci-hcd xHCI Host Controller' — root hub"
        )
        XCTAssertEqual(
            check.lines?[1],
            "1-1 0627:0001 'QEMU QEMU USB Keyboard' serial KBD0001 [HID boot keyboard → usbhid] — taken by reader kbd"
                + " (evdev, vendor 0627: /dev/input/event2)"
        )

        let warned = ProbeCheck.usbBus([acr122u(driver: "pn533_usb"), keyboard], readers: [])
        XCTAssertEqual(warned.status, .warn)
        XCTAssertEqual(warned.detail, "2 USB devices, 0 taken by readers; 1 needs attention: 1-3.1 072f:2200")

        let none = ProbeCheck.usbBus([], readers: rs)
        XCTAssertEqual(none.detail, "0 USB devices")
        XCTAssertNil(none.lines)
        XCTAssertEqual(none.usb?.devices, [])
    }

    func testTheFactsInJSON() throws {
        let check = ProbeCheck.usbBus([ftdi], readers: [])
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(check)) as? [String: Any]
        let device = try XCTUnwrap(((json?["usb"] as? [String: Any])?["devices"] as? [[String: Any]])?.first)
        XCTAssertEqual(device["usb"] as? String, "0403:6001")
        XCTAssertEqual(device["port_path"] as? String, "1-2")
        XCTAssertEqual(device["bus"] as? Int, 1)
        XCTAssertEqual(device["address"] as? Int, 3)
        XCTAssertEqual(device["device_class"] as? Int, 0)
        XCTAssertEqual(device["product"] as? String, "QEMU USB SERIAL")
        XCTAssertEqual(device["verdict"] as? String, "serial")
        XCTAssertEqual(device["nodes"] as? [String], ["/dev/ttyUSB0"])
        XCTAssertEqual(device["readers"] as? [String], [])
        XCTAssertNil(device["serial"], "absent, not null")
        let interface = try XCTUnwrap((device["interfaces"] as? [[String: Any]])?.first)
        XCTAssertEqual(interface["class"] as? Int, 255)
        XCTAssertEqual(interface["class_name"] as? String, "vendor specific")
        XCTAssertEqual(interface["driver"] as? String, "ftdi_sio")
        XCTAssertEqual(interface["protocol"] as? Int, 255)
        let back = try JSONDecoder().decode(ProbeCheck.self, from: JSONEncoder().encode(check))
        XCTAssertEqual(back, check)
    }
}
