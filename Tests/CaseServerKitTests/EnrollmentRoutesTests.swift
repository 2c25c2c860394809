import CaseServerKit
import Crypto
import Foundation
import GatewayCore
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import XCTest

/// `POST /v1/enroll` through `app.test(.router)`: a terminal enrolled with a token is accepted
/// at once; a used, expired or foreign token and a bad key are refused with words that say what
/// to do.
final class EnrollmentRoutesTests: ServerTestCase {
    static let now: Int64 = 1_700_000_000_000_000_000
    static let hour: Int64 = 3_600_000_000_000

    func app() throws -> (some ApplicationProtocol, SQLiteCaseStore) {
        let store = try SQLiteCaseStore(path: dir + "/cases.db")
        let keyring = DeviceKeyring(directory: store, files: DeviceRegistry(directory: dir + "/devices"))
        let receiver = EnvelopeReceiver(
            opener: EnvelopeOpener(serverKeys: [server]),
            keyring: keyring,
            repository: store,
            logger: Logger(label: "test")
        )
        let router = CaseServerRoutes.router(
            receiver: receiver,
            repository: store,
            catalog: CasePolicy.builtIn.catalog,
            staffToken: nil,
            clock: { Self.now },
            logger: Logger(label: "test"),
            enrollment: store,
            keyring: keyring
        )
        return (Application(router: router), store)
    }

    static func body(token: String, device: String, key: String) -> ByteBuffer {
        ByteBuffer(bytes: try! JSONEncoder().encode(["token": token, "device": device, "public_key": key]))
    }

    static func error(_ buffer: ByteBuffer) -> String {
        (try? JSONDecoder().decode([String: String].self, from: Data(buffer.readableBytesView)))?["error"] ?? ""
    }

    /// Posts an enrollment; fails unless it is answered `status` with an error that says each of `says`.
    static func enroll(
        _ client: some TestClientProtocol,
        token: String,
        device: String,
        key: String,
        expect status: HTTPResponse.Status,
        says: [String] = [],
        line: UInt = #line
    ) async throws {
        try await client.execute(
            uri: "/v1/enroll",
            method: .post,
            body: Self.body(token: token, device: device, key: key)
        ) {
            response in
            XCTAssertEqual(response.status, status, line: line)
            for words in says {
                XCTAssertTrue(Self.error(response.body).contains(words), Self.error(response.body), line: line)
            }
        }
    }

    func testATokenEnrollsTheTerminalWhoseEnvelopesAreThenAcceptedAndTheTokenWorksOnce() async throws {
        let (app, store) = try app()
        let key = Curve25519.KeyAgreement.PrivateKey()
        let pem = X25519KeyPEM.publicKeyPEM(key.publicKey)
        let token = try await store.createEnrollmentToken("term-7", ttlNanos: Self.hour, nowNanos: Self.now - 1)
        let scan = Scan(readerID: "r", bytes: Array("X".utf8), wallNanos: 0, monotonicNanos: 0)
        let event = CaptureEvent(id: "e-1", device: "term-7", seq: 1, scan: scan, tag: .unknown)
        let sealed = try EnvelopeSealer(device: "term-7", deviceKey: key, serverKey: server.publicKey).seal(
            event,
            sealedAtNanos: 0
        )
        let batch = ByteBuffer(bytes: try JSONEncoder().encode(EnvelopeBatch(envelopes: [sealed])))
        try await app.test(.router) { client in
            // Unknown before: the lookup is not cached, so enrollment takes effect at once.
            try await client.execute(uri: "/v1/envelopes", method: .post, body: batch) { response in
                let r = try JSONDecoder().decode(EnvelopeResults.self, from: Data(response.body.readableBytesView))
                XCTAssertEqual(r.results[0].reason, "unknown_device: term-7")
            }
            try await client.execute(
                uri: "/v1/enroll",
                method: .post,
                body: Self.body(token: token, device: "term-7", key: pem)
            ) { response in
                XCTAssertEqual(response.status, .created)
                XCTAssertFalse(String(buffer: response.body).contains(token), "the token is never echoed")
            }
            try await client.execute(uri: "/v1/envelopes", method: .post, body: batch) { response in
                let r = try JSONDecoder().decode(EnvelopeResults.self, from: Data(response.body.readableBytesView))
                XCTAssertEqual(r.results.map(\.status), [.accepted])
            }
            try await Self.enroll(
                client,
                token: token,
                device: "term-7",
                key: pem,
                expect: .conflict,
                says: ["used already", "case-server enroll --device term-7"]
            )
        }
    }

    func testExpiredForeignAndUnknownTokensAndBadKeysAreRefused() async throws {
        let (app, store) = try app()
        let pem = X25519KeyPEM.publicKeyPEM(Curve25519.KeyAgreement.PrivateKey().publicKey)
        let expired = try await store.createEnrollmentToken("term-7", ttlNanos: 1, nowNanos: Self.now - 1)
        let fresh = try await store.createEnrollmentToken("term-7", ttlNanos: Self.hour, nowNanos: Self.now)
        try await app.test(.router) { client in
            try await Self.enroll(
                client,
                token: expired,
                device: "term-7",
                key: pem,
                expect: .gone,
                says: ["expired", "case-server enroll --device term-7"]
            )
            try await Self.enroll(
                client,
                token: fresh,
                device: "term-8",
                key: pem,
                expect: .forbidden,
                says: ["another device"]
            )
            try await Self.enroll(client, token: "guessed", device: "term-7", key: pem, expect: .forbidden)
            try await client.execute(
                uri: "/v1/enroll",
                method: .post,
                body: Self.body(token: fresh, device: "term-7", key: "not a key")
            ) { response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertTrue(Self.error(response.body).hasPrefix("public_key:"), Self.error(response.body))
            }
            try await Self.enroll(client, token: fresh, device: "../x", key: pem, expect: .badRequest)
            try await client.execute(uri: "/v1/enroll", method: .post, body: ByteBuffer(string: "{}")) { response in
                XCTAssertEqual(response.status, .badRequest)
            }
        }
        // None of these used the good token up.
        try await store.redeemEnrollmentToken(
            fresh,
            device: "term-7",
            key: try SealingPublicKey(pemRepresentation: pem),
            nowNanos: Self.now
        )
    }
}
