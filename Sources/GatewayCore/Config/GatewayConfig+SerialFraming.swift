extension GatewayConfig {
    /// `[[reader]] framing` of a serial reader: where one scan ends in its byte stream.
    public enum SerialFraming: Sendable, Equatable {
        case lines
        case em4100
        case stxEtx(BinaryFramer.Options)

        /// `framing` and, for "stx-etx", its keys (`stx`, `etx`, `length_byte`, `checksum`,
        /// `max_frame`) of a `[[reader]]` table; defaults in `BinaryFramer.Options`.
        public static func parse(_ r: ConfigSection) throws(ConfigError) -> SerialFraming {
            let name = try r.string("framing", default: "line")
            switch name {
            case "line": return .lines
            case "em4100": return .em4100
            case "stx-etx":
                var o = BinaryFramer.Options()
                o.stx = UInt8(try r.int("stx", default: Int(o.stx), range: 0...255))
                o.etx = UInt8(try r.int("etx", default: Int(o.etx), range: 0...255))
                o.lengthByte = try r.bool("length_byte", default: o.lengthByte)
                let cs = try r.string("checksum", default: o.checksum.rawValue)
                guard let c = BinaryFramer.Checksum(rawValue: cs) else {
                    throw .invalid(
                        key: r.key("checksum"),
                        problem: "unknown checksum '\(cs)'",
                        fix: "use one of \(BinaryFramer.Checksum.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                o.checksum = c
                o.maxLength = try r.int("max_frame", default: o.maxLength, range: 1...65_536)
                return .stxEtx(o)
            default:
                throw .invalid(
                    key: r.key("framing"),
                    problem: "unknown framing '\(name)'",
                    fix: "use \"line\", \"em4100\" or \"stx-etx\""
                )
            }
        }
    }
}
