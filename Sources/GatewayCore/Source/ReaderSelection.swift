/// Whether a reader takes a device: the one rule the reader supervisor applies and the probe
/// explains. A reader with a `path` takes the device that path leads to (a by-id symlink is
/// resolved by the caller, as it changes on replug); with a `[reader.match]` rule the device
/// must also match it. Pure, so `--probe` can say why a device was passed over.
public enum ReaderSelection {
    /// nil when `reader` takes `device`; otherwise the first reason it does not.
    /// - Parameter resolvedPath: `reader.path` resolved to a device node, nil if it leads nowhere.
    public static func whyNot(
        _ reader: GatewayConfig.Reader,
        _ device: DeviceDescription,
        resolvedPath: String?
    ) -> String? {
        guard let subsystem = reader.subsystem else {
            return "a line reader reads \(reader.path ?? "a FIFO"), not a device"
        }
        guard device.subsystem == subsystem else { return "subsystem \(device.subsystem) is not \(subsystem)" }
        if let path = reader.path {
            guard resolvedPath == device.devnode || device.links.contains(path) else {
                return resolvedPath.map { "path \(path) leads to \($0)" } ?? "path \(path) does not exist"
            }
        }
        if let m = reader.match {
            return m.mismatch(device)
        }
        if case .nfc = reader.kind, reader.path == nil {
            // Without a rule, the USB backend takes the readers its driver knows.
            let known = GatewayConfig.Reader.NFC.usbDevices.contains {
                $0.vendor == device.vendor && $0.product == device.product
            }
            return known
                ? nil
                : "\(device.vendor.map(hex4) ?? "????"):\(device.product.map(hex4) ?? "????") is not an NFC reader gatewayd's USB driver knows"
        }
        return reader.path == nil ? "the reader has neither path nor [reader.match]" : nil
    }

    /// The reader's rule as a technician would write it, for the probe's table.
    public static func describeRule(_ reader: GatewayConfig.Reader) -> String {
        var parts: [String] = []
        if let p = reader.path { parts.append("path \(p)") }
        if let m = reader.match {
            if let v = m.vendor { parts.append("vendor \(hex4(v))") }
            if let p = m.product { parts.append("product \(hex4(p))") }
            if let s = m.serial { parts.append("serial \(s)") }
            if let n = m.name { parts.append("name '\(n)'") }
        }
        if parts.isEmpty, case .nfc(let n) = reader.kind, case .usb = n.backend {
            return "the USB ids its driver knows"
        }
        return parts.joined(separator: ", ")
    }

    /// What the reader must be able to do with its device node: evdev and hidraw are read
    /// (an evdev grab is an ioctl on a read-only descriptor); a serial port or camera is opened
    /// read-write (termios and V4L2 buffer ioctls need it).
    public static func needs(_ reader: GatewayConfig.Reader) -> String {
        switch reader.kind {
        case .evdev, .hidraw, .line: return "r"
        case .serial, .camera, .nfc: return "rw"
        }
    }
}
