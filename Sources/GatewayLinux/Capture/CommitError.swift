import GatewayCore

/// Why a commit stored nothing. Either way the reader holds its scans and tries again; the
/// cause decides what the log and the operator are told.
public enum CommitError: Error, CustomStringConvertible {
    /// The spool refused them (full under `overflow = "block"`, or the disk).
    case spool(SpoolError)
    /// No sealing group could be made: the device key did not answer (a TPM gone for a while:
    /// `isTransient`), or the server key does not pair with it (configuration).
    case sealing(EnvelopeSealer.SealError)

    public var description: String {
        switch self {
        case .spool(let e): return "\(e)"
        case .sealing(let e):
            return e.isTransient
                ? "cannot seal scans: \(e); the readers are held until the device key answers again"
                : "cannot seal scans: \(e)"
        }
    }
}
