/// What a scan decodes to: the symbology it came in and one typed model of its content.
public struct DecodedTag: Sendable, Equatable, Codable {
    public enum Format: String, Sendable, Codable {
        case gs1
        case gs1DigitalLink = "gs1-digital-link"
        case gtin, epc, em4100, wiegand, ndef, text, binary
    }
    public var format: Format
    public var symbology: String?
    public var symbologyName: String?
    public var gs1: [GS1Element]?
    public var epc: EPCIdentity?
    public var badge: BadgeID?
    public var ndef: [NDEFRecord]?

    enum CodingKeys: String, CodingKey {
        case format, symbology, gs1, epc, badge, ndef
        case symbologyName = "symbology_name"
    }

    public init(format: Format, symbology: AIMSymbology? = nil) {
        self.format = format
        self.symbology = symbology?.id
        self.symbologyName = symbology?.name
    }
}

/// A scan that claims a format and fails its checks: a misread (damaged or partly read label),
/// reported with the reason and never passed off as a valid tag.
public struct Misread: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    public var format: String
    public var reason: String
    public var description: String { "\(format): \(reason)" }

    public init(format: String, reason: String) {
        self.format = format
        self.reason = reason
    }
}

/// Decodes scans: AIM symbology, GS1 element strings and Digital Link URIs, EAN/UPC GTINs,
/// EPC binary from UHF readers, EM4100 and Wiegand badge ids, NDEF messages; anything else is
/// text (or binary). A reader's `decode` hint says what its bytes are when the bytes cannot.
public struct TagDecoder: Sendable {
    public enum Hint: String, Sendable, CaseIterable {
        case auto, gs1, epc, em4100, wiegand, ndef, text
    }

    public let referenceYear: Int

    public init(referenceYear: Int) {
        self.referenceYear = referenceYear
    }

    public func decode(
        _ raw: [UInt8],
        symbology reported: String? = nil,
        hint: Hint = .auto
    ) -> Result<DecodedTag, Misread> {
        var aim = reported.flatMap(AIMSymbology.init)
        var bytes = raw
        if aim == nil {
            let (a, rest) = AIMSymbology.split(raw)
            if let a {
                aim = a
                bytes = rest
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            switch hint {
            case .ndef: return ndef(bytes, aim)
            case .epc: return epcBytes(bytes, aim)
            default: break
            }
            // Binary from an RFID reader: an EPC (12 bytes for the 96-bit schemes, 25 for
            // SGTIN-198) or an NDEF message (first record has MB set and a TNF of 1…4).
            if let h = bytes.first, (0x30...0x36).contains(h), h != 0x35, bytes.count == 12 || bytes.count == 25 {
                return epcBytes(bytes, aim)
            }
            if let h = bytes.first, h & 0x80 != 0, (1...4).contains(h & 0x07), case .success(let d) = ndef(bytes, aim) {
                return .success(d)
            }
            return .success(DecodedTag(format: .binary, symbology: aim))
        }
        switch hint {
        case .gs1: return gs1(text, aim)
        case .epc: return epc(text, aim)
        case .em4100: return badge(aim, .em4100) { () throws(BadgeIDError) in try BadgeIDs.em4100(text) }
        case .wiegand: return badge(aim, .wiegand) { () throws(BadgeIDError) in try BadgeIDs.wiegand(text: text) }
        case .ndef:
            guard let b = Hex.bytes(text) else { return .failure(Misread(format: "ndef", reason: "not hexadecimal")) }
            return ndef(b, aim)
        case .text: return .success(DecodedTag(format: .text, symbology: aim))
        case .auto: break
        }
        if let aim, aim.isGS1 { return gs1(text, aim) }
        if let aim, aim.isEANUPC { return gtin(text, aim) }
        if GS1DigitalLink.looksLikeDigitalLink(text) {
            do {
                var d = DecodedTag(format: .gs1DigitalLink, symbology: aim)
                d.gs1 = try GS1DigitalLink.parse(text, referenceYear: referenceYear)
                return .success(d)
            } catch .noPrimaryKey {
                return .success(DecodedTag(format: .text, symbology: aim))
            } catch {
                return .failure(Misread(format: "gs1-digital-link", reason: error.description))
            }
        }
        if text.first == "(" && text.dropFirst().prefix(2).allSatisfy(\.isNumber) { return gs1(text, aim) }
        if text.contains(GS1ElementString.groupSeparator) && text.prefix(2).allSatisfy(\.isNumber) {
            return gs1(text, aim)
        }
        if text.hasPrefix("W26:") || text.hasPrefix("W34:") {
            return badge(aim, .wiegand) { () throws(BadgeIDError) in try BadgeIDs.wiegand(text: text) }
        }
        if text.count == 24 || text.count == 52, text.allSatisfy(\.isHexDigit), let h = Hex.bytes(text),
            (0x30...0x36).contains(h[0]), h[0] != 0x35
        {
            return epc(text, aim)
        }
        if [8, 12, 13, 14].contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }),
            GS1ElementString.isValidKey(text)
        {
            return gtin(text, aim)
        }
        return .success(DecodedTag(format: .text, symbology: aim))
    }

    /// Runs one decoder: its result fills the model; its typed error becomes a misread.
    func attempt<E: Error & CustomStringConvertible>(
        _ format: DecodedTag.Format,
        _ aim: AIMSymbology?,
        _ fill: (inout DecodedTag) throws(E) -> Void
    ) -> Result<DecodedTag, Misread> {
        var d = DecodedTag(format: format, symbology: aim)
        do {
            try fill(&d)
            return .success(d)
        } catch {
            return .failure(Misread(format: format.rawValue, reason: error.description))
        }
    }

    func gs1(_ text: String, _ aim: AIMSymbology?) -> Result<DecodedTag, Misread> {
        attempt(.gs1, aim) { (d: inout DecodedTag) throws(GS1Error) in
            d.gs1 = try GS1ElementString.parse(text, referenceYear: referenceYear)
        }
    }

    func gtin(_ text: String, _ aim: AIMSymbology?) -> Result<DecodedTag, Misread> {
        guard GS1ElementString.isValidKey(text), [8, 12, 13, 14].contains(text.count) else {
            return .failure(Misread(format: "gtin", reason: "check digit or length of the EAN/UPC number is wrong"))
        }
        var d = DecodedTag(format: .gtin, symbology: aim)
        let g14 = String(repeating: "0", count: 14 - text.count) + text
        d.gs1 = [GS1Element(ai: "01", title: "GTIN", value: g14)]
        return .success(d)
    }

    func epc(_ text: String, _ aim: AIMSymbology?) -> Result<DecodedTag, Misread> {
        attempt(.epc, aim) { (d: inout DecodedTag) throws(EPCError) in d.epc = try EPCDecoder.decode(hex: text) }
    }

    func epcBytes(_ bytes: [UInt8], _ aim: AIMSymbology?) -> Result<DecodedTag, Misread> {
        attempt(.epc, aim) { (d: inout DecodedTag) throws(EPCError) in d.epc = try EPCDecoder.decode(bytes: bytes) }
    }

    func badge(
        _ aim: AIMSymbology?,
        _ format: DecodedTag.Format,
        _ f: () throws(BadgeIDError) -> BadgeID
    ) -> Result<DecodedTag, Misread> {
        attempt(format, aim) { (d: inout DecodedTag) throws(BadgeIDError) in d.badge = try f() }
    }

    /// An NDEF message whose first URI record is a GS1 Digital Link decodes as that Digital Link
    /// (its records kept alongside), so a tagged object classifies like one with a printed code.
    func ndef(_ bytes: [UInt8], _ aim: AIMSymbology?) -> Result<DecodedTag, Misread> {
        let parsed = attempt(.ndef, aim) { (d: inout DecodedTag) throws(NDEFError) in
            d.ndef = try NDEFMessage.parse(bytes)
        }
        guard case .success(var d) = parsed, let uri = d.ndef?.lazy.compactMap(\.uri).first,
            GS1DigitalLink.looksLikeDigitalLink(uri)
        else { return parsed }
        do {
            d.gs1 = try GS1DigitalLink.parse(uri, referenceYear: referenceYear)
            d.format = .gs1DigitalLink
        } catch .noPrimaryKey {
            // A web address that only resembles a Digital Link: an ordinary URI record.
        } catch {
            return .failure(Misread(format: "gs1-digital-link", reason: error.description))
        }
        return .success(d)
    }
}
