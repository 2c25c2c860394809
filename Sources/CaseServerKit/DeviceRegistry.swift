import Crypto
import Foundation
import GatewayCore

/// The gateways this server accepts envelopes from: a directory with one PEM public key per
/// device, named `<device-id>.pem`. Registering a terminal is copying its `gatewayd keygen`
/// output there; a file added while the server runs is picked up at the device's next envelope.
public final class DeviceRegistry: @unchecked Sendable {
    public let directory: String
    private let lock = NSLock()
    private var cache: [String: Curve25519.KeyAgreement.PublicKey] = [:]

    public init(directory: String) {
        self.directory = directory
    }

    /// The device's registered key, or nil when it has none (or its id is not a safe file name).
    public func key(for device: String) -> Curve25519.KeyAgreement.PublicKey? {
        guard GatewayConfig.isValidID(device) else { return nil }
        if let k = lock.withLock({ cache[device] }) { return k }
        let path = directory + "/" + device + ".pem"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let key = try? X25519KeyPEM.publicKey(fromPEM: text) else { return nil }
        lock.withLock { cache[device] = key }
        return key
    }
}
