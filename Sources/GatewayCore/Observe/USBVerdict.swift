/// What a technician should make of one USB device, for the probe's `usb bus` check: which
/// configured reader takes it, or what kind of reader it could be and what to write for it,
/// or why gatewayd cannot have it. Pure: the reader rules are the ones the supervisor applies
/// (`ReaderSelection`), judged against the device's own nodes.
public struct USBVerdict: Sendable, Equatable {
    /// The verdict for machines (`verdict` in `--json`); `detail` says it for people.
    public enum Code: String, Codable, Sendable, CaseIterable {
        /// A configured reader takes it (`readers` names which).
        case reader
        /// An NFC reader gatewayd or pcscd could drive, held by the kernel's NFC stack
        /// (pn533_usb): nobody else can claim it until the blacklist is installed.
        case nfcHeldByKernel = "nfc_held_by_kernel"
        /// An ACR122U or ACR1252 left to pcscd and libccid, for a `backend = "pcsc"` reader.
        case nfcPCSCD = "nfc_pcscd"
        /// An NFC reader that no configured reader uses.
        case nfcNoReader = "nfc_no_reader"
        /// A reader's `[reader.match]` names this device, but it has no node of the reader's kind.
        case ruleWithoutNode = "rule_without_node"
        /// A HID keyboard no reader rule matches (a wedge scanner or badge reader, or a keyboard).
        case hidKeyboard = "hid_keyboard"
        /// Another HID device no reader rule matches (a HID POS scanner, or a pointer).
        case hid
        /// A CDC-ACM or USB serial adapter no reader rule matches.
        case serial
        /// A video device no reader rule matches.
        case camera
        case hub
        /// Bound to a driver, and not a kind of device gatewayd reads.
        case other
        /// No driver and no rule.
        case unclaimed
    }

    public var code: Code
    public var detail: String
    /// The ids of the configured readers that take it.
    public var readers: [String]

    public init(code: Code, detail: String, readers: [String] = []) {
        self.code = code
        self.detail = detail
        self.readers = readers
    }

    /// Something stands between this device and a reader that is meant to use it.
    public var needsAttention: Bool { code == .nfcHeldByKernel || code == .ruleWithoutNode }

    /// Where `make install` and the package put the modprobe blacklist for the kernel's NFC stack.
    public static let nfcBlacklist = "/etc/modprobe.d/gatewayd-nfc.conf"

    /// NFC readers pcscd's libccid drives (ACS's CCID readers).
    static let ccidNFCReaders: [(vendor: UInt16, product: UInt16, name: String)] = [
        (0x072F, 0x2200, "ACS ACR122U"),
        (0x072F, 0x223B, "ACS ACR1252"),
        (0x072F, 0x223E, "ACS ACR1252"),
    ]

    /// The kernel's NFC drivers, which claim the PN533 family and the ACR122U.
    static let kernelNFCDrivers: Set<String> = ["pn533_usb", "pn533", "port100", "nfc"]

    /// USB-serial bridges by vendor id.
    static let serialChips: [UInt16: String] = [0x0403: "FTDI", 0x1A86: "CH340", 0x067B: "PL2303", 0x10C4: "CP210x"]
    static let serialDrivers: Set<String> = [
        "cdc_acm", "ftdi_sio", "ch341", "pl2303", "cp210x", "usbserial_generic", "usbserial",
    ]

    /// The verdict on `device` given the configured readers.
    /// - Parameter resolvedPaths: each reader's `path` resolved to a device node, by reader id
    ///   (a reader with a path whose node does not exist is left out).
    public static func of(
        _ device: USBDevice,
        readers: [GatewayConfig.Reader],
        resolvedPaths: [String: String] = [:]
    ) -> USBVerdict {
        if device.isHub {
            return .init(code: .hub, detail: device.vendor == 0x1D6B ? "root hub" : "hub")
        }
        let taking = takers(device, readers: readers, resolvedPaths: resolvedPaths)
        let ids = taking.map(\.reader.id)
        let nfcName =
            (GatewayConfig.Reader.NFC.usbDevices.first { $0.vendor == device.vendor && $0.product == device.product }
            ?? ccidNFCReaders.first { $0.vendor == device.vendor && $0.product == device.product })?.name
        if let nfcName, let held = device.drivers.first(where: kernelNFCDrivers.contains) {
            return .init(
                code: .nfcHeldByKernel,
                detail: "\(nfcName) held by \(held): install the blacklist (\(nfcBlacklist)) and replug it"
                    + (ids.isEmpty ? "" : "; then reader \(ids.joined(separator: ", ")) takes it"),
                readers: ids
            )
        }
        if !taking.isEmpty {
            let each = taking.map { "\($0.reader.id) (\(ruleText($0.reader)): \($0.node))" }
            return .init(
                code: .reader,
                detail: "taken by reader\(each.count == 1 ? "" : "s") \(each.joined(separator: " and "))",
                readers: ids
            )
        }
        if let nfcName { return nfcVerdict(device, name: nfcName, readers: readers) }
        if let v = ruleWithoutNode(device, readers: readers) { return v }
        return kindVerdict(device)
    }

    /// Each reader that takes one of the device's nodes (the USB device itself for an NFC
    /// reader with the usb backend), with that node.
    static func takers(
        _ device: USBDevice,
        readers: [GatewayConfig.Reader],
        resolvedPaths: [String: String]
    ) -> [(reader: GatewayConfig.Reader, node: String)] {
        let nodes = [device.usbNode] + device.nodes
        return readers.compactMap { r in
            guard r.subsystem != nil else { return nil }
            let node = nodes.first {
                ReaderSelection.whyNot(r, $0, resolvedPath: resolvedPaths[r.id]) == nil
            }
            return node.map { (r, $0.devnode) }
        }
    }

    static func nfcVerdict(_ device: USBDevice, name: String, readers: [GatewayConfig.Reader]) -> USBVerdict {
        let pcsc = readers.filter {
            if case .nfc(let n) = $0.kind, case .pcsc = n.backend { return true }
            return false
        }
        let ccid = ccidNFCReaders.contains { $0.vendor == device.vendor && $0.product == device.product }
        let usbDriverKnows = GatewayConfig.Reader.NFC.usbDevices.contains {
            $0.vendor == device.vendor && $0.product == device.product
        }
        if ccid && !pcsc.isEmpty {
            let ids = pcsc.map(\.id)
            return .init(
                code: .nfcPCSCD,
                detail:
                    "\(name): pcscd/libccid drives it for reader \(ids.joined(separator: ", ")) (backend pcsc)"
                    + (device.drivers.contains("usbfs") ? ", and holds it now" : ""),
                readers: ids
            )
        }
        let backend: String
        switch (ccid, usbDriverKnows) {
        case (true, true): backend = "backend = \"pcsc\" (with pcscd) or \"usb\""
        case (true, false): backend = "backend = \"pcsc\" (with pcscd; gatewayd's USB driver does not know it)"
        default: backend = "backend = \"usb\" (pcscd's libccid does not drive it)"
        }
        return .init(
            code: .nfcNoReader,
            detail: "\(name), an NFC reader no reader takes: add [[reader]] kind = \"nfc\", \(backend)"
        )
    }

    /// A reader whose rule names this device (vendor, product or serial) but finds no node of
    /// its kind below it: the scanner is in another mode, or its driver is not loaded.
    static func ruleWithoutNode(_ device: USBDevice, readers: [GatewayConfig.Reader]) -> USBVerdict? {
        let usb = device.usbNode
        guard
            let r = readers.first(where: { r in
                guard let m = r.match, let s = r.subsystem, s != "usb" else { return false }
                return (m.vendor != nil || m.product != nil || m.serial != nil) && m.matches(usb)
            }), let subsystem = r.subsystem
        else { return nil }
        let noun =
            ["tty": "tty", "input": "input event device", "hidraw": "hidraw device", "video4linux": "video device"][
                subsystem
            ] ?? "\(subsystem) device"
        let hint: String
        if device.drivers.isEmpty {
            hint = "no driver is bound to its interfaces (\(interfaceSummary(device))): is the driver loaded?"
        } else if subsystem == "tty" && device.interfaces.contains(where: \.isBootKeyboard) {
            hint = "it is a HID keyboard: use kind = \"evdev\", or switch the scanner to its USB serial (USB-COM) mode"
        } else if subsystem != "tty" && isSerial(device) {
            hint = "it is a serial device (\(interfaceSummary(device))): use kind = \"serial\""
        } else {
            hint = "its interfaces: \(interfaceSummary(device))"
        }
        return .init(
            code: .ruleWithoutNode,
            detail: "reader \(r.id)'s rule (\(ruleText(r))) matches it, but it offers no \(noun): \(hint)"
        )
    }

    /// What the device is when no reader takes it, and what could read it.
    static func kindVerdict(_ device: USBDevice) -> USBVerdict {
        let ids = "[reader.match] vendor = \"\(hex4(device.vendor))\", product = \"\(hex4(device.product))\""
        let summary = interfaceSummary(device)
        func nodes(_ subsystem: String) -> [String] {
            device.nodes.filter { $0.subsystem == subsystem }.map(\.devnode)
        }
        func with(_ extra: [String]) -> String { extra.isEmpty ? "" : ", " + extra.joined(separator: ", ") }
        if device.interfaces.contains(where: \.isBootKeyboard) {
            return .init(
                code: .hidKeyboard,
                detail:
                    "HID keyboard that no reader rule matches (\(summary)\(with(nodes("input")))): a wedge scanner or badge"
                    + " reader is read with kind = \"evdev\" and \(ids)"
            )
        }
        if isSerial(device) {
            let what =
                serialChips[device.vendor].map { "\($0) serial adapter" }
                ?? (device.interfaces.contains { $0.interfaceClass == 2 } ? "CDC-ACM tty" : "USB serial device")
            let ttys = nodes("tty")
            let noTTY = ttys.isEmpty ? "; no tty yet\(device.drivers.isEmpty ? ": no driver is bound" : "")" : ""
            return .init(
                code: .serial,
                detail:
                    "\(what) (\(summary)\(with(ttys))): a serial reader? kind = \"serial\" with \(ids)"
                    + " or path = \"/dev/serial/by-id/…\"\(noTTY)"
            )
        }
        let hid = device.interfaces.filter { $0.interfaceClass == 3 }
        if !hid.isEmpty {
            if hid.allSatisfy(\.isBootMouse) {
                return .init(code: .hid, detail: "HID pointer (\(summary)): not a reader")
            }
            return .init(
                code: .hid,
                detail:
                    "HID device that no reader rule matches (\(summary)\(with(nodes("hidraw") + nodes("input")))):"
                    + " a HID POS scanner is read with kind = \"hidraw\" (one that types: \"evdev\") and \(ids)"
            )
        }
        if device.interfaces.contains(where: { $0.interfaceClass == 0x0E }) {
            return .init(
                code: .camera,
                detail:
                    "camera that no reader rule matches (\(summary)\(with(nodes("video4linux")))): kind = \"camera\""
                    + " scans codes in its frames"
            )
        }
        if !device.drivers.isEmpty {
            return .init(code: .other, detail: "\(summary): not a kind of reader gatewayd reads, and no rule")
        }
        return .init(code: .unclaimed, detail: "no driver and no rule (\(summary))")
    }

    static func isSerial(_ device: USBDevice) -> Bool {
        serialChips[device.vendor] != nil
            || device.interfaces.contains { $0.interfaceClass == 2 || $0.interfaceClass == 0x0A }
            || device.drivers.contains(where: serialDrivers.contains)
    }

    /// "HID boot keyboard → usbhid, HID → usbhid": each interface's class and driver.
    public static func interfaceSummary(_ device: USBDevice) -> String {
        guard !device.interfaces.isEmpty else { return "no active configuration" }
        return device.interfaces.map { "\($0.className) → \($0.driver ?? "no driver")" }.joined(separator: ", ")
    }

    /// "evdev, vendor 0627, product 0001": the reader's kind and rule.
    static func ruleText(_ r: GatewayConfig.Reader) -> String {
        let kind: String
        switch r.kind {
        case .line: kind = "line"
        case .serial: kind = "serial"
        case .evdev: kind = "evdev"
        case .hidraw: kind = "hidraw"
        case .camera: kind = "camera"
        case .nfc(let n):
            if case .usb = n.backend { kind = "nfc usb" } else { kind = "nfc pcsc" }
        }
        let rule = ReaderSelection.describeRule(r)
        return rule.isEmpty ? kind : "\(kind), \(rule)"
    }
}
