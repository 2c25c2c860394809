/// What a `[reader.match]` rule selects: a USB vendor:product, a USB serial number, a name
/// pattern — every given part must hold. Pure, so `--probe` can say why a device did not match.
public struct DeviceMatch: Sendable, Equatable {
    public var vendor: UInt16?
    public var product: UInt16?
    public var serial: String?
    /// Shell-style glob (`*`, `?`) over the device's name (evdev name, USB product string).
    public var name: String?

    public init(vendor: UInt16? = nil, product: UInt16? = nil, serial: String? = nil, name: String? = nil) {
        self.vendor = vendor
        self.product = product
        self.serial = serial
        self.name = name
    }

    public var isEmpty: Bool { vendor == nil && product == nil && serial == nil && name == nil }

    /// nil when the device matches, otherwise the first reason it does not.
    public func mismatch(_ d: DeviceDescription) -> String? {
        if let v = vendor, d.vendor != v { return "vendor \(d.vendor.map(hex4) ?? "unknown") is not \(hex4(v))" }
        if let p = product, d.product != p { return "product \(d.product.map(hex4) ?? "unknown") is not \(hex4(p))" }
        if let s = serial, d.serial != s { return "serial \(d.serial ?? "none") is not \(s)" }
        if let n = name, !Glob.matches(n, d.name ?? "") { return "name '\(d.name ?? "")' does not match '\(n)'" }
        return nil
    }

    public func matches(_ d: DeviceDescription) -> Bool { mismatch(d) == nil }
}

/// A device as the kernel and udev describe it, gathered by the edge from sysfs.
public struct DeviceDescription: Sendable, Equatable {
    public var devnode: String
    public var subsystem: String
    public var vendor: UInt16?
    public var product: UInt16?
    public var serial: String?
    public var name: String?
    /// udev's symlinks (/dev/serial/by-id/…, /dev/gatewayd/…).
    public var links: [String]
    /// The kernel driver bound nearest the node (usbhid, cdc_acm, ftdi_sio, uvcvideo…).
    public var driver: String?

    public init(
        devnode: String,
        subsystem: String,
        vendor: UInt16? = nil,
        product: UInt16? = nil,
        serial: String? = nil,
        name: String? = nil,
        links: [String] = [],
        driver: String? = nil
    ) {
        self.devnode = devnode
        self.subsystem = subsystem
        self.vendor = vendor
        self.product = product
        self.serial = serial
        self.name = name
        self.links = links
        self.driver = driver
    }
}

/// A USB vendor or product id as lsusb prints it (4 lower-case hex digits).
public func hex4(_ v: UInt16) -> String { String(v, radix: 16).leftPadded(to: 4) }

/// A byte as two lower-case hex digits (a USB endpoint address, `0x81`).
public func hex2(_ v: UInt8) -> String { String(v, radix: 16).leftPadded(to: 2) }
