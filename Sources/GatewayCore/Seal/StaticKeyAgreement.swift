/// The sender's static half of RFC 9180's AuthEncap — DH(skS, pkR), the device key with the
/// server key — for a private key that may live outside this process (a TPM 2.0 reached
/// through OpenSSL's tpm2 provider) as well as in it (`SealingPrivateKey`).
///
/// The sealer asks once per server key and keeps the answer (`EnvelopeSealer`), or once per
/// sealing group for a key that must not leave its answer in memory
/// (`sharedSecretMayBeKept`), so an implementation may be slow — a TPM round trip blocks for tens of milliseconds — and is
/// called off the event loops, from the thread that seals a group. The ephemeral half of
/// AuthEncap stays in software: only the static private key needs the hardware.
public protocol StaticKeyAgreement: Sendable {
    /// Which DHKEM the key belongs to; decides the envelope's suite (`SealSuite.name(for:)`).
    var kem: HPKEKEM { get }
    /// SerializePublicKey(pk(skS)): 32 raw bytes for X25519, 65 bytes uncompressed SEC1 for
    /// P-256. Part of the KEM context, so it must be exactly the encoding RFC 9180 names.
    var publicKeyRaw: [UInt8] { get }
    /// DH(skS, pkR) for a recipient key of the same KEM, serialised as `publicKeyRaw` is: the
    /// 32-byte X25519 output, or the 32-byte x-coordinate of the P-256 ECDH point.
    ///
    /// - Throws: `StaticKeyAgreementError.keyUnavailable` when the key's store does not answer
    ///   now (the caller may hold and retry); `.recipientKeyRejected` when no shared secret can
    ///   be made with `pkR` (a configuration error: retrying does not help).
    func sharedSecret(withRecipient pkR: [UInt8]) throws(StaticKeyAgreementError) -> [UInt8]
    /// Whether the sealer may keep DH(skS, pkR) for the server key's lifetime (asking once)
    /// rather than ask for it again for each group. DH(skS, pkR) is as good as the key itself
    /// for sealing to that server key, so a key held in hardware answers false: kept in memory,
    /// the answer would outlive the terminal's possession of its TPM. True by default.
    var sharedSecretMayBeKept: Bool { get }
}

extension StaticKeyAgreement {
    public var sharedSecretMayBeKept: Bool { true }
}
