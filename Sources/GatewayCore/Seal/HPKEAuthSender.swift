import Crypto
import Foundation

/// RFC 9180 single-shot sealing in Auth mode for the one suite of wire format v1 —
/// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM — written out so that what is the same
/// for every envelope is computed once:
///
/// - DH(skS, pkR), the device key with the server key (AuthEncap's second DH), and
/// - the key schedule's `psk_id_hash` and `info_hash`.
///
/// Per envelope that leaves one fresh ephemeral key (a fixed-base multiplication), one
/// DH(skE, pkR), five HMACs and AES-GCM, where swift-crypto's `HPKE.Sender` does three
/// scalar multiplications (the profile of a capture burst: X25519 was 37% of gatewayd's CPU).
/// The output is RFC 9180's: swift-crypto's `HPKE.Recipient` and pyhpke open it
/// (HPKEAuthSenderTests, SealAndOpenTests, tests/system/test_envelope_crypto.py).
public struct HPKEAuthSender: Sendable {
    /// The recipient's public key, raw (32 bytes).
    let pkRm: [UInt8]
    /// The sender's public key, raw.
    let pkSm: [UInt8]
    /// DH(skS, pkR).
    let staticDH: [UInt8]
    /// `mode_auth || psk_id_hash || info_hash`.
    let keyScheduleContext: [UInt8]

    static let kemSuiteID: [UInt8] = Array("KEM".utf8) + [0x00, 0x20]
    static let hpkeSuiteID: [UInt8] = Array("HPKE".utf8) + [0x00, 0x20, 0x00, 0x01, 0x00, 0x02]
    static let modeAuth: UInt8 = 0x02

    public init(recipient: Curve25519.KeyAgreement.PublicKey, sender: Curve25519.KeyAgreement.PrivateKey, info: Data) throws {
        pkRm = Array(recipient.rawRepresentation)
        pkSm = Array(sender.publicKey.rawRepresentation)
        staticDH = try sender.sharedSecretFromKeyAgreement(with: recipient).withUnsafeBytes { Array($0) }
        keyScheduleContext = Self.keyScheduleContext(info: info)
    }

    /// Seals one message with a fresh ephemeral key. - Returns: (enc, ciphertext ‖ tag).
    public func seal(_ plaintext: [UInt8], aad: [UInt8]) throws -> (enc: [UInt8], ct: [UInt8]) {
        try seal(plaintext, aad: aad, ephemeral: Curve25519.KeyAgreement.PrivateKey())
    }

    /// With a given ephemeral key: for RFC 9180's test vectors only.
    func seal(_ plaintext: [UInt8], aad: [UInt8], ephemeral skE: Curve25519.KeyAgreement.PrivateKey) throws -> (enc: [UInt8], ct: [UInt8]) {
        let recipient = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: pkRm)
        let enc = Array(skE.publicKey.rawRepresentation)
        let dhE = try skE.sharedSecretFromKeyAgreement(with: recipient).withUnsafeBytes { Array($0) }
        // AuthEncap: shared_secret = ExtractAndExpand(dh, kem_context).
        let (key, nonce) = Self.keyAndNonce(dh: dhE + staticDH, enc: enc, pkRm: pkRm, pkSm: pkSm, keyScheduleContext: keyScheduleContext)
        // The first (and only) message of the context: sequence 0, so the nonce is base_nonce.
        let box = try AES.GCM.seal(plaintext, using: key, nonce: nonce, authenticating: aad)
        return (enc, Array(box.ciphertext) + Array(box.tag))
    }

    /// AuthEncap's / AuthDecap's shared secret, then the key schedule (psk empty): the AEAD key
    /// and base nonce. `dh` is DH(eph, recipient) ‖ DH(sender, recipient).
    static func keyAndNonce(dh: [UInt8], enc: [UInt8], pkRm: [UInt8], pkSm: [UInt8], keyScheduleContext: [UInt8]) -> (SymmetricKey, AES.GCM.Nonce) {
        let eaePRK = labeledExtract(salt: [], label: "eae_prk", ikm: dh, suite: kemSuiteID)
        let sharedSecret = labeledExpand(prk: eaePRK, label: "shared_secret", info: enc + pkRm + pkSm, length: 32, suite: kemSuiteID)
        let secret = labeledExtract(salt: sharedSecret, label: "secret", ikm: [], suite: hpkeSuiteID)
        let key = labeledExpand(prk: secret, label: "key", info: keyScheduleContext, length: 32, suite: hpkeSuiteID)
        let nonce = labeledExpand(prk: secret, label: "base_nonce", info: keyScheduleContext, length: 12, suite: hpkeSuiteID)
        return (SymmetricKey(data: key), try! AES.GCM.Nonce(data: nonce))  // 12 bytes: always a valid nonce
    }

    /// `mode_auth ‖ psk_id_hash ‖ info_hash` for `info` (psk and psk_id empty).
    static func keyScheduleContext(info: Data) -> [UInt8] {
        [modeAuth] + labeledExtract(salt: [], label: "psk_id_hash", ikm: [], suite: hpkeSuiteID)
            + labeledExtract(salt: [], label: "info_hash", ikm: Array(info), suite: hpkeSuiteID)
    }

    static func labeledExtract(salt: [UInt8], label: String, ikm: [UInt8], suite: [UInt8]) -> [UInt8] {
        let labeled = Array("HPKE-v1".utf8) + suite + Array(label.utf8) + ikm
        // HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM); an empty salt is HashLen zeros.
        let key = SymmetricKey(data: salt.isEmpty ? [UInt8](repeating: 0, count: 32) : salt)
        return Array(HMAC<SHA256>.authenticationCode(for: labeled, using: key))
    }

    static func labeledExpand(prk: [UInt8], label: String, info: [UInt8], length: Int, suite: [UInt8]) -> [UInt8] {
        let labeledInfo = [UInt8(length >> 8), UInt8(length & 0xFF)] + Array("HPKE-v1".utf8) + suite + Array(label.utf8) + info
        // One HMAC block suffices: every length here is ≤ 32 (HKDF-Expand's T(1)).
        precondition(length <= 32)
        let t1 = HMAC<SHA256>.authenticationCode(for: labeledInfo + [0x01], using: SymmetricKey(data: prk))
        return Array(Array(t1).prefix(length))
    }
}
