/// A tag found by an ISO 14443A poll: its UID (4, 7 or 10 bytes: single, double or triple size),
/// ATQA, SAK and, for an ISO-DEP card, its ATS.
public struct ISO14443ATarget: Sendable, Hashable {
    public var uid: [UInt8]
    public var atqa: UInt16
    public var sak: UInt8
    public var ats: [UInt8]?
    /// The chip's logical number for the target (Tg, 1 or 2), which InDataExchange addresses.
    public var number: UInt8

    public init(uid: [UInt8], atqa: UInt16, sak: UInt8, ats: [UInt8]? = nil, number: UInt8 = 1) {
        self.uid = uid
        self.atqa = atqa
        self.sak = sak
        self.ats = ats
        self.number = number
    }

    /// The tag type from ATQA and SAK alone; a Type 2 tag is refined by its GET_VERSION answer.
    public var type: NFCTagType {
        NFCTagType.identify(atqa: atqa, sak: sak)
    }

    /// Reads the parameters of a PN53x InListPassiveTarget answer (`D5 4B` + these) for 106 kbps
    /// type A: the number of targets, then for each `Tg ATQA(2) SAK UIDlength UID` and, when SAK
    /// says ISO-DEP, the ATS whose first byte is its own length. No target is an empty list.
    public static func parseInListPassiveTarget(
        _ parameters: [UInt8]
    ) throws(ISO14443ATargetError) -> [ISO14443ATarget] {
        guard let count = parameters.first else { throw .truncated }
        guard count <= 2 else { throw .tooManyTargets(Int(count)) }
        var targets: [ISO14443ATarget] = []
        var i = 1
        for _ in 0..<count {
            guard i + 5 <= parameters.count else { throw .truncated }
            let atqa = UInt16(parameters[i + 1]) << 8 | UInt16(parameters[i + 2])
            let sak = parameters[i + 3]
            let uidLength = Int(parameters[i + 4])
            guard [4, 7, 10].contains(uidLength) else { throw .badUIDLength(uidLength) }
            i += 5
            guard i + uidLength <= parameters.count else { throw .truncated }
            var target = ISO14443ATarget(
                uid: Array(parameters[i..<i + uidLength]),
                atqa: atqa,
                sak: sak,
                number: parameters[i - 5]
            )
            i += uidLength
            if sak & 0x20 != 0 {
                guard i < parameters.count else { throw .truncated }
                let atsLength = Int(parameters[i])
                guard atsLength >= 1 else { throw .badATSLength }
                guard i + atsLength <= parameters.count else { throw .truncated }
                target.ats = Array(parameters[i..<i + atsLength])
                i += atsLength
            }
            targets.append(target)
        }
        guard i == parameters.count else { throw .trailingBytes(parameters.count - i) }
        return targets
    }
}
