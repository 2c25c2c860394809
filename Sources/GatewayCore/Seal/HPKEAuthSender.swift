import Crypto
import Foundation

/// RFC 9180 sealing in Auth mode for gatewayd's suites — DHKEM(X25519 or P-256, HKDF-SHA256),
/// HKDF-SHA256, AES-256-GCM — with DH(skS, pkR), the device key with the server key, computed
/// once per server key instead of once per envelope, by whatever holds the device key
/// (`StaticKeyAgreement`: this process, or a TPM).
///
/// Two ways to use a context (`SealSuite` says which the wire format names):
/// - `context()`: SetupAuthS once for a group of envelopes; each envelope is then encrypted
///   under its own key from the context's secret export interface (`SealingGroup`). One fresh
///   ephemeral key and one DH(skE, pkR) per group: a burst's group commit (up to 256 scans) pays for one.
/// - `seal(_:aad:)`: single-shot Seal, one context per message (the first wire format's suite,
///   kept so its envelopes can be produced in tests of the server that still opens them).
///
/// swift-crypto's `HPKE.Recipient` and pyhpke open both (HPKEAuthSenderTests,
/// HPKEP256Tests, SealAndOpenTests, tests/system/test_envelope_crypto.py).
public struct HPKEAuthSender: Sendable {
    let schedule: HPKEKeySchedule
    /// The recipient's public key, serialised (32 or 65 bytes).
    let pkRm: [UInt8]
    /// The sender's public key, serialised.
    let pkSm: [UInt8]
    /// DH(skS, pkR).
    let staticDH: [UInt8]
    /// `mode_auth || psk_id_hash || info_hash`.
    let keyScheduleContext: [UInt8]

    /// Asks `sender` for DH(skS, pkR) once (a TPM round trip for a key held there).
    /// - Throws: what `sender` throws, or `.recipientKeyRejected` when `recipient` belongs to
    ///   another KEM than `sender`.
    public init(
        recipient: SealingPublicKey,
        sender: some StaticKeyAgreement,
        info: Data
    ) throws(StaticKeyAgreementError) {
        try self.init(recipient: recipient, sender: sender, info: info, schedule: .sealing(recipient.kem))
    }

    init(
        recipient: SealingPublicKey,
        sender: some StaticKeyAgreement,
        info: Data,
        schedule: HPKEKeySchedule
    ) throws(StaticKeyAgreementError) {
        guard sender.kem == recipient.kem else {
            throw .recipientKeyRejected(
                detail: "the server key is \(recipient.kem) but the device key is \(sender.kem)"
            )
        }
        self.schedule = schedule
        pkRm = recipient.raw
        pkSm = sender.publicKeyRaw
        staticDH = try sender.sharedSecret(withRecipient: recipient.raw)
        keyScheduleContext = schedule.keyScheduleContext(info: info)
    }

    public init(
        recipient: Curve25519.KeyAgreement.PublicKey,
        sender: Curve25519.KeyAgreement.PrivateKey,
        info: Data
    ) throws {
        try self.init(recipient: SealingPublicKey(recipient), sender: SealingPrivateKey.x25519(sender), info: info)
    }

    /// SetupAuthS with a fresh ephemeral key: the encapsulated key and the context.
    func context(ephemeral: SealingPrivateKey? = nil) throws -> (enc: [UInt8], context: HPKEKeySchedule.Context) {
        let skE = ephemeral ?? .generate(schedule.kem)
        let enc = skE.publicKeyRaw
        let dhE = try skE.sharedSecret(withRecipient: pkRm)
        return (
            enc,
            schedule.context(
                dh: dhE + staticDH,
                enc: enc,
                pkRm: pkRm,
                pkSm: pkSm,
                keyScheduleContext: keyScheduleContext
            )
        )
    }

    /// Single-shot Seal of one message with a fresh ephemeral key. - Returns: (enc, ciphertext ‖ tag).
    public func seal(_ plaintext: [UInt8], aad: [UInt8]) throws -> (enc: [UInt8], ct: [UInt8]) {
        try seal(plaintext, aad: aad, ephemeral: .generate(schedule.kem))
    }

    /// With a given ephemeral key: for RFC 9180's test vectors only.
    func seal(
        _ plaintext: [UInt8],
        aad: [UInt8],
        ephemeral skE: SealingPrivateKey
    ) throws -> (enc: [UInt8], ct: [UInt8]) {
        let (enc, ctx) = try context(ephemeral: skE)
        // The first (and only) message of the context: sequence 0, so the nonce is base_nonce.
        let box = try AES.GCM.seal(plaintext, using: ctx.key, nonce: ctx.baseNonce, authenticating: aad)
        return (enc, Array(box.ciphertext) + Array(box.tag))
    }
}
