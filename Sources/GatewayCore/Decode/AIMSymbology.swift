/// AIM symbology identifiers (ISO/IEC 15424): `]` + a code character + a modifier, sent by a
/// scanner before the data when it is programmed to, or reported by HID POS and zbar.
public struct AIMSymbology: Sendable, Equatable {
    public var id: String
    public var name: String
    /// The data is a GS1 element string (FNC1 in first position).
    public var isGS1: Bool
    /// The data is a GTIN of an EAN/UPC symbol.
    public var isEANUPC: Bool

    static let names: [Character: String] = [
        "A": "Code 39", "C": "Code 128", "d": "Data Matrix", "E": "EAN/UPC", "e": "GS1 DataBar",
        "F": "Codabar", "G": "Code 93", "I": "ITF", "J": "DotCode", "L": "PDF417", "Q": "QR Code",
        "z": "Aztec", "X": "other",
    ]

    public init?(_ id: String) {
        let c = Array(id)
        guard c.count == 3, c[0] == "]", let name = Self.names[c[1]] else { return nil }
        self.id = id
        let gs1Ids: Set<String> = ["]C1", "]e0", "]d2", "]Q3", "]J1", "]z1"]
        isGS1 = gs1Ids.contains(id)
        isEANUPC = c[1] == "E"
        switch id {
        case "]C1": self.name = "GS1-128"
        case "]d2": self.name = "GS1 DataMatrix"
        case "]Q3": self.name = "GS1 QR Code"
        case "]E4": self.name = "EAN-8"
        case "]E0": self.name = "EAN-13/UPC-A"
        default: self.name = name
        }
    }

    /// Splits a leading AIM identifier off scanned bytes, if there is one.
    public static func split(_ bytes: [UInt8]) -> (AIMSymbology?, [UInt8]) {
        guard bytes.count >= 3, bytes[0] == UInt8(ascii: "]"),
            let aim = AIMSymbology(String(decoding: bytes[0..<3], as: UTF8.self))
        else { return (nil, bytes) }
        return (aim, Array(bytes.dropFirst(3)))
    }
}
