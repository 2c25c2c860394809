import CaseServerKit
import Crypto
import Foundation
import GatewayCore
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import XCTest

/// `POST /v1/envelopes`'s refusals through `app.test(.router)`: 413 over the batch limits, 429
/// for a device id whose envelopes keep failing, while the real terminal's still get through.
final class EnvelopeGuardRoutesTests: ServerTestCase {
    static let now: Int64 = 1_700_000_000_000_000_000

    func app(
        _ guards: EnvelopeGuards,
        clock: @escaping @Sendable () -> Int64 = { now }
    ) throws -> (
        some ApplicationProtocol, SQLiteCaseStore
    ) {
        let store = try SQLiteCaseStore(path: dir + "/cases.db")
        let router = CaseServerRoutes.router(
            receiver: receiver(store),
            repository: store,
            catalog: CasePolicy.builtIn.catalog,
            staffToken: nil,
            clock: clock,
            logger: Logger(label: "test"),
            guards: guards
        )
        return (Application(router: router), store)
    }

    func envelopes(_ seqs: ClosedRange<UInt64>) throws -> [Envelope] {
        let group = try EnvelopeSealer(device: "term-1", deviceKey: device, serverKey: server.publicKey).group(
            sealedAtNanos: 0
        )
        return try seqs.map { seq in
            let scan = Scan(readerID: "r", bytes: Array("X\(seq)".utf8), wallNanos: 0, monotonicNanos: 0)
            return try group.seal(
                CaptureEvent(
                    id: "id-\(seq)",
                    device: "term-1",
                    seq: seq,
                    scan: scan,
                    tag: TagClassification(kind: .subject, schema: "acme", subject: "\(seq)")
                )
            )
        }
    }

    /// Envelopes under term-1's id that fail authentication (a fresh sender key each: a DH each).
    func junk(_ n: Int) throws -> [Envelope] {
        try (1...n).map { i in
            let forger = Curve25519.KeyAgreement.PrivateKey()
            let scan = Scan(readerID: "r", bytes: Array("J".utf8), wallNanos: 0, monotonicNanos: 0)
            return try EnvelopeSealer(device: "term-1", deviceKey: forger, serverKey: server.publicKey).seal(
                CaptureEvent(
                    id: "junk-\(i)",
                    device: "term-1",
                    seq: UInt64(1_000_000 + i),
                    scan: scan,
                    tag: TagClassification(kind: .subject, schema: "acme", subject: "0")
                ),
                sealedAtNanos: 0
            )
        }
    }

    func body(_ envelopes: [Envelope]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONEncoder().encode(EnvelopeBatch(envelopes: envelopes)))
    }

    struct TooLarge: Decodable, Equatable {
        var max_envelopes: Int
        var max_bytes: Int
    }

    func testABatchOverTheEnvelopeLimitIs413NamingBothLimitsAndNothingIsOpened() async throws {
        let (app, store) = try app(EnvelopeGuards(limits: EnvelopeLimits(maxEnvelopes: 3, maxBytes: 1 << 20)))
        let four = try body(try envelopes(1...4))
        let three = try body(try envelopes(1...3))
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/envelopes", method: .post, body: four) { response in
                XCTAssertEqual(response.status, .contentTooLarge)
                XCTAssertEqual(response.headers[.contentType], "application/json")
                let text = String(buffer: response.body)
                XCTAssertEqual(
                    try JSONDecoder().decode(TooLarge.self, from: Data(text.utf8)),
                    TooLarge(max_envelopes: 3, max_bytes: 1 << 20)
                )
                XCTAssertTrue(text.hasPrefix(#"{"max_envelopes":3,"max_bytes":1048576,"#), "numbers first: \(text)")
                XCTAssertTrue(text.contains("batch of 4 envelopes"))
                XCTAssertEqual(
                    BatchLimitsAnswer(text),
                    BatchLimitsAnswer(maxEnvelopes: 3, maxBytes: 1 << 20),
                    "what gatewayd reads"
                )
            }
            let stored = try await store.events()
            XCTAssertEqual(stored.count, 0)
            try await client.execute(uri: "/v1/envelopes", method: .post, body: three) { response in
                XCTAssertEqual(response.status, .ok)
            }
        }
        let stored = try await store.events()
        XCTAssertEqual(stored.count, 3)
    }

    func testABodyOverTheByteLimitIs413WhetherItsLengthIsDeclaredOrNot() async throws {
        let (app, store) = try app(EnvelopeGuards(limits: EnvelopeLimits(maxEnvelopes: 500, maxBytes: 2048)))
        let big = try body(try envelopes(1...20))
        XCTAssertGreaterThan(big.readableBytes, 2048)
        try await app.test(.router) { client in
            for headers: HTTPFields in [[:], [.contentLength: "\(big.readableBytes)"]] {
                try await client.execute(uri: "/v1/envelopes", method: .post, headers: headers, body: big) { response in
                    XCTAssertEqual(response.status, .contentTooLarge)
                    XCTAssertEqual(
                        BatchLimitsAnswer(String(buffer: response.body)),
                        BatchLimitsAnswer(maxEnvelopes: 500, maxBytes: 2048)
                    )
                }
            }
        }
        let stored = try await store.events()
        XCTAssertEqual(stored.count, 0)
    }

    func testTheDefaultsFitWhatAGatewaySendsByDefault() {
        let limits = EnvelopeLimits()
        XCTAssertLessThanOrEqual(GatewayConfig.Forward.defaultBatchMax, limits.maxEnvelopes)
        XCTAssertLessThanOrEqual(GatewayConfig.Forward.defaultBatchMaxBytes, limits.maxBytes)
        // A full default batch, envelopes as large as the byte bound lets them be, fits the body limit.
        let sizes = Array(repeating: 2000, count: 10_000)
        let n = BatchPolicy.take(
            sizes: sizes,
            maxCount: GatewayConfig.Forward.defaultBatchMax,
            maxBodyBytes: GatewayConfig.Forward.defaultBatchMaxBytes
        )
        XCTAssertLessThanOrEqual(BatchPolicy.bodyFraming + n * 2001 - 1, limits.maxBytes)
    }

    func testJunkUnderADeviceIdIsThrottledButTheRealTerminalStillGetsThrough() async throws {
        let policy = FailureThrottle.Policy(burst: 5, perSecond: 1, maxBlockSeconds: 60)
        let (app, store) = try app(
            EnvelopeGuards(throttle: EnvelopeThrottle(devicePolicy: policy, addressPolicy: policy))
        )
        let junkBatch = try body(try junk(20))
        let moreJunk = try body(try junk(3))
        let real = try envelopes(1...3)
        let firstTwo = try body(Array(real[0...1]))
        let mixed = try body([real[2]] + (try junk(2)))
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/envelopes", method: .post, body: junkBatch) { response in
                XCTAssertEqual(response.status, .ok, "the first batch is opened and rejected")
                let r = try JSONDecoder().decode(EnvelopeResults.self, from: Data(response.body.readableBytesView))
                XCTAssertEqual(Set(r.results.map(\.status)), [.rejected])
            }
            try await client.execute(uri: "/v1/envelopes", method: .post, body: moreJunk) { response in
                XCTAssertEqual(response.status, .tooManyRequests)
                XCTAssertEqual(response.headers[.retryAfter], "15", "20 failures, 5 forgiven, 1 a second")
                let text = String(buffer: response.body)
                XCTAssertTrue(text.contains(#""throttled":"device""#), text)
                XCTAssertTrue(text.contains(#""retry_after_s":15"#), text)
            }
            // The real terminal proves its key on its first envelope, and its batch goes on.
            try await client.execute(uri: "/v1/envelopes", method: .post, body: firstTwo) { response in
                XCTAssertEqual(response.status, .ok)
                let r = try JSONDecoder().decode(EnvelopeResults.self, from: Data(response.body.readableBytesView))
                XCTAssertEqual(r.results.map(\.status), [.accepted, .accepted])
            }
            // A batch mixing one real envelope with junk: the trial opens, the junk is rejected.
            try await client.execute(uri: "/v1/envelopes", method: .post, body: mixed) { response in
                XCTAssertEqual(response.status, .ok)
                let r = try JSONDecoder().decode(EnvelopeResults.self, from: Data(response.body.readableBytesView))
                XCTAssertEqual(r.results.map(\.status), [.accepted, .rejected, .rejected])
            }
        }
        let stored = try await store.events()
        XCTAssertEqual(stored.map(\.seq).sorted(), [1, 2, 3])
    }

    func testAThrottledDeviceIsLetInAgainAfterRetryAfter() async throws {
        let policy = FailureThrottle.Policy(burst: 0, perSecond: 1, maxBlockSeconds: 5)
        let clock = ManualClock(Self.now)
        let (app, _) = try app(
            EnvelopeGuards(throttle: EnvelopeThrottle(devicePolicy: policy, addressPolicy: policy)),
            clock: { clock.now }
        )
        let junkBatch = try body(try junk(10))
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/envelopes", method: .post, body: junkBatch) {
                XCTAssertEqual($0.status, .ok)
            }
            try await client.execute(uri: "/v1/envelopes", method: .post, body: junkBatch) { response in
                XCTAssertEqual(response.status, .tooManyRequests)
                XCTAssertEqual(response.headers[.retryAfter], "5")
            }
            clock.advance(seconds: 3)
            try await client.execute(uri: "/v1/envelopes", method: .post, body: junkBatch) { response in
                XCTAssertEqual(response.status, .tooManyRequests)
                XCTAssertEqual(response.headers[.retryAfter], "2")
            }
            clock.advance(seconds: 2)
            try await client.execute(uri: "/v1/envelopes", method: .post, body: junkBatch) { response in
                XCTAssertEqual(response.status, .tooManyRequests, "the refused trial counted")
                XCTAssertEqual(response.headers[.retryAfter], "1")
            }
            clock.advance(seconds: 2)
            try await client.execute(uri: "/v1/envelopes", method: .post, body: junkBatch) {
                XCTAssertEqual($0.status, .ok)
            }
        }
    }
}

/// A wall clock the test moves.
final class ManualClock: Sendable {
    private let nanos: Mutex<Int64>
    init(_ start: Int64) { nanos = Mutex(start) }
    var now: Int64 { nanos.withLock { $0 } }
    func advance(seconds: Int64) { nanos.withLock { $0 += seconds * 1_000_000_000 } }
}
