import Crypto
import Foundation

/// Keyed pseudonyms: HMAC-SHA256 under the site key, so one person's id number gives the same
/// pseudonym on every terminal of the site and the case server can join cases on it — but
/// nobody without the key can test a guess (an 18-digit id has too little entropy for a plain
/// hash: a plain SHA-256 of every valid id can be computed on a laptop).
public struct Pseudonymizer: Sendable {
    /// Prefix of every pseudonym, so a reader of an event sees it is one.
    public static let prefix = "pn:"
    private let key: SymmetricKey

    /// `keyBytes` is the site key: at least 32 random bytes, the same on every terminal of a site.
    public init(keyBytes: some Collection<UInt8>) {
        key = SymmetricKey(data: Data(keyBytes))
    }

    /// `pn:` and the first 128 bits of the HMAC of the value in its normal form, hex.
    public func pseudonym(for value: String, kind: PersonalDataKind?) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(Self.normalise(value, kind: kind).utf8), using: key)
        return Self.prefix + Hex.string(Array(mac).prefix(16))
    }

    /// The form two spellings of one value share: full-width folded; id, card and phone numbers
    /// as digits only (a mainland mobile without its +86); e-mail in lower case.
    public static func normalise(_ value: String, kind: PersonalDataKind?) -> String {
        let folded = PersonalDataDetectors.fold(value)
        switch kind {
        case .prcID:
            return folded.uppercased().filter { $0.isASCII && ($0.isNumber || $0 == "X") }
        case .paymentCard, .e164:
            return folded.filter { $0.isASCII && $0.isNumber }
        case .mobileCN:
            let digits = folded.filter { $0.isASCII && $0.isNumber }
            if (digits.count == 13 && digits.hasPrefix("86")) || (digits.count == 15 && digits.hasPrefix("0086")) {
                return String(digits.suffix(11))
            }
            return digits
        case .email:
            return folded.lowercased()
        case nil:
            return folded.trimmingCharacters(in: .whitespaces)
        }
    }
}
