import Crypto
import Foundation

/// Enrollment tokens: 256 random bits, written base64url so a technician can paste them; the
/// store keeps only their SHA-256, so a copy of the database enrolls nothing.
public enum EnrollmentToken {
    /// A new token's secret.
    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// What the store keeps of `token`: SHA-256, hex.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Default lifetime: a working day for the technician to reach the terminal.
    public static let defaultTTLSeconds = 24 * 3600
}
