import Crypto
import Foundation

/// RFC 9180 sealing in Auth mode for gatewayd's suite — DHKEM(X25519, HKDF-SHA256),
/// HKDF-SHA256, AES-256-GCM — with DH(skS, pkR), the device key with the server key, computed
/// once per server key instead of once per envelope.
///
/// Two ways to use a context (`SealSuite` says which the wire format names):
/// - `context()`: SetupAuthS once for a group of envelopes; each envelope is then encrypted
///   under its own key from the context's secret export interface (`SealingGroup`). One fresh
///   ephemeral key and one DH(skE, pkR) per group: a burst of 256 scans pays for one.
/// - `seal(_:aad:)`: single-shot Seal, one context per message (the first wire format's suite,
///   kept so its envelopes can be produced in tests of the server that still opens them).
///
/// swift-crypto's `HPKE.Recipient` and pyhpke open both (HPKEAuthSenderTests,
/// SealAndOpenTests, tests/system/test_envelope_crypto.py).
public struct HPKEAuthSender: Sendable {
    /// The recipient's public key, raw (32 bytes).
    let pkRm: [UInt8]
    /// The sender's public key, raw.
    let pkSm: [UInt8]
    /// DH(skS, pkR).
    let staticDH: [UInt8]
    /// `mode_auth || psk_id_hash || info_hash`.
    let keyScheduleContext: [UInt8]
    private let recipient: Curve25519.KeyAgreement.PublicKey

    public init(
        recipient: Curve25519.KeyAgreement.PublicKey,
        sender: Curve25519.KeyAgreement.PrivateKey,
        info: Data
    ) throws {
        self.recipient = recipient
        pkRm = Array(recipient.rawRepresentation)
        pkSm = Array(sender.publicKey.rawRepresentation)
        staticDH = try sender.sharedSecretFromKeyAgreement(with: recipient).withUnsafeBytes { Array($0) }
        keyScheduleContext = HPKEKeySchedule.keyScheduleContext(info: info)
    }

    /// SetupAuthS with a fresh ephemeral key: the encapsulated key and the context.
    func context(
        ephemeral skE: Curve25519.KeyAgreement.PrivateKey = .init()
    ) throws -> (enc: [UInt8], context: HPKEKeySchedule.Context) {
        let enc = Array(skE.publicKey.rawRepresentation)
        let dhE = try skE.sharedSecretFromKeyAgreement(with: recipient).withUnsafeBytes { Array($0) }
        return (
            enc,
            HPKEKeySchedule.context(
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
        try seal(plaintext, aad: aad, ephemeral: Curve25519.KeyAgreement.PrivateKey())
    }

    /// With a given ephemeral key: for RFC 9180's test vectors only.
    func seal(
        _ plaintext: [UInt8],
        aad: [UInt8],
        ephemeral skE: Curve25519.KeyAgreement.PrivateKey
    ) throws -> (enc: [UInt8], ct: [UInt8]) {
        let (enc, ctx) = try context(ephemeral: skE)
        // The first (and only) message of the context: sequence 0, so the nonce is base_nonce.
        let box = try AES.GCM.seal(plaintext, using: ctx.key, nonce: ctx.baseNonce, authenticating: aad)
        return (enc, Array(box.ciphertext) + Array(box.tag))
    }
}
