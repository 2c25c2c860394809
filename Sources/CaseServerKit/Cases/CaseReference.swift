/// Case references: `RC-` and 10 characters of Crockford base32 (50 random bits), not guessable
/// from another case's reference, which is all a terminal needs to follow it. A store draws
/// another when the one drawn is taken (one in 2^50 per case).
public enum CaseReference {
    public static func draw() -> String {
        // One 64-bit draw (one getrandom call), 5 bits a character.
        var rng = SystemRandomNumberGenerator()
        let bits = rng.next()
        return "RC-" + String((0..<10).map { alphabet[Int((bits >> (5 * UInt64($0))) & 31)] })
    }

    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
}
