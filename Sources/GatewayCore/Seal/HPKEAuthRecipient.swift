import Crypto
import Foundation
import Synchronization

/// The receiving side of `HPKEAuthSender` (RFC 9180 Auth mode, gatewayd's suites, for one
/// server key of either KEM), with what repeats kept:
/// - DH(server, device), the same for all of a device's envelopes, per device key;
/// - for the export construction (`SealSuite.name`), the exporter secret of each recent
///   context, per (enc, sender): the envelopes of a group share one context, so a batch of
///   them costs one scalar multiplication in all instead of one each.
///
/// A context enters the cache only after an envelope opened under it (forged encs cannot
/// crowd out real ones), and the cache is bounded. Thread-safe: case-server opens a batch on
/// all cores.
public final class HPKEAuthRecipient: Sendable {
    private struct Cache {
        /// Device public key (serialised) → DH(server, device). Bounded by the registered devices.
        var staticDH: [[UInt8]: [UInt8]] = [:]
        /// info → `mode_auth ‖ psk_id_hash ‖ info_hash`.
        var keyScheduleContexts: [Data: [UInt8]] = [:]
        /// enc ‖ sender ‖ info → the context's exporter (keyed once), oldest first out.
        var exporters: [[UInt8]: HPKEKeySchedule.Exporter] = [:]
        var exporterOrder: [[UInt8]] = []
        var exporterOldest = 0
    }

    private let key: SealingPrivateKey
    private let pkRm: [UInt8]
    private let schedule: HPKEKeySchedule
    private let cache = Mutex(Cache())
    static let exporterCapacity = 4096

    public convenience init(privateKey: SealingPrivateKey) {
        self.init(privateKey: privateKey, schedule: .sealing(privateKey.kem))
    }

    /// With another AEAD's schedule: for RFC 9180's test vectors only.
    init(privateKey: SealingPrivateKey, schedule: HPKEKeySchedule) {
        key = privateKey
        pkRm = privateKey.publicKeyRaw
        self.schedule = schedule
    }

    public convenience init(privateKey: Curve25519.KeyAgreement.PrivateKey) {
        self.init(privateKey: .x25519(privateKey))
    }

    /// The KEM of this server key: it opens only envelopes of that KEM's suite.
    public var kem: HPKEKEM { key.kem }

    /// Single-shot Open (`SealSuite.singleShotName`): the plaintext, or nil when the envelope
    /// was not sealed by `sender` to this key with this `aad` and `info` (HPKE cannot tell
    /// which, and need not).
    public func open(
        enc: [UInt8],
        ct: [UInt8],
        aad: [UInt8],
        sender: Curve25519.KeyAgreement.PublicKey,
        info: Data
    ) -> [UInt8]? {
        open(enc: enc, ct: ct, aad: aad, sender: SealingPublicKey(sender), info: info)
    }

    public func open(enc: [UInt8], ct: [UInt8], aad: [UInt8], sender: SealingPublicKey, info: Data) -> [UInt8]? {
        guard let ctx = context(enc: enc, sender: sender, info: info) else { return nil }
        return Self.aesOpen(ct, key: ctx.key, nonce: ctx.baseNonce, aad: aad)
    }

    /// The export construction (`SealSuite.name`): key and nonce from the context's
    /// `Export(exporterContext, 44)`, then AES-256-GCM.
    public func openExported(
        enc: [UInt8],
        ct: [UInt8],
        aad: [UInt8],
        exporterContext: [UInt8],
        sender: Curve25519.KeyAgreement.PublicKey,
        info: Data
    ) -> [UInt8]? {
        openExported(
            enc: enc,
            ct: ct,
            aad: aad,
            exporterContext: exporterContext,
            sender: SealingPublicKey(sender),
            info: info
        )
    }

    public func openExported(
        enc: [UInt8],
        ct: [UInt8],
        aad: [UInt8],
        exporterContext: [UInt8],
        sender: SealingPublicKey,
        info: Data
    ) -> [UInt8]? {
        let pkSm = sender.raw
        let cacheKey = enc + pkSm + Array(info)
        let cached = cache.withLock { $0.exporters[cacheKey] }
        guard
            let exporter = cached
                ?? context(enc: enc, sender: sender, info: info).map({ schedule.exporter($0.exporterSecret) })
        else {
            return nil
        }
        let (aeadKey, nonce) = SealSuite.keyAndNonce(
            exporter.export(context: exporterContext, length: SealSuite.exportLength)
        )
        guard let plain = Self.aesOpen(ct, key: aeadKey, nonce: nonce, aad: aad) else { return nil }
        if cached == nil { remember(cacheKey, exporter) }
        return plain
    }

    private func remember(_ cacheKey: [UInt8], _ exporter: HPKEKeySchedule.Exporter) {
        cache.withLock { c in
            guard c.exporters[cacheKey] == nil else { return }
            if c.exporters.count >= Self.exporterCapacity {
                c.exporters[c.exporterOrder[c.exporterOldest]] = nil
                c.exporterOrder[c.exporterOldest] = cacheKey
                c.exporterOldest = (c.exporterOldest + 1) % Self.exporterCapacity
            } else {
                c.exporterOrder.append(cacheKey)
            }
            c.exporters[cacheKey] = exporter
        }
    }

    /// SetupAuthR: DH(server, eph) fresh, DH(server, sender) kept.
    private func context(enc: [UInt8], sender: SealingPublicKey, info: Data) -> HPKEKeySchedule.Context? {
        // A sender key of the other KEM never opens (its suite id and encodings differ).
        guard sender.kem == key.kem, let dhE = key.dh(enc) else { return nil }
        let pkSm = sender.raw
        guard
            let dhS = cache.withLock({ $0.staticDH[pkSm] })
                ?? {
                    guard let dh = key.dh(pkSm) else { return nil }
                    cache.withLock { $0.staticDH[pkSm] = dh }
                    return dh
                }()
        else { return nil }
        let ksc =
            cache.withLock { $0.keyScheduleContexts[info] }
            ?? {
                let c = schedule.keyScheduleContext(info: info)
                cache.withLock { $0.keyScheduleContexts[info] = c }
                return c
            }()
        return schedule.context(dh: dhE + dhS, enc: enc, pkRm: pkRm, pkSm: pkSm, keyScheduleContext: ksc)
    }

    static func aesOpen(_ ct: [UInt8], key: SymmetricKey, nonce: AES.GCM.Nonce, aad: [UInt8]) -> [UInt8]? {
        guard ct.count >= 16,
            let box = try? AES.GCM.SealedBox(nonce: nonce, ciphertext: ct.dropLast(16), tag: ct.suffix(16)),
            let plain = try? AES.GCM.open(box, using: key, authenticating: aad)
        else { return nil }
        return Array(plain)
    }
}
