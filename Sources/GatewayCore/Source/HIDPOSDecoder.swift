/// Usages of the HID Point of Sale Usage Tables 1.02, Bar Code Scanner page (0x8C), that a
/// scanned-data report carries.
public enum HIDPOS {
    public static let usagePage: UInt16 = 0x8C
    public static let barCodeScanner: UInt32 = 0x02
    public static let scannedDataReport: UInt32 = 0x12
    public static let symbologyIdentifier1: UInt32 = 0xFB
    public static let symbologyIdentifier2: UInt32 = 0xFC
    public static let symbologyIdentifier3: UInt32 = 0xFD
    public static let decodedData: UInt32 = 0xFE
    public static let decodeDataContinued: UInt32 = 0xFF
}

/// Decodes HID POS scanned-data input reports from a hidraw node into scans with their AIM
/// symbology identifier, joining data that the scanner spread over several reports.
///
/// The field positions come from the device's report descriptor: the three symbology
/// identifier bytes (0xFB–0xFD), the decoded data (0xFE) and the "decode data continued" flag
/// (0xFF). A byte-sized field right before the symbology identifier, where scanners put the
/// number of valid data bytes, is taken as the length; without it trailing NULs are trimmed.
public struct HIDPOSDecoder: Sendable {
    public struct Layout: Sendable, Equatable {
        public var reportID: UInt8
        public var usesReportIDs: Bool
        public var lengthBit: Int?
        public var symbologyBits: [Int]
        public var dataBit: Int
        public var dataBytes: Int
        public var continuedBit: Int?

        public init(
            reportID: UInt8,
            usesReportIDs: Bool,
            lengthBit: Int?,
            symbologyBits: [Int],
            dataBit: Int,
            dataBytes: Int,
            continuedBit: Int?
        ) {
            self.reportID = reportID
            self.usesReportIDs = usesReportIDs
            self.lengthBit = lengthBit
            self.symbologyBits = symbologyBits
            self.dataBit = dataBit
            self.dataBytes = dataBytes
            self.continuedBit = continuedBit
        }
    }

    public enum Output: Sendable, Equatable {
        case scan(bytes: [UInt8], symbology: String?)
        case overlong(length: Int)
    }

    public let layout: Layout
    public let maxLength: Int
    private var pending: [UInt8] = []
    private var pendingSymbology: String?
    private var overlong = false
    public private(set) var ignoredReports = 0

    public enum LayoutError: Error, Equatable, CustomStringConvertible {
        case notABarcodeScanner
        case noDecodedDataField
        public var description: String {
            switch self {
            case .notABarcodeScanner:
                return "the report descriptor has no Bar Code Scanner (usage page 0x8C) collection"
            case .noDecodedDataField: return "the report descriptor has no Decoded Data (0x8C:0xFE) input field"
            }
        }
    }

    public init(descriptor: HIDReportDescriptor, maxLength: Int = 4096) throws(LayoutError) {
        guard descriptor.isBarcodeScanner else { throw .notABarcodeScanner }
        let fields = descriptor.inputFields
        guard
            let data = fields.first(where: {
                $0.usagePage == HIDPOS.usagePage && $0.usages.contains(HIDPOS.decodedData) && $0.bitSize == 8
            })
        else {
            throw .noDecodedDataField
        }
        let sameReport = fields.filter { $0.reportID == data.reportID }
        var symBits: [Int] = []
        for f in sameReport where f.usagePage == HIDPOS.usagePage && f.bitSize == 8 {
            for k in 0..<f.count {
                if let u = f.usage(at: k), (HIDPOS.symbologyIdentifier1...HIDPOS.symbologyIdentifier3).contains(u) {
                    symBits.append(f.bitOffset + 8 * k)
                }
            }
        }
        let firstSym = symBits.min() ?? data.bitOffset
        let lengthField = sameReport.last(where: {
            $0.bitOffset + $0.bitSize * $0.count == firstSym && $0.bitSize == 8 && !$0.isConstant
        })
        let continued = sameReport.first {
            $0.usagePage == HIDPOS.usagePage && $0.usages.contains(HIDPOS.decodeDataContinued)
        }
        layout = Layout(
            reportID: data.reportID,
            usesReportIDs: descriptor.usesReportIDs,
            lengthBit: lengthField.map { $0.bitOffset + 8 * ($0.count - 1) },
            symbologyBits: symBits.sorted(),
            dataBit: data.bitOffset,
            dataBytes: data.count,
            continuedBit: continued?.bitOffset
        )
        self.maxLength = maxLength
    }

    /// Feeds one report as read(2) returns it from hidraw (with the report id byte first when
    /// the device uses report ids).
    public mutating func feed(report: [UInt8]) -> [Output] {
        var body = report[...]
        if layout.usesReportIDs {
            guard body.first == layout.reportID else {
                ignoredReports += 1
                return []
            }
            body = body.dropFirst()
        }
        let bytes = Array(body)
        func byte(atBit b: Int) -> UInt8? { b % 8 == 0 && b / 8 < bytes.count ? bytes[b / 8] : nil }
        guard layout.dataBit / 8 + layout.dataBytes <= bytes.count else {
            ignoredReports += 1
            return []
        }
        var data = Array(bytes[layout.dataBit / 8..<layout.dataBit / 8 + layout.dataBytes])
        if let lb = layout.lengthBit, let n = byte(atBit: lb) {
            data = Array(data.prefix(Int(n)))
        } else {
            while data.last == 0 { data.removeLast() }
        }
        if pendingSymbology == nil {
            let sym = layout.symbologyBits.compactMap { byte(atBit: $0) }.filter { $0 != 0 }
            if !sym.isEmpty { pendingSymbology = String(decoding: sym, as: UTF8.self) }
        }
        if !overlong {
            if pending.count + data.count > maxLength {
                overlong = true
            } else {
                pending += data
            }
        }
        let more: Bool = {
            guard let cb = layout.continuedBit, cb / 8 < bytes.count else { return false }
            return bytes[cb / 8] & (1 << UInt8(cb % 8)) != 0
        }()
        if more { return [] }
        defer {
            pending.removeAll(keepingCapacity: true)
            pendingSymbology = nil
            overlong = false
        }
        if overlong { return [.overlong(length: maxLength + 1)] }
        if pending.isEmpty { return [] }
        return [.scan(bytes: pending, symbology: pendingSymbology)]
    }
}
