import Crypto
import Foundation

/// The receiving side of `HPKEAuthSender` (RFC 9180 Auth mode, gatewayd's suite), with what
/// repeats kept:
/// - DH(server, device), the same for all of a device's envelopes, per device key;
/// - for the export construction (`SealSuite.name`), the exporter secret of each recent
///   context, per (enc, sender): the envelopes of a group share one context, so a batch of
///   them costs one scalar multiplication in all instead of one each.
///
/// A context enters the cache only after an envelope opened under it (forged encs cannot
/// crowd out real ones), and the cache is bounded. Thread-safe: case-server opens a batch on
/// all cores.
public final class HPKEAuthRecipient: @unchecked Sendable {
    private let key: Curve25519.KeyAgreement.PrivateKey
    private let pkRm: [UInt8]
    private let lock = NSLock()
    /// Device public key (raw) → DH(server, device). Bounded by the registered devices.
    private var staticDH: [[UInt8]: [UInt8]] = [:]
    /// info → `mode_auth ‖ psk_id_hash ‖ info_hash`.
    private var keyScheduleContexts: [Data: [UInt8]] = [:]
    /// enc ‖ sender ‖ info → the context's exporter (keyed once), oldest first out.
    private var exporters: [[UInt8]: HPKEKeySchedule.Exporter] = [:]
    private var exporterOrder: [[UInt8]] = []
    private var exporterOldest = 0
    static let exporterCapacity = 4096

    public init(privateKey: Curve25519.KeyAgreement.PrivateKey) {
        key = privateKey
        pkRm = Array(privateKey.publicKey.rawRepresentation)
    }

    /// Single-shot Open (`SealSuite.singleShotName`): the plaintext, or nil when the envelope
    /// was not sealed by `sender` to this key with this `aad` and `info` (HPKE cannot tell
    /// which, and need not).
    public func open(enc: [UInt8], ct: [UInt8], aad: [UInt8], sender: Curve25519.KeyAgreement.PublicKey, info: Data) -> [UInt8]? {
        guard let ctx = context(enc: enc, sender: sender, info: info) else { return nil }
        return Self.aesOpen(ct, key: ctx.key, nonce: ctx.baseNonce, aad: aad)
    }

    /// The export construction (`SealSuite.name`): key and nonce from the context's
    /// `Export(exporterContext, 44)`, then AES-256-GCM.
    public func openExported(enc: [UInt8], ct: [UInt8], aad: [UInt8], exporterContext: [UInt8],
                             sender: Curve25519.KeyAgreement.PublicKey, info: Data) -> [UInt8]? {
        let pkSm = Array(sender.rawRepresentation)
        let cacheKey = enc + pkSm + Array(info)
        let cached = lock.withLock { exporters[cacheKey] }
        guard let exporter = cached ?? context(enc: enc, sender: sender, info: info).map({ HPKEKeySchedule.Exporter($0.exporterSecret) }) else {
            return nil
        }
        let (aeadKey, nonce) = SealSuite.keyAndNonce(exporter.export(context: exporterContext, length: SealSuite.exportLength))
        guard let plain = Self.aesOpen(ct, key: aeadKey, nonce: nonce, aad: aad) else { return nil }
        if cached == nil { remember(cacheKey, exporter) }
        return plain
    }

    private func remember(_ cacheKey: [UInt8], _ exporter: HPKEKeySchedule.Exporter) {
        lock.withLock {
            guard exporters[cacheKey] == nil else { return }
            if exporters.count >= Self.exporterCapacity {
                exporters[exporterOrder[exporterOldest]] = nil
                exporterOrder[exporterOldest] = cacheKey
                exporterOldest = (exporterOldest + 1) % Self.exporterCapacity
            } else {
                exporterOrder.append(cacheKey)
            }
            exporters[cacheKey] = exporter
        }
    }

    /// SetupAuthR: DH(server, eph) fresh, DH(server, sender) kept.
    private func context(enc: [UInt8], sender: Curve25519.KeyAgreement.PublicKey, info: Data) -> HPKEKeySchedule.Context? {
        guard enc.count == 32, let pkE = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: enc),
              let dhE = try? key.sharedSecretFromKeyAgreement(with: pkE).withUnsafeBytes({ Array($0) }) else { return nil }
        let pkSm = Array(sender.rawRepresentation)
        guard let dhS = lock.withLock({ staticDH[pkSm] }) ?? {
            guard let dh = try? key.sharedSecretFromKeyAgreement(with: sender).withUnsafeBytes({ Array($0) }) else { return nil }
            lock.withLock { staticDH[pkSm] = dh }
            return dh
        }() else { return nil }
        let ksc = lock.withLock { keyScheduleContexts[info] } ?? {
            let c = HPKEKeySchedule.keyScheduleContext(info: info)
            lock.withLock { keyScheduleContexts[info] = c }
            return c
        }()
        return HPKEKeySchedule.context(dh: dhE + dhS, enc: enc, pkRm: pkRm, pkSm: pkSm, keyScheduleContext: ksc)
    }

    static func aesOpen(_ ct: [UInt8], key: SymmetricKey, nonce: AES.GCM.Nonce, aad: [UInt8]) -> [UInt8]? {
        guard ct.count >= 16, let box = try? AES.GCM.SealedBox(nonce: nonce, ciphertext: ct.dropLast(16), tag: ct.suffix(16)),
              let plain = try? AES.GCM.open(box, using: key, authenticating: aad) else { return nil }
        return Array(plain)
    }
}
