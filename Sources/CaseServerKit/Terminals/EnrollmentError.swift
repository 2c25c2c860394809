/// Why an enrollment token did not register a terminal. The words go back to the technician at
/// the terminal (`gatewayd enroll`), so each says what to do; none repeats the token.
public enum EnrollmentError: Error, Equatable, CustomStringConvertible {
    /// No such token (mistyped, never made, or deleted when the device was revoked).
    case unknownToken(device: String)
    /// Made for another device id: a token binds one terminal.
    case otherDevice(device: String)
    case used(device: String)
    case expired(device: String)

    public var description: String {
        switch self {
        case .unknownToken(let d):
            return "the enrollment token is not valid: ask for a new token with case-server enroll --device \(d)"
        case .otherDevice(let d):
            return
                "the enrollment token was made for another device, not \(d): ask for a new token with case-server enroll --device \(d)"
        case .used(let d):
            return
                "the enrollment token was used already (a token works once): ask for a new token with case-server enroll --device \(d)"
        case .expired(let d):
            return "the enrollment token has expired: ask for a new token with case-server enroll --device \(d)"
        }
    }
}
