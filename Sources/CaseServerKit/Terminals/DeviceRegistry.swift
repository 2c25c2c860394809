import Crypto
import Foundation
import GatewayCore
import Synchronization

/// The gateways this server accepts envelopes from: a directory with one PEM public key per
/// device (X25519 or P-256, SubjectPublicKeyInfo), named `<device-id>.pem`. Registering a terminal is copying its `gatewayd keygen`
/// output there; a file added while the server runs is picked up at the device's next envelope.
/// The second source beside the store's registry (`DeviceKeyring` says which wins), kept for
/// SQLite deployments that register terminals this way.
/// During a device key rotation the file holds both public keys (old first, new appended), so
/// envelopes still spooled under the old key open too; the old one is removed once they have.
public final class DeviceRegistry: Sendable {
    public let directory: String
    /// Device id → the keys read from its file and that file's modification time.
    private let cache = Mutex<[String: (mtime: Int, keys: [SealingPublicKey])]>([:])

    public init(directory: String) {
        self.directory = directory
    }

    /// The device's registered keys; empty when it has none (or its id is not a safe file name).
    /// Re-read when the file changes, so adding or retiring a key needs no restart.
    public func keys(for device: String) -> [SealingPublicKey] {
        guard GatewayConfig.isValidID(device) else { return [] }
        let path = directory + "/" + device + ".pem"
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path),
            let modified = attrs[.modificationDate] as? Date
        else { return [] }
        let mtime = Int(modified.timeIntervalSince1970 * 1e6)
        if let c = cache.withLock({ $0[device] }), c.mtime == mtime { return c.keys }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        let keys = SealingPublicKey.keys(fromPEMBundle: text)
        cache.withLock { $0[device] = (mtime, keys) }
        return keys
    }
}
