/// A HID report descriptor (USB HID 1.11 §6.2.2), reduced to what gatewayd needs: the input
/// fields of each report — usage page, usages, bit offset, size and count — and the usage pages
/// of the application collections, to recognise a Bar Code Scanner (page 0x8C).
public struct HIDReportDescriptor: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public var reportID: UInt8
        public var usagePage: UInt16
        /// One usage per element, or fewer (the last repeats, §6.2.2.8).
        public var usages: [UInt32]
        /// Offset in bits from the start of the report's data (after the report id byte).
        public var bitOffset: Int
        public var bitSize: Int
        public var count: Int
        public var isConstant: Bool

        public func usage(at i: Int) -> UInt32? { usages.isEmpty ? nil : usages[min(i, usages.count - 1)] }
    }

    public var inputFields: [Field] = []
    /// (usage page, usage) of each top-level application collection.
    public var applications: [(page: UInt16, usage: UInt32)] = []
    public var usesReportIDs = false

    public static func == (a: Self, b: Self) -> Bool {
        a.inputFields == b.inputFields && a.usesReportIDs == b.usesReportIDs
            && a.applications.map(\.page) == b.applications.map(\.page)
            && a.applications.map(\.usage) == b.applications.map(\.usage)
    }

    public enum ParseError: Error, Equatable {
        case truncated(at: Int)
        case longItemsUnsupported(at: Int)
        case unbalancedCollections
        case tooLarge
    }

    public init(bytes: [UInt8]) throws(ParseError) {
        guard bytes.count <= 4096 else { throw .tooLarge }
        struct Globals {
            var page: UInt16 = 0
            var size = 0
            var count = 0
            var reportID: UInt8 = 0
        }
        var g = Globals()
        var stack: [Globals] = []
        var usages: [UInt32] = []
        var usageMin: UInt32?
        var depth = 0
        var offsets: [UInt8: Int] = [:]
        var i = 0
        while i < bytes.count {
            let prefix = bytes[i]
            if prefix == 0xFE { throw .longItemsUnsupported(at: i) }
            let sizeCode = Int(prefix & 0x03)
            let size = sizeCode == 3 ? 4 : sizeCode
            guard i + 1 + size <= bytes.count else { throw .truncated(at: i) }
            var value: UInt32 = 0
            for k in 0..<size { value |= UInt32(bytes[i + 1 + k]) << (8 * k) }
            let type = (prefix >> 2) & 0x03
            let tag = prefix >> 4
            i += 1 + size
            func fullUsage(_ v: UInt32) -> (UInt16, UInt32) {
                size == 4 ? (UInt16(v >> 16), v & 0xFFFF) : (g.page, v)
            }
            switch (type, tag) {
            case (0, 0x8):  // Input
                let isConst = value & 0x01 != 0
                let bits = g.size * g.count
                let start = offsets[g.reportID, default: 0]
                var page = g.page
                var list = usages.map { u -> UInt32 in u }
                if let first = list.first, first > 0xFFFF {
                    page = UInt16(first >> 16)
                    list = list.map { $0 & 0xFFFF }
                }
                inputFields.append(
                    Field(
                        reportID: g.reportID,
                        usagePage: page,
                        usages: list,
                        bitOffset: start,
                        bitSize: g.size,
                        count: g.count,
                        isConstant: isConst
                    )
                )
                offsets[g.reportID] = start + bits
                usages.removeAll()
                usageMin = nil
            case (0, 0x9), (0, 0xB):  // Output, Feature: no input bits
                usages.removeAll()
                usageMin = nil
            case (0, 0xA):  // Collection
                if depth == 0 && value == 0x01, let u = usages.first {
                    let (p, id) = u > 0xFFFF ? (UInt16(u >> 16), u & 0xFFFF) : (g.page, u)
                    applications.append((p, id))
                }
                depth += 1
                usages.removeAll()
                usageMin = nil
            case (0, 0xC):  // End Collection
                depth -= 1
                guard depth >= 0 else { throw .unbalancedCollections }
            case (1, 0x0): g.page = UInt16(truncatingIfNeeded: value)
            case (1, 0x7): g.size = Int(value)
            case (1, 0x8):
                g.reportID = UInt8(truncatingIfNeeded: value)
                usesReportIDs = true
            case (1, 0x9): g.count = Int(min(value, 65_535))
            case (1, 0xA): stack.append(g)
            case (1, 0xB): if let top = stack.popLast() { g = top }
            case (2, 0x0):
                let (p, u) = fullUsage(value)
                usages.append(p == g.page && size != 4 ? u : (UInt32(p) << 16 | u))
            case (2, 0x1): usageMin = value
            case (2, 0x2):
                if let lo = usageMin, value >= lo, value - lo < 1024 {
                    usages.append(contentsOf: (lo...value).map { $0 })
                }
                usageMin = nil
            default:
                break  // logical/physical ranges, units, designators, strings, delimiters
            }
        }
        guard depth == 0 else { throw .unbalancedCollections }
    }

    /// True when a top-level collection or an input field is on the Bar Code Scanner page.
    public var isBarcodeScanner: Bool {
        applications.contains { $0.page == HIDPOS.usagePage }
            || inputFields.contains { $0.usagePage == HIDPOS.usagePage }
    }
}
