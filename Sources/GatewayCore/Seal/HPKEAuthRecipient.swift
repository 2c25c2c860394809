import Crypto
import Foundation

/// The receiving side of `HPKEAuthSender`: RFC 9180 single-shot open in Auth mode for wire
/// format v1's suite, with DH(server, device) — the same for all of a device's envelopes —
/// computed once per (server key, device key) and kept. case-server opens a batch on all
/// cores; each envelope then costs one scalar multiplication instead of two.
public final class HPKEAuthRecipient: @unchecked Sendable {
    private let key: Curve25519.KeyAgreement.PrivateKey
    private let pkRm: [UInt8]
    private let keyScheduleContext: [UInt8]
    /// Device public key (raw) → DH(server, device). Bounded by the registered devices.
    private var staticDH: [[UInt8]: [UInt8]] = [:]
    private let lock = NSLock()

    public init(privateKey: Curve25519.KeyAgreement.PrivateKey, info: Data) {
        key = privateKey
        pkRm = Array(privateKey.publicKey.rawRepresentation)
        keyScheduleContext = HPKEAuthSender.keyScheduleContext(info: info)
    }

    /// The plaintext, or nil when the envelope was not sealed by `sender` to this key with this
    /// `aad` (HPKE cannot tell which, and need not).
    public func open(enc: [UInt8], ct: [UInt8], aad: [UInt8], sender: Curve25519.KeyAgreement.PublicKey) -> [UInt8]? {
        guard enc.count == 32, ct.count >= 16, let pkE = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: enc),
              let dhE = try? key.sharedSecretFromKeyAgreement(with: pkE).withUnsafeBytes({ Array($0) }) else { return nil }
        let pkSm = Array(sender.rawRepresentation)
        guard let dhS = lock.withLock({ staticDH[pkSm] }) ?? {
            guard let dh = try? key.sharedSecretFromKeyAgreement(with: sender).withUnsafeBytes({ Array($0) }) else { return nil }
            lock.withLock { staticDH[pkSm] = dh }
            return dh
        }() else { return nil }
        let (aeadKey, nonce) = HPKEAuthSender.keyAndNonce(dh: dhE + dhS, enc: enc, pkRm: pkRm, pkSm: pkSm, keyScheduleContext: keyScheduleContext)
        guard let box = try? AES.GCM.SealedBox(nonce: nonce, ciphertext: ct.dropLast(16), tag: ct.suffix(16)),
              let plain = try? AES.GCM.open(box, using: aeadKey, authenticating: aad) else { return nil }
        return Array(plain)
    }
}
