import Crypto
import Foundation

/// RFC 9180's labelled HKDF and key schedule for gatewayd's suites — DHKEM(X25519,
/// HKDF-SHA256) (KEM 0x0020) or DHKEM(P-256, HKDF-SHA256) (KEM 0x0010), HKDF-SHA256 (KDF
/// 0x0001), AES-256-GCM (AEAD 0x0002) — in Auth mode with no PSK. Written out (rather than
/// taken from swift-crypto's `HPKE`) so that what is the same for every envelope is computed
/// once — DH(device, server), `psk_id_hash`, `info_hash`, and, for a group of envelopes sealed
/// together, the whole context — and so that DH(skS, pkR) can come from a key held outside
/// this process (`StaticKeyAgreement`), which swift-crypto's `HPKE.Sender` cannot take.
///
/// Both KEMs have Nsecret = Ndh = 32 and the same KDF, so the schedule differs only in the
/// suite ids and the public key encodings in the KEM context. The AEAD is a parameter only so
/// RFC 9180's P-256 test vectors (AES-128-GCM) can check it.
struct HPKEKeySchedule: Sendable {
    let kem: HPKEKEM
    /// Nk: the AEAD key length (32 for AES-256-GCM).
    let aeadKeyLength: Int
    let kemSuiteID: [UInt8]
    let hpkeSuiteID: [UInt8]
    static let modeAuth: UInt8 = 0x02
    static let versionLabel = Array("HPKE-v1".utf8)

    init(kem: HPKEKEM, aeadID: UInt16 = 0x0002, aeadKeyLength: Int = 32) {
        self.kem = kem
        self.aeadKeyLength = aeadKeyLength
        let k = [UInt8(kem.id >> 8), UInt8(kem.id & 0xFF)]
        kemSuiteID = Array("KEM".utf8) + k
        hpkeSuiteID = Array("HPKE".utf8) + k + [0x00, 0x01, UInt8(aeadID >> 8), UInt8(aeadID & 0xFF)]
    }

    /// The schedules the wire format seals with: the KEM's, with AES-256-GCM.
    static let x25519 = HPKEKeySchedule(kem: .x25519)
    static let p256 = HPKEKeySchedule(kem: .p256)
    static func sealing(_ kem: HPKEKEM) -> HPKEKeySchedule {
        switch kem {
        case .x25519: return x25519
        case .p256: return p256
        }
    }

    /// What SetupAuthS / SetupAuthR derive: the AEAD key and base nonce (single-shot use) and
    /// the exporter secret (the secret export interface, §5.3).
    struct Context {
        var key: SymmetricKey
        var baseNonce: AES.GCM.Nonce
        var exporterSecret: SymmetricKey
    }

    /// AuthEncap's / AuthDecap's shared secret, then the key schedule (psk empty). `dh` is
    /// DH(eph, recipient) ‖ DH(sender, recipient).
    func context(dh: [UInt8], enc: [UInt8], pkRm: [UInt8], pkSm: [UInt8], keyScheduleContext: [UInt8]) -> Context {
        let eaePRK = Self.labeledExtract(salt: [], label: "eae_prk", ikm: dh, suite: kemSuiteID)
        let sharedSecret = Self.labeledExpand(
            prk: eaePRK,
            label: "shared_secret",
            info: enc + pkRm + pkSm,
            length: 32,
            suite: kemSuiteID
        )
        let secret = Self.labeledExtract(salt: sharedSecret, label: "secret", ikm: [], suite: hpkeSuiteID)
        let key = Self.labeledExpand(
            prk: secret,
            label: "key",
            info: keyScheduleContext,
            length: aeadKeyLength,
            suite: hpkeSuiteID
        )
        let nonce = Self.labeledExpand(
            prk: secret,
            label: "base_nonce",
            info: keyScheduleContext,
            length: 12,
            suite: hpkeSuiteID
        )
        let exporter = Self.labeledExpand(
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
    func export(_ exporterSecret: SymmetricKey, context: [UInt8], length: Int) -> [UInt8] {
        exporter(exporterSecret).export(context: context, length: length)
    }

    func exporter(_ exporterSecret: SymmetricKey) -> Exporter {
        Exporter(exporterSecret, hpkeSuiteID: hpkeSuiteID)
    }

    /// A context's secret export interface, keyed once: each export is then HKDF-Expand's
    /// HMACs from a copy of the keyed state (one export per envelope of a group).
    struct Exporter: Sendable {
        /// HMAC-SHA256 keyed with the exporter secret; only ever copied, never updated in place.
        private let keyed: HMAC<SHA256>
        /// "HPKE-v1" ‖ suite ‖ "sec": the part of every export's info after its length.
        private let labelled: [UInt8]

        init(_ exporterSecret: SymmetricKey, hpkeSuiteID: [UInt8]) {
            keyed = HMAC<SHA256>(key: exporterSecret)
            labelled = HPKEKeySchedule.versionLabel + hpkeSuiteID + Array("sec".utf8)
        }

        /// LabeledExpand(exporter_secret, "sec", context, length). Runs once per envelope, so
        /// the HMAC is keyed once per group (`keyed`) and only copied here.
        func export(context: [UInt8], length: Int) -> [UInt8] {
            precondition(length > 0 && length <= 255 * 32)
            var info: [UInt8] = []
            info.reserveCapacity(2 + labelled.count + context.count)
            info.append(UInt8(length >> 8))
            info.append(UInt8(length & 0xFF))
            info.append(contentsOf: labelled)
            info.append(contentsOf: context)
            return HPKEKeySchedule.expand(keyed, info: info, length: length)
        }
    }

    /// `mode_auth ‖ psk_id_hash ‖ info_hash` for `info` (psk and psk_id empty).
    func keyScheduleContext(info: Data) -> [UInt8] {
        [Self.modeAuth] + Self.labeledExtract(salt: [], label: "psk_id_hash", ikm: [], suite: hpkeSuiteID)
            + Self.labeledExtract(salt: [], label: "info_hash", ikm: Array(info), suite: hpkeSuiteID)
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
        return expand(HMAC<SHA256>(key: SymmetricKey(data: prk)), info: labeledInfo, length: length)
    }

    /// HKDF-Expand with the HMAC already keyed with the PRK (RFC 5869 §2.3): T(i) = HMAC(prk,
    /// T(i-1) ‖ info ‖ i), T(0) empty; the first `length` bytes of T(1) ‖ T(2) ‖ …. The keyed
    /// state is copied for each block, never updated; the bytes go to HMAC as raw buffers.
    static func expand(_ keyed: HMAC<SHA256>, info: [UInt8], length: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(length + 32)
        var counter: UInt8 = 1
        while out.count < length {
            var h = keyed
            if out.count >= 32 {
                out.withUnsafeBytes { h.update(data: UnsafeRawBufferPointer(rebasing: $0[(out.count - 32)...])) }
            }
            info.withUnsafeBytes { h.update(data: $0) }
            withUnsafeBytes(of: counter) { h.update(data: $0) }
            h.finalize().withUnsafeBytes { out.append(contentsOf: $0) }
            counter += 1
        }
        out.removeLast(out.count - length)
        return out
    }
}
