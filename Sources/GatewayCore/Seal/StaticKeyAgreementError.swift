/// Why `StaticKeyAgreement.sharedSecret(withRecipient:)` gave no DH(skS, pkR). The two cases
/// ask for different handling, which is why they are told apart: one passes, one does not.
public enum StaticKeyAgreementError: Error, Equatable, CustomStringConvertible {
    /// The private key exists but cannot be used now: the TPM is busy, in lockout, or its
    /// device node is gone for a moment. Nothing is wrong with the configuration; scans can be
    /// held and sealed once the key answers again. `detail` says what the key store reported.
    case keyUnavailable(detail: String)
    /// No shared secret can be made with the recipient key: another KEM than the device key's,
    /// not a point on the curve, or a low-order X25519 point. A configuration error (check
    /// `[server] public_key`); retrying does not help.
    case recipientKeyRejected(detail: String)

    public var description: String {
        switch self {
        case .keyUnavailable(let d):
            return "the device key cannot be used now (\(d)); scans wait until it answers again"
        case .recipientKeyRejected(let d):
            return "no shared secret can be made with the server public key (\(d)); check [server] public_key"
        }
    }
}
