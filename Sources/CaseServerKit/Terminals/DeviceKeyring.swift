import Foundation
import GatewayCore
import Synchronization

/// The receiver's answer to "which keys does this device seal with, and is it revoked": the
/// store's device directory first, the PEM directory (`DeviceRegistry`, `serve --devices`)
/// second.
///
/// - A device the store revoked is revoked, whatever the PEM directory holds for it.
/// - A device the store holds active keys for uses those; the PEM file is not read.
/// - Otherwise (the store does not know it, or holds no active key) its PEM file's keys.
///
/// What the store says is cached per device for `ttlNanos` (a few seconds): a batch does not
/// cost a query per device, and a revocation or rotation made through another server instance
/// on the same database takes effect here within that bound. A device the store does not know
/// is not cached, so a terminal enrolled a moment ago is accepted at once. The store is read
/// with its async API (GRDB's own queues), never on the caller's event loop.
public final class DeviceKeyring: Sendable {
    /// How long a device's keys and revocation are taken from the cache.
    public static let defaultTTLNanos: Int64 = 5_000_000_000

    public enum Lookup: Sendable, Equatable {
        /// The keys to try (empty: an unknown device).
        case keys([SealingPublicKey])
        case revoked
    }

    private let directory: (any DeviceDirectory)?
    private let files: DeviceRegistry?
    private let ttlNanos: Int64
    private let clock: @Sendable () -> Int64
    private let cache = Mutex<[String: (at: Int64, keys: DeviceKeys)]>([:])

    /// - Parameters: `clock`: monotonic nanoseconds, for the cache's age.
    public init(
        directory: (any DeviceDirectory)?,
        files: DeviceRegistry?,
        ttlNanos: Int64 = DeviceKeyring.defaultTTLNanos,
        clock: @escaping @Sendable () -> Int64 = { Int64(DispatchTime.now().uptimeNanoseconds) }
    ) {
        self.directory = directory
        self.files = files
        self.ttlNanos = ttlNanos
        self.clock = clock
    }

    /// - Throws: when the store cannot be read: the batch then fails as a whole (the terminal
    ///   retries), rather than its envelopes being refused for good.
    public func lookup(_ device: String) async throws -> Lookup {
        if let stored = try await stored(device) {
            if stored.revoked { return .revoked }
            if !stored.keys.isEmpty { return .keys(stored.keys) }
        }
        return .keys(files?.keys(for: device) ?? [])
    }

    /// Drops the device's cached entry: after this instance changed it (an enrollment).
    public func forget(_ device: String) {
        _ = cache.withLock { $0.removeValue(forKey: device) }
    }

    private func stored(_ device: String) async throws -> DeviceKeys? {
        guard let directory else { return nil }
        let now = clock()
        if let hit = cache.withLock({ $0[device] }), now - hit.at < ttlNanos { return hit.keys }
        guard let fresh = try await directory.deviceKeys(device) else {
            forget(device)
            return nil
        }
        cache.withLock { $0[device] = (now, fresh) }
        return fresh
    }
}
