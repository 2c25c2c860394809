/// Cookie secrets and CSRF tokens: 256 random bits, base64url; the store keeps a secret's
/// SHA-256 only.
public enum ConsoleSecrets {
    public static func generate() -> String { EnrollmentToken.generate() }
    public static func hash(_ secret: String) -> String { EnrollmentToken.hash(secret) }

    /// Compares in time independent of where the strings differ (a CSRF token is a secret).
    public static func equal(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
