import GatewayCore

/// The TPM key as the sender's static half of HPKE AuthEncap: DHKEM(P-256), the DH made in the
/// TPM for each sealing group and never kept (a kept DH(skS, pkR) would seal as the terminal
/// without the TPM). A TPM that does not answer is `keyUnavailable`: the capture path holds
/// the readers and asks again.
extension TPMDeviceKey: StaticKeyAgreement {
    public var kem: HPKEKEM { .p256 }
    public var publicKeyRaw: [UInt8] { publicKeyX963 }
    public var sharedSecretMayBeKept: Bool { false }

    public func sharedSecret(withRecipient pkR: [UInt8]) throws(StaticKeyAgreementError) -> [UInt8] {
        do {
            return try sharedSecret(with: pkR)
        } catch {
            throw .keyUnavailable(detail: "\(error)")
        }
    }
}
