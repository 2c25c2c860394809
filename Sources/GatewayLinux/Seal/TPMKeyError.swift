import GatewayCore

/// Why a device key held in a TPM could not be used, in words that say what to do.
public enum TPMKeyError: Error, CustomStringConvertible, Equatable {
    /// libcrypto itself could not be loaded.
    case library(LibraryUnavailable)
    /// OpenSSL has no tpm2 provider (the package is missing).
    case providerMissing(reason: String)
    /// The provider is there but the key at the handle could not be opened: no TPM, no access
    /// to its device, or nothing at that handle.
    case cannotOpen(handle: UInt32, reason: String)
    /// The handle holds a key of another kind than an ECC P-256 key.
    case wrongKind(handle: UInt32, curve: String)
    /// An operation in the TPM failed (the TPM went away, or refused it).
    case operationFailed(handle: UInt32, operation: String, reason: String)

    public var description: String {
        switch self {
        case .library(let l):
            return "\(l)"
        case .providerMissing(let reason):
            return
                "OpenSSL's tpm2 provider is not installed (\(reason)); install it with: apt-get install tpm2-openssl"
        case .cannotOpen(let handle, let reason):
            return
                "cannot open the device key in the TPM at handle \(TPMHandle.format(handle)) (\(reason)); check that the terminal has a TPM 2.0 (/dev/tpmrm0, readable by group tss, which the service user is in), that TPM2OPENSSL_TCTI (if set) names it, and that `gatewayd keygen --tpm --handle \(TPMHandle.format(handle))` made the key"
        case .wrongKind(let handle, let curve):
            return
                "the key at TPM handle \(TPMHandle.format(handle)) is not an ECC P-256 key (\(curve)); make one with `gatewayd keygen --tpm`"
        case .operationFailed(let handle, let operation, let reason):
            return "the TPM did not do \(operation) with the key at \(TPMHandle.format(handle)) (\(reason))"
        }
    }
}
