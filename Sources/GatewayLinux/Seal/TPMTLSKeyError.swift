/// A TLS peer asked the TPM key for a signature scheme it does not have.
public enum TPMTLSKeyError: Error, CustomStringConvertible {
    case unsupportedAlgorithm(UInt16)
    public var description: String {
        switch self {
        case .unsupportedAlgorithm(let scheme):
            return "the TPM's P-256 key signs only with ecdsa_secp256r1_sha256, not TLS scheme \(scheme)"
        }
    }
}
