import CaseServerKit
import Crypto
import Foundation
import GatewayCore
import Logging
import Synchronization
import XCTest

/// The receiver's device lookup over the store and the PEM directory, and what a revocation
/// does to a terminal's envelopes.
final class DeviceKeyringTests: ServerTestCase {
    let t0: Int64 = 1_700_000_000_000_000_000

    func envelope(
        _ name: String = "term-1",
        key: Curve25519.KeyAgreement.PrivateKey? = nil,
        seq: UInt64
    ) throws
        -> Envelope
    {
        let scan = Scan(readerID: "r", bytes: Array("ACME-\(seq)".utf8), wallNanos: 0, monotonicNanos: 0)
        let event = CaptureEvent(id: "id-\(name)-\(seq)", device: name, seq: seq, scan: scan, tag: .unknown)
        return try EnvelopeSealer(device: name, deviceKey: key ?? device, serverKey: server.publicKey).seal(
            event,
            sealedAtNanos: 0
        )
    }

    func receiver(_ store: SQLiteCaseStore, keyring: DeviceKeyring) -> EnvelopeReceiver {
        EnvelopeReceiver(
            opener: EnvelopeOpener(serverKeys: [server]),
            keyring: keyring,
            repository: store,
            logger: Logger(label: "test")
        )
    }

    func testARevokedDevicesEnvelopesAreRejectedBeforeAnyKeyAgreementAndStoredNowhere() async throws {
        let store = try SQLiteCaseStore(path: dir + "/cases.db")
        // term-1 is registered by its PEM file (ServerTestCase); the store's revocation stands over it.
        let keyring = DeviceKeyring(directory: store, files: DeviceRegistry(directory: dir + "/devices"))
        let receiver = receiver(store, keyring: keyring)
        let before = try await receiver.receive(EnvelopeBatch(envelopes: [try envelope(seq: 1)]), nowNanos: 1)
        XCTAssertEqual(before.results.map(\.status), [.accepted])

        try await store.revokeDevice("term-1", reason: "stolen", nowNanos: t0)
        keyring.forget("term-1")
        let good = try envelope(seq: 2)
        // An encapsulated key that is not a point: opening would fail as malformed, so a
        // `revoked_device` answer shows no key agreement was attempted.
        var garbage = try envelope(seq: 3)
        garbage.enc = "AAAA"
        let after = try await receiver.receive(EnvelopeBatch(envelopes: [good, garbage]), nowNanos: 2)
        XCTAssertEqual(after.results.map(\.status), [.rejected, .rejected])
        XCTAssertEqual(after.results.map(\.reason), ["revoked_device: term-1", "revoked_device: term-1"])
        let stored = try await store.events()
        XCTAssertEqual(stored.map(\.seq), [1])
        let counters = try await store.counters()
        XCTAssertEqual(counters.rejected, 2)
    }

    func testTheStoresKeysWinOverThePEMFileAndAnUnknownDeviceFallsBackToIt() async throws {
        let store = try SQLiteCaseStore(path: dir + "/cases.db")
        let keyring = DeviceKeyring(directory: store, files: DeviceRegistry(directory: dir + "/devices"))
        let fileKey = SealingPublicKey(device.publicKey)
        let fromFile = try await keyring.lookup("term-1")
        XCTAssertEqual(fromFile, .keys([fileKey]))
        let other = Curve25519.KeyAgreement.PrivateKey()
        try await store.addDevice("term-1", key: SealingPublicKey(other.publicKey), nowNanos: t0)
        let fromStore = try await keyring.lookup("term-1")
        XCTAssertEqual(fromStore, .keys([SealingPublicKey(other.publicKey)]), "not cached while unknown to the store")
        let unknown = try await keyring.lookup("term-9")
        XCTAssertEqual(unknown, .keys([]))
    }

    /// A revocation made through another instance takes effect once the cached entry is older
    /// than the bound, and not before (the cache is what spares the store a query per batch).
    func testARevocationReachesACachedEntryWithinTheTTL() async throws {
        let store = try SQLiteCaseStore(path: dir + "/cases.db")
        let other = try SQLiteCaseStore(path: dir + "/cases.db")
        let k = SealingPublicKey(device.publicKey)
        try await store.addDevice("term-2", key: k, nowNanos: t0)
        let now = Mutex<Int64>(0)
        let keyring = DeviceKeyring(directory: store, files: nil, ttlNanos: 5_000, clock: { now.withLock { $0 } })
        let first = try await keyring.lookup("term-2")
        XCTAssertEqual(first, .keys([k]))
        try await other.revokeDevice("term-2", reason: "stolen", nowNanos: t0 + 1)
        now.withLock { $0 = 4_999 }
        let cached = try await keyring.lookup("term-2")
        XCTAssertEqual(cached, .keys([k]))
        now.withLock { $0 = 5_000 }
        let expired = try await keyring.lookup("term-2")
        XCTAssertEqual(expired, .revoked)
    }
}
