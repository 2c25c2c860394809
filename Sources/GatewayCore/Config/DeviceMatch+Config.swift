extension DeviceMatch {
    /// `[reader.match]`: a rule that selects a reader's devices as they appear.
    public static func parse(_ s: ConfigSection) throws(ConfigError) -> DeviceMatch {
        var m = DeviceMatch()
        m.vendor = try usbID(s, "vendor")
        m.product = try usbID(s, "product")
        m.serial = try s.string("serial")
        m.name = try s.string("name")
        try s.finish()
        guard !m.isEmpty else {
            throw .invalid(
                key: s.path,
                problem: "empty rule",
                fix: "give at least one of vendor, product, serial, name"
            )
        }
        return m
    }

    /// A USB vendor or product id as lsusb shows it ("05e0" or "0x05e0").
    private static func usbID(_ s: ConfigSection, _ k: String) throws(ConfigError) -> UInt16? {
        guard let text = try s.string(k) else { return nil }
        let digits = text.lowercased().hasPrefix("0x") ? String(text.dropFirst(2)) : text
        guard digits.count == 4, let v = UInt16(digits, radix: 16) else {
            throw .invalid(
                key: s.key(k),
                problem: "'\(text)' is not a 4-digit hex USB id",
                fix: "write it as lsusb shows it, e.g. \(k) = \"05e0\""
            )
        }
        return v
    }
}
