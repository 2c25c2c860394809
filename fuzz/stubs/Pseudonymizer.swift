// Fuzz-only stand-in for GatewayCore's Pseudonymizer (which needs swift-crypto, not available
// to a bare swiftc build): same API and output shape, FNV-1a instead of HMAC. The fuzz target
// tests the redactor's logic, not the MAC.
public struct Pseudonymizer: Sendable {
    public static let prefix = "pn:"
    public init(keyBytes: some Collection<UInt8>) {}
    public func pseudonym(for value: String, kind: PersonalDataKind?) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in value.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Self.prefix
            + Hex.string(
                withUnsafeBytes(of: h.bigEndian) { Array($0) } + withUnsafeBytes(of: (h &* 31).bigEndian) { Array($0) }
            )
    }
}
