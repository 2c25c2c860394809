extension ProbeCheck {
    /// The `usb bus` check's facts: every device libusb lists, each with its verdict.
    public struct USBBusFacts: Codable, Sendable, Equatable {
        public var devices: [USBDeviceFacts]

        public init(devices: [USBDeviceFacts]) { self.devices = devices }
    }

    public struct USBDeviceFacts: Codable, Sendable, Equatable {
        public var bus: Int
        public var address: Int
        /// The kernel's name under /sys/bus/usb/devices ("1-1.2", "usb1" for a root hub).
        public var portPath: String
        /// vendor:product as lsusb prints it.
        public var usb: String
        public var deviceClass: Int
        public var manufacturer: String?
        public var product: String?
        public var serial: String?
        public var interfaces: [USBInterfaceFacts]
        /// Device nodes below it (tty, evdev, hidraw, video).
        public var nodes: [String]
        public var verdict: USBVerdict.Code
        public var detail: String
        /// The configured readers that take it.
        public var readers: [String]

        enum CodingKeys: String, CodingKey {
            case bus, address, usb, manufacturer, product, serial, interfaces, nodes, verdict, detail, readers
            case portPath = "port_path"
            case deviceClass = "device_class"
        }

        public init(_ d: USBDevice, verdict v: USBVerdict) {
            bus = Int(d.bus)
            address = Int(d.address)
            portPath = d.sysfsName
            usb = d.ids
            deviceClass = Int(d.deviceClass)
            manufacturer = d.manufacturer
            product = d.productName
            serial = d.serial
            interfaces = d.interfaces.map(USBInterfaceFacts.init)
            nodes = d.nodes.map(\.devnode)
            verdict = v.code
            detail = v.detail
            readers = v.readers
        }
    }

    public struct USBInterfaceFacts: Codable, Sendable, Equatable {
        public var number: Int
        public var interfaceClass: Int
        public var subclass: Int
        public var interfaceProtocol: Int
        public var className: String
        /// The kernel driver bound to it; absent when none is.
        public var driver: String?

        enum CodingKeys: String, CodingKey {
            case number, subclass, driver
            case interfaceClass = "class"
            case interfaceProtocol = "protocol"
            case className = "class_name"
        }

        public init(_ i: USBDevice.Interface) {
            number = Int(i.number)
            interfaceClass = Int(i.interfaceClass)
            subclass = Int(i.subclass)
            interfaceProtocol = Int(i.interfaceProtocol)
            className = i.className
            driver = i.driver
        }
    }

    /// The check's name in the table and in `--json`.
    public static let usbBusName = "usb bus"

    /// The `usb bus` check over the devices the edge listed: a line per device with its verdict,
    /// a warning when a verdict needs attention (an NFC reader held by the kernel, a reader rule
    /// that names a device without the node it reads).
    public static func usbBus(
        _ devices: [USBDevice],
        readers: [GatewayConfig.Reader],
        resolvedPaths: [String: String] = [:]
    ) -> ProbeCheck {
        let sorted = devices.sorted { a, b in
            a.bus != b.bus ? a.bus < b.bus : a.ports.lexicographicallyPrecedes(b.ports)
        }
        let judged = sorted.map { ($0, USBVerdict.of($0, readers: readers, resolvedPaths: resolvedPaths)) }
        let taken = judged.filter { $0.1.code == .reader }.count
        let attention = judged.filter { $0.1.needsAttention }
        var detail = "\(devices.count) USB device\(devices.count == 1 ? "" : "s")"
        if !devices.isEmpty {
            detail += ", \(taken) taken by readers"
            if !attention.isEmpty {
                detail +=
                    "; \(attention.count) need\(attention.count == 1 ? "s" : "") attention: "
                    + attention.map { "\($0.0.sysfsName) \($0.0.ids)" }.joined(separator: ", ")
            }
        }
        let lines = judged.map { d, v in
            var l = "\(d.sysfsName) \(d.ids)"
            if let n = d.name { l += " '\(n)'" }
            if let s = d.serial { l += " serial \(s)" }
            if !d.isHub { l += " [\(USBVerdict.interfaceSummary(d))]" }
            return l + " — \(v.detail)"
        }
        var check = ProbeCheck(
            name: usbBusName,
            status: attention.isEmpty ? .ok : .warn,
            detail: detail,
            lines: lines.isEmpty ? nil : lines
        )
        check.usb = USBBusFacts(devices: judged.map { USBDeviceFacts($0.0, verdict: $0.1) })
        return check
    }
}
