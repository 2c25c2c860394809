import Crypto
import Foundation

/// Opens envelopes on the receiving side: checks the header, finds the server key by key id
/// and the sender's registered public key by device, opens in HPKE auth mode and checks that
/// the plaintext belongs to the header. Used by case-server; kept in the core so the gateway's
/// tests can prove what the server will accept.
public struct EnvelopeOpener: Sendable {
    /// One per server key id, X25519 or P-256: opens with DH(server, device) kept per device
    /// and recent contexts kept per group (`HPKEAuthRecipient`).
    private let recipients: [String: HPKEAuthRecipient]

    /// - Parameter serverKeys: the server's private keys; more than one during rotation, and
    ///   one per KEM when terminals seal with both (`SealSuite`).
    public init(serverKeys: [SealingPrivateKey]) {
        self.init(namedServerKeys: [:], more: serverKeys)
    }

    public init(serverKeys: [Curve25519.KeyAgreement.PrivateKey]) {
        self.init(serverKeys: serverKeys.map(SealingPrivateKey.x25519))
    }

    /// Named server keys: `id → key`, for key ids set by hand (`[server] key_id`); every key
    /// also answers to its derived id.
    public init(namedServerKeys: [String: SealingPrivateKey]) {
        self.init(namedServerKeys: namedServerKeys, more: [])
    }

    public init(namedServerKeys: [String: Curve25519.KeyAgreement.PrivateKey]) {
        self.init(namedServerKeys: namedServerKeys.mapValues(SealingPrivateKey.x25519))
    }

    private init(namedServerKeys: [String: SealingPrivateKey], more: [SealingPrivateKey]) {
        var byID = namedServerKeys
        for k in namedServerKeys.values + more { byID[k.publicKey.keyID] = k }
        recipients = byID.mapValues { HPKEAuthRecipient(privateKey: $0) }
    }

    /// Every key id this opener answers to, sorted.
    public var keyIDs: [String] { recipients.keys.sorted() }

    public func open(
        _ envelope: Envelope,
        deviceKey: Curve25519.KeyAgreement.PublicKey?
    ) throws(OpenError) -> CaptureEvent {
        try open(envelope, deviceKeys: deviceKey.map { [SealingPublicKey($0)] } ?? [])
    }

    public func open(
        _ envelope: Envelope,
        deviceKeys: [Curve25519.KeyAgreement.PublicKey]
    ) throws(OpenError) -> CaptureEvent {
        try open(envelope, deviceKeys: deviceKeys.map(SealingPublicKey.init))
    }

    /// - Parameter deviceKeys: the device's registered keys; two while its key is rotated (the
    ///   spool still holds envelopes sealed with the old one), possibly of different KEMs.
    public func open(
        _ envelope: Envelope,
        deviceKeys: [SealingPublicKey]
    ) throws(OpenError) -> CaptureEvent {
        let (_, plaintext) = try openHeader(envelope, deviceKeys: deviceKeys)
        do {
            return try CaptureEvent.decode(plaintext)
        } catch {
            throw .malformed("plaintext is not a v1 capture event")
        }
    }

    /// Opens and checks the envelope, returning the event's header and the plaintext as sealed
    /// (canonical JSON), so a server can store exactly what the terminal sent without decoding
    /// and encoding the whole event.
    public func openHeader(
        _ envelope: Envelope,
        deviceKeys: [Curve25519.KeyAgreement.PublicKey]
    ) throws(OpenError) -> (header: EventHeader, plaintext: Data) {
        try openHeader(envelope, deviceKeys: deviceKeys.map(SealingPublicKey.init))
    }

    public func openHeader(
        _ envelope: Envelope,
        deviceKeys allDeviceKeys: [SealingPublicKey]
    ) throws(OpenError) -> (header: EventHeader, plaintext: Data) {
        guard let (kem, exported) = SealSuite.parse(envelope.suite) else { throw .unsupportedSuite(envelope.suite) }
        guard let recipient = recipients[envelope.keyID] else { throw .unknownKeyID(envelope.keyID) }
        guard !allDeviceKeys.isEmpty else { throw .unknownDevice(envelope.device) }
        // A suite names one KEM: a server key or device key of the other never opens it, so
        // it fails as any wrong key does (an altered `suite` included).
        let deviceKeys = allDeviceKeys.filter { $0.kem == kem }
        guard recipient.kem == kem, !deviceKeys.isEmpty else { throw .authenticationFailed }
        guard let enc = Data(base64Encoded: envelope.enc).map(Array.init),
            let ct = Data(base64Encoded: envelope.ct).map(Array.init)
        else {
            throw .malformed("enc or ct is not base64")
        }
        // An enc of the wrong length is no public key of this KEM: say so, and spend no DH on it.
        guard enc.count == kem.publicKeyLength else {
            throw .malformed("enc is \(enc.count) bytes, not the \(kem.publicKeyLength) of a \(kem) public key")
        }
        let aad = SealSuite.aad(id: envelope.id, device: envelope.device, seq: envelope.seq)
        // Two keys while a device's key is rotated: the first that opens it is the sender's.
        let opened = deviceKeys.lazy.compactMap { key in
            exported
                ? recipient.openExported(
                    enc: enc,
                    ct: ct,
                    aad: aad,
                    exporterContext: SealSuite.exporterContext(aad: aad),
                    sender: key,
                    info: SealSuite.info
                )
                : recipient.open(enc: enc, ct: ct, aad: aad, sender: key, info: SealSuite.singleShotInfo)
        }.first
        guard let opened else { throw .authenticationFailed }
        let plaintext = Data(opened)
        let header: EventHeader
        do {
            // The one-pass reader for the usual event; JSONDecoder for whatever it leaves.
            header = try EventHeaderReader.read(opened) ?? JSONDecoder().decode(EventHeader.self, from: plaintext)
        } catch {
            throw .malformed("plaintext is not a v1 capture event")
        }
        guard header.v == CaptureEvent.currentVersion else {
            throw .malformed("capture event version \(header.v) is not \(CaptureEvent.currentVersion)")
        }
        guard header.id == envelope.id, header.device == envelope.device, header.seq == envelope.seq else {
            throw .headerMismatch
        }
        return (header, plaintext)
    }

    public enum OpenError: Error, Equatable {
        case unsupportedSuite(String)
        case unknownKeyID(String)
        case unknownDevice(String)
        /// The server revoked this device: its envelopes are refused before any key agreement,
        /// whatever keys it still holds (a stolen terminal's included).
        case revokedDevice(String)
        case malformed(String)
        /// Wrong server key, wrong sender key, or a changed header or ciphertext: HPKE cannot
        /// tell these apart, and neither should an attacker.
        case authenticationFailed
        case headerMismatch

        /// Machine-readable reason for the wire format's `reason` field.
        public var reason: String {
            switch self {
            case .unsupportedSuite(let s): return "unsupported_suite: \(s)"
            case .unknownKeyID(let k): return "unknown_key_id: \(k)"
            case .unknownDevice(let d): return "unknown_device: \(d)"
            case .revokedDevice(let d): return "revoked_device: \(d)"
            case .malformed(let m): return "malformed: \(m)"
            case .authenticationFailed:
                return "authentication_failed: wrong key, unregistered sender key or altered envelope"
            case .headerMismatch: return "header_mismatch: sealed event does not belong to this header"
            }
        }
    }
}
