import Crypto
import Foundation

/// RFC 9180's labelled HKDF and key schedule for the one suite gatewayd uses —
/// DHKEM(X25519, HKDF-SHA256) (KEM 0x0020), HKDF-SHA256 (KDF 0x0001), AES-256-GCM (AEAD 0x0002) —
/// in Auth mode with no PSK. Written out (rather than taken from swift-crypto's `HPKE`) so that
/// what is the same for every envelope is computed once: DH(device, server), `psk_id_hash`,
/// `info_hash`, and, for a group of envelopes sealed together, the whole context.
enum HPKEKeySchedule {
    static let kemSuiteID: [UInt8] = Array("KEM".utf8) + [0x00, 0x20]
    static let hpkeSuiteID: [UInt8] = Array("HPKE".utf8) + [0x00, 0x20, 0x00, 0x01, 0x00, 0x02]
    static let modeAuth: UInt8 = 0x02
    static let versionLabel = Array("HPKE-v1".utf8)

    /// What SetupAuthS / SetupAuthR derive: the AEAD key and base nonce (single-shot use) and
    /// the exporter secret (the secret export interface, §5.3).
    struct Context {
        var key: SymmetricKey
        var baseNonce: AES.GCM.Nonce
        var exporterSecret: SymmetricKey
    }

    /// AuthEncap's / AuthDecap's shared secret, then the key schedule (psk empty). `dh` is
    /// DH(eph, recipient) ‖ DH(sender, recipient).
    static func context(dh: [UInt8], enc: [UInt8], pkRm: [UInt8], pkSm: [UInt8], keyScheduleContext: [UInt8]) -> Context
    {
        let eaePRK = labeledExtract(salt: [], label: "eae_prk", ikm: dh, suite: kemSuiteID)
        let sharedSecret = labeledExpand(
            prk: eaePRK,
            label: "shared_secret",
            info: enc + pkRm + pkSm,
            length: 32,
            suite: kemSuiteID
        )
        let secret = labeledExtract(salt: sharedSecret, label: "secret", ikm: [], suite: hpkeSuiteID)
        let key = labeledExpand(prk: secret, label: "key", info: keyScheduleContext, length: 32, suite: hpkeSuiteID)
        let nonce = labeledExpand(
            prk: secret,
            label: "base_nonce",
            info: keyScheduleContext,
            length: 12,
            suite: hpkeSuiteID
        )
        let exporter = labeledExpand(
            prk: secret,
            label: "exp",
            info: keyScheduleContext,
            length: 32,
            suite: hpkeSuiteID
        )
        return Context(
            key: SymmetricKey(data: key),
            baseNonce: try! AES.GCM.Nonce(data: nonce),  // 12 bytes: always valid
            exporterSecret: SymmetricKey(data: exporter)
        )
    }

    /// `Context.Export(exporter_context, L)` = LabeledExpand(exporter_secret, "sec", exporter_context, L).
    static func export(_ exporterSecret: SymmetricKey, context: [UInt8], length: Int) -> [UInt8] {
        Exporter(exporterSecret).export(context: context, length: length)
    }

    /// A context's secret export interface, keyed once: each export is then HKDF-Expand's
    /// HMACs from a copy of the keyed state (one export per envelope of a group).
    struct Exporter: Sendable {
        /// HMAC-SHA256 keyed with the exporter secret; only ever copied, never updated in place.
        private let keyed: HMAC<SHA256>

        init(_ exporterSecret: SymmetricKey) {
            keyed = HMAC<SHA256>(key: exporterSecret)
        }

        /// LabeledExpand(exporter_secret, "sec", context, length).
        func export(context: [UInt8], length: Int) -> [UInt8] {
            precondition(length > 0 && length <= 255 * 32)
            let info =
                [UInt8(length >> 8), UInt8(length & 0xFF)] + versionLabel + hpkeSuiteID + Array("sec".utf8) + context
            var out: [UInt8] = []
            out.reserveCapacity(length + 32)
            var counter: UInt8 = 1
            while out.count < length {
                var h = keyed
                h.update(data: out.suffix(32))
                h.update(data: info)
                h.update(data: [counter])
                out.append(contentsOf: h.finalize())
                counter += 1
            }
            return Array(out.prefix(length))
        }
    }

    /// `mode_auth ‖ psk_id_hash ‖ info_hash` for `info` (psk and psk_id empty).
    static func keyScheduleContext(info: Data) -> [UInt8] {
        [modeAuth] + labeledExtract(salt: [], label: "psk_id_hash", ikm: [], suite: hpkeSuiteID)
            + labeledExtract(salt: [], label: "info_hash", ikm: Array(info), suite: hpkeSuiteID)
    }

    static func labeledExtract(salt: [UInt8], label: String, ikm: [UInt8], suite: [UInt8]) -> [UInt8] {
        let labeled = versionLabel + suite + Array(label.utf8) + ikm
        // HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM); an empty salt is HashLen zeros.
        let key = SymmetricKey(data: salt.isEmpty ? [UInt8](repeating: 0, count: 32) : salt)
        return Array(HMAC<SHA256>.authenticationCode(for: labeled, using: key))
    }

    /// HKDF-Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite ‖ label ‖ info, L), any L ≤ 255 × 32.
    static func labeledExpand(prk: [UInt8], label: String, info: [UInt8], length: Int, suite: [UInt8]) -> [UInt8] {
        precondition(length > 0 && length <= 255 * 32)
        let labeledInfo = [UInt8(length >> 8), UInt8(length & 0xFF)] + versionLabel + suite + Array(label.utf8) + info
        let key = SymmetricKey(data: prk)
        var out: [UInt8] = []
        out.reserveCapacity(length + 32)
        var t: [UInt8] = []
        var counter: UInt8 = 1
        // T(i) = HMAC(prk, T(i-1) ‖ info ‖ i)
        while out.count < length {
            var h = HMAC<SHA256>(key: key)
            h.update(data: t)
            h.update(data: labeledInfo)
            h.update(data: [counter])
            t = Array(h.finalize())
            out += t
            counter += 1
        }
        return Array(out.prefix(length))
    }
}
