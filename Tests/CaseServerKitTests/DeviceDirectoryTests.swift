import CaseServerKit
import Crypto
import Foundation
import GatewayCore
import XCTest

/// `DeviceDirectory`: registration, rotation, revocation and enrollment tokens, on a real SQLite
/// database in a temporary directory here, and on PostgreSQL in `PostgresDeviceDirectoryTests`.
class DeviceDirectoryTests: ServerTestCase {
    static let hour: Int64 = 3_600_000_000_000
    let t0: Int64 = 1_700_000_000_000_000_000

    func key() -> SealingPublicKey { SealingPublicKey(Curve25519.KeyAgreement.PrivateKey().publicKey) }

    /// A store over this test's database (every call another instance over the same one).
    func store() async throws -> any CaseStore { try SQLiteCaseStore(path: dir + "/cases.db") }

    func testAddRegistersOnceAndTheKeysAreRead() async throws {
        let s = try await store()
        let k = key()
        try await s.addDevice("term-1", key: k, nowNanos: t0)
        let stored = try await s.deviceKeys("term-1")
        XCTAssertEqual(stored, DeviceKeys(keys: [k], revoked: false))
        let unknown = try await s.deviceKeys("term-2")
        XCTAssertNil(unknown)
        await XCTAssertThrowsAsync(try await s.addDevice("term-1", key: key(), nowNanos: t0)) {
            XCTAssertEqual($0 as? DeviceDirectoryError, .alreadyRegistered("term-1"))
        }
        await XCTAssertThrowsAsync(try await s.addDevice("../etc", key: k, nowNanos: t0)) {
            XCTAssertEqual($0 as? DeviceDirectoryError, .invalidDeviceID("../etc"))
        }
        let list = try await s.devices()
        XCTAssertEqual(list.map(\.device), ["term-1"])
        XCTAssertEqual(list[0].enrolledHow, "add")
        XCTAssertEqual(list[0].keys.map(\.keyID), [k.keyID])
    }

    func testATokenEnrollsItsDeviceOnceAndIsStoredOnlyAsAHash() async throws {
        let s = try await store()
        let k = key()
        let token = try await s.createEnrollmentToken("term-1", ttlNanos: Self.hour, nowNanos: t0)
        XCTAssertGreaterThanOrEqual(token.count, 43, "256 bits, base64url")
        try await s.redeemEnrollmentToken(token, device: "term-1", key: k, nowNanos: t0 + 1)
        let stored = try await s.deviceKeys("term-1")
        XCTAssertEqual(stored?.keys, [k])
        let list = try await s.devices()
        XCTAssertEqual(list.first?.enrolledHow, "token")
        await XCTAssertThrowsAsync(try await s.redeemEnrollmentToken(token, device: "term-1", key: k, nowNanos: t0 + 2))
        {
            XCTAssertEqual($0 as? EnrollmentError, .used(device: "term-1"))
        }
        guard s is SQLiteCaseStore else { return }
        let text =
            try String(contentsOfFile: dir + "/cases.db", encoding: .isoLatin1)
            + ((try? String(contentsOfFile: dir + "/cases.db-wal", encoding: .isoLatin1)) ?? "")
        XCTAssertFalse(text.contains(token), "the secret itself is nowhere in the database")
        XCTAssertTrue(text.contains(EnrollmentToken.hash(token)))
    }

    func testAnExpiredTokenAWrongDeviceAndAnUnknownTokenAreRefusedAndRegisterNothing() async throws {
        let s = try await store()
        let token = try await s.createEnrollmentToken("term-1", ttlNanos: Self.hour, nowNanos: t0)
        await XCTAssertThrowsAsync(
            try await s.redeemEnrollmentToken(token, device: "term-2", key: key(), nowNanos: t0 + 1)
        ) { XCTAssertEqual($0 as? EnrollmentError, .otherDevice(device: "term-2")) }
        await XCTAssertThrowsAsync(
            try await s.redeemEnrollmentToken(token, device: "term-1", key: key(), nowNanos: t0 + Self.hour)
        ) { XCTAssertEqual($0 as? EnrollmentError, .expired(device: "term-1")) }
        await XCTAssertThrowsAsync(
            try await s.redeemEnrollmentToken("no-such-token", device: "term-1", key: key(), nowNanos: t0)
        ) { XCTAssertEqual($0 as? EnrollmentError, .unknownToken(device: "term-1")) }
        let none = try await s.devices()
        XCTAssertEqual(none, [])
        // Still good one nanosecond before it expires.
        try await s.redeemEnrollmentToken(token, device: "term-1", key: key(), nowNanos: t0 + Self.hour - 1)
    }

    /// Two server instances (two stores on one file) redeem one token at the same moment: the
    /// database lets exactly one through.
    func testTwoConcurrentRedeemsOfOneTokenEnrollOnce() async throws {
        let a = try await store()
        let b = try await store()
        for round in 0..<20 {
            let device = "term-\(round)"
            let token = try await a.createEnrollmentToken(device, ttlNanos: Self.hour, nowNanos: t0)
            let (ka, kb) = (key(), key())
            let now = t0 + 1
            async let ra: Bool =
                (try? await a.redeemEnrollmentToken(token, device: device, key: ka, nowNanos: now))
                != nil
            async let rb: Bool =
                (try? await b.redeemEnrollmentToken(token, device: device, key: kb, nowNanos: now))
                != nil
            let (okA, okB) = await (ra, rb)
            XCTAssertTrue(okA != okB, "round \(round): exactly one redeem succeeds (a: \(okA), b: \(okB))")
            let keys = try await a.deviceKeys(device)?.keys
            XCTAssertEqual(keys, [okA ? ka : kb])
        }
    }

    func testRevokeStandsOverAnyKeyDeletesUnusedTokensAndReenrollingRetiresTheOldKeys() async throws {
        let s = try await store()
        let stolen = key()
        try await s.addDevice("term-1", key: stolen, nowNanos: t0)
        let pending = try await s.createEnrollmentToken("term-1", ttlNanos: Self.hour, nowNanos: t0)
        try await s.revokeDevice("term-1", reason: "stolen", nowNanos: t0 + 1)
        try await s.revokeDevice("term-1", reason: "again", nowNanos: t0 + 2)
        let revoked = try await s.deviceKeys("term-1")
        XCTAssertEqual(revoked?.revoked, true)
        let record = try await s.devices()[0]
        XCTAssertEqual(record.revokedAtNanos, t0 + 1, "the first revocation stands")
        XCTAssertEqual(record.revokeReason, "stolen")
        await XCTAssertThrowsAsync(
            try await s.redeemEnrollmentToken(pending, device: "term-1", key: key(), nowNanos: t0 + 3)
        ) { XCTAssertEqual($0 as? EnrollmentError, .unknownToken(device: "term-1"), "a token from before is void") }
        await XCTAssertThrowsAsync(try await s.rotateDevice("term-1", key: key(), nowNanos: t0 + 3)) {
            XCTAssertEqual($0 as? DeviceDirectoryError, .revoked("term-1"))
        }

        let replacement = key()
        let token = try await s.createEnrollmentToken("term-1", ttlNanos: Self.hour, nowNanos: t0 + 4)
        try await s.redeemEnrollmentToken(token, device: "term-1", key: replacement, nowNanos: t0 + 5)
        let back = try await s.deviceKeys("term-1")
        XCTAssertEqual(back, DeviceKeys(keys: [replacement], revoked: false), "the stolen key stays retired")
    }

    func testRevokingADeviceTheStoreDoesNotHoldRecordsTheRevocation() async throws {
        let s = try await store()
        try await s.revokeDevice("term-1", reason: "lost", nowNanos: t0)
        let keys = try await s.deviceKeys("term-1")
        XCTAssertEqual(keys, DeviceKeys(keys: [], revoked: true))
    }

    func testRotateAppendsAndRetireKeepsTheLastKey() async throws {
        let s = try await store()
        let (old, new) = (key(), key())
        try await s.addDevice("term-1", key: old, nowNanos: t0)
        try await s.rotateDevice("term-1", key: new, nowNanos: t0 + 1)
        let both = try await s.deviceKeys("term-1")
        XCTAssertEqual(both?.keys, [old, new], "old first, as in a PEM bundle")
        await XCTAssertThrowsAsync(try await s.rotateDevice("term-1", key: new, nowNanos: t0 + 2)) {
            XCTAssertEqual($0 as? DeviceDirectoryError, .keyAlreadyActive(device: "term-1", keyID: new.keyID))
        }
        await XCTAssertThrowsAsync(try await s.rotateDevice("term-2", key: new, nowNanos: t0 + 2)) {
            XCTAssertEqual($0 as? DeviceDirectoryError, .notRegistered("term-2"))
        }
        try await s.retireKey("term-1", keyID: old.keyID, nowNanos: t0 + 3)
        let after = try await s.deviceKeys("term-1")
        XCTAssertEqual(after?.keys, [new])
        await XCTAssertThrowsAsync(try await s.retireKey("term-1", keyID: new.keyID, nowNanos: t0 + 4)) {
            XCTAssertEqual($0 as? DeviceDirectoryError, .onlyKey(device: "term-1", keyID: new.keyID))
        }
        await XCTAssertThrowsAsync(try await s.retireKey("term-1", keyID: old.keyID, nowNanos: t0 + 4)) {
            XCTAssertEqual($0 as? DeviceDirectoryError, .noSuchKey(device: "term-1", keyID: old.keyID))
        }
        let record = try await s.devices()[0]
        XCTAssertEqual(record.keys.map(\.retiredAtNanos), [t0 + 3, nil])
    }
}

/// XCTAssertThrowsError for an async expression.
func XCTAssertThrowsAsync(
    _ expression: @autoclosure () async throws -> some Any,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ check: (any Error) -> Void = { _ in }
) async {
    do {
        _ = try await expression()
        XCTFail("expected an error", file: file, line: line)
    } catch {
        check(error)
    }
}
