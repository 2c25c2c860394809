import Foundation
import GatewayCore
import Logging
import Synchronization
import XCTest

@testable import CaseServerKit

/// The dispatcher over the SQLite outbox and a fake sender: what it sends (signed, with the
/// row's Idempotency-Key, to the insurer's URL, with the timeout), what it records after each
/// outcome, and that one hanging insurer does not hold up another's notifications.
final class NotificationDispatcherTests: ServerTestCase {
    /// Answers from a script per insurer URL (200 once it runs out) and records every request.
    final class FakeSender: WebhookSender {
        struct Sent: Sendable {
            var url: String
            var body: String
            var headers: [String: String]
            var timeout: Duration
        }

        let script: Mutex<[String: [WebhookOutcome]]>
        let sent = Mutex<[Sent]>([])
        /// Requests to this URL wait until `release` is called.
        let hangURL: String?
        let gate = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let waiting = Mutex(false)

        init(_ script: [String: [WebhookOutcome]] = [:], hangURL: String? = nil) {
            self.script = Mutex(script)
            self.hangURL = hangURL
        }

        func post(url: String, body: String, headers: [(String, String)], timeout: Duration) async -> WebhookOutcome {
            sent.withLock {
                $0.append(
                    Sent(url: url, body: body, headers: Dictionary(uniqueKeysWithValues: headers), timeout: timeout)
                )
            }
            if url == hangURL {
                await withCheckedContinuation { c in
                    gate.withLock { $0 = c }
                    waiting.withLock { $0 = true }
                }
                return .transport("no answer within the timeout")
            }
            return script.withLock { s in
                guard var list = s[url], !list.isEmpty else { return .status(200, retryAfter: nil, detail: nil) }
                let next = list.removeFirst()
                s[url] = list
                return next
            }
        }

        func release() { gate.withLock { $0?.resume() } }
    }

    let policy = try! CasePolicy.parse(toml: NotificationOutboxTests.toml)
    let secrets: [String: [UInt8]] = [
        "north": Array(String(repeating: "n", count: 32).utf8),
        "harbour": Array(String(repeating: "h", count: 32).utf8),
    ]
    /// The wall clock the dispatcher reads, moved by the tests.
    final class TestClock: Sendable {
        private let nanos = Mutex<Int64>(1_700_000_000_000_000_000)
        func read() -> Int64 { nanos.withLock { $0 } }
        func advance(_ by: Int64) { nanos.withLock { $0 += by } }
    }

    let now = TestClock()
    let settings = WebhookSettings(
        timeout: .milliseconds(1500),
        backoff: Backoff(base: .seconds(1), cap: .seconds(8)),
        maxAttempts: 3
    )

    func dispatcher(_ store: SQLiteCaseStore, _ sender: FakeSender, policy: CasePolicy? = nil) -> NotificationDispatcher
    {
        let now = self.now
        return NotificationDispatcher(
            outbox: store,
            sender: sender,
            targets: NotificationDispatcher.targets(
                policy ?? self.policy,
                credentials: InsurerCredentials(signingKeys: secrets)
            ),
            settings: settings,
            clock: { now.read() },
            jitter: { 0.5 },
            logger: Logger(label: "test"),
            pollInterval: .milliseconds(10)
        )
    }

    func openCase(_ store: SQLiteCaseStore, subject: String = "100234") async throws -> String {
        try await openCase(store, policy: policy, subject: subject, seq: 1, nowNanos: now.read())
    }

    func testEachNotificationIsSentSignedWithItsKeyToItsInsurersURL() async throws {
        let store = try SQLiteCaseStore(path: dir + "/cases.db")
        let ref = try await openCase(store)
        let sender = FakeSender()
        let claimed = await dispatcher(store, sender).runOnce()
        XCTAssertEqual(claimed, 2)
        let rows = try await store.notifications(ref: ref)
        XCTAssertEqual(rows.map(\.state), [.delivered, .delivered])
        let sent = sender.sent.withLock { $0 }.sorted { $0.url > $1.url }
        XCTAssertEqual(sent.map(\.url), ["https://n.example/h", "http://127.0.0.1:9/h"])
        for (s, (row, insurer)) in zip(sent, zip(rows, ["north", "harbour"])) {
            XCTAssertEqual(s.headers["Idempotency-Key"], row.key)
            XCTAssertEqual(s.timeout, .milliseconds(1500))
            let header = try XCTUnwrap(s.headers["Gatewayd-Signature"])
            XCTAssertTrue(header.hasPrefix("t=1700000000,v1="), header)
            XCTAssertTrue(
                WebhookSignature.verify(
                    header: header,
                    body: s.body,
                    secret: secrets[insurer]!,
                    nowSeconds: 1_700_000_000
                )
            )
            let n = try JSONDecoder().decode(InsurerNotification.self, from: Data(s.body.utf8))
            XCTAssertEqual([n.case, n.insurer, n.event.rawValue, n.subject], [ref, insurer, "opened", "100234"])
        }
        let nothing = await dispatcher(store, sender).runOnce()
        XCTAssertEqual(nothing, 0, "a delivered notification is not sent again")
    }

    func testARefusedAttemptIsRetriedWithTheSameKeyAfterItsWaitAndFailsAfterTheBound() async throws {
        let store = try SQLiteCaseStore(path: dir + "/cases.db")
        let ref = try await openCase(store)
        let sender = FakeSender([
            "https://n.example/h": [
                .status(503, retryAfter: .seconds(5), detail: nil), .status(400, retryAfter: nil, detail: "bad"),
            ],
            "http://127.0.0.1:9/h": Array(repeating: .transport("connection refused"), count: 3),
        ])
        let d = dispatcher(store, sender)
        await d.runOnce()
        var rows = try await store.notifications(ref: ref)
        XCTAssertEqual(rows.map(\.state), [.pending, .pending])
        XCTAssertEqual(rows.map(\.lastError), ["HTTP 503 (Retry-After 5 s)", "connection refused"])
        let t0 = now.read()
        XCTAssertEqual(rows[0].atNanos, t0 + 5_500_000_000, "Retry-After 5 s, then half the first ceiling")
        XCTAssertEqual(rows[1].atNanos, t0 + 500_000_000)

        now.advance(6_000_000_000)
        await d.runOnce()
        now.advance(6_000_000_000)
        await d.runOnce()
        rows = try await store.notifications(ref: ref)
        XCTAssertEqual(rows.map(\.state), [.delivered, .failed])
        XCTAssertEqual(rows.map(\.attempts), [3, 3])
        XCTAssertEqual(rows[1].lastError, "connection refused; gave up after 3 attempts")
        let keys = sender.sent.withLock { $0 }.map { $0.headers["Idempotency-Key"]! }
        XCTAssertEqual(Set(keys), Set(rows.map(\.key)), "every attempt carries its row's key")
        XCTAssertEqual(keys.count, 6)
    }

    func testAnInsurerThePolicyNoLongerHasFailsAtOnceWithTheFix() async throws {
        let store = try SQLiteCaseStore(path: dir + "/cases.db")
        let ref = try await openCase(store)
        let without = try CasePolicy.parse(
            toml: NotificationOutboxTests.toml.replacingOccurrences(
                of: "webhook_url = \"https://n.example/h\"\n",
                with: ""
            )
            .replacingOccurrences(of: "secret_file = \"n.secret\"\n", with: "")
        )
        await dispatcher(store, FakeSender(), policy: without).runOnce()
        let rows = try await store.notifications(ref: ref)
        XCTAssertEqual(rows.map(\.state), [.failed, .delivered])
        XCTAssertTrue(rows[0].lastError?.contains("notifications retry") == true, rows[0].lastError ?? "")
    }

    func testAHangingInsurerDoesNotHoldUpTheOthers() async throws {
        let store = try SQLiteCaseStore(path: dir + "/cases.db")
        let ref = try await openCase(store)
        let sender = FakeSender(hangURL: "https://n.example/h")
        let d = dispatcher(store, sender)
        let run = Task { await d.run() }
        let deadline = ContinuousClock.now + .seconds(30)
        var harbour: NotificationRecord.State?
        while ContinuousClock.now < deadline {
            harbour = try await store.notifications(ref: ref).first { $0.insurer == "harbour" }?.state
            if harbour == .delivered && sender.waiting.withLock({ $0 }) { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTAssertEqual(harbour, .delivered, "delivered while north's request hangs")
        let north = try await store.notifications(ref: ref).first { $0.insurer == "north" }
        XCTAssertEqual(north?.state, .pending)
        // Its request ends (the timeout, here), and is recorded for a retry.
        sender.release()
        var after: NotificationRecord?
        while ContinuousClock.now < deadline {
            after = try await store.notifications(ref: ref).first { $0.insurer == "north" }
            if after?.lastError != nil { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        run.cancel()
        await run.value
        XCTAssertEqual(after?.state, .pending)
        XCTAssertEqual(after?.lastError, "no answer within the timeout")
    }

    /// Two instances' dispatchers on one store (each its own connection pool, as two processes
    /// would have): every notification is sent once, by one of them.
    func testTwoDispatchersOnOneStoreNeverSendTheSameNotificationTwice() async throws {
        let store = try SQLiteCaseStore(path: dir + "/cases.db")
        for i in 0..<20 {
            _ = try await openCase(store, policy: policy, subject: "1002\(i)", seq: UInt64(i + 1), nowNanos: now.read())
        }
        let sender = FakeSender()
        let a = dispatcher(store, sender)
        let b = dispatcher(try SQLiteCaseStore(path: dir + "/cases.db"), sender)
        var claimed = 0
        for _ in 0..<10 {
            async let x = a.runOnce(limit: 3)
            async let y = b.runOnce(limit: 3)
            claimed += await x + y
        }
        XCTAssertEqual(claimed, 40)
        let keys = sender.sent.withLock { $0 }.map { $0.headers["Idempotency-Key"]! }
        XCTAssertEqual(keys.count, 40)
        XCTAssertEqual(Set(keys).count, 40, "no key sent twice")
        let rows = try await store.notifications(ref: nil)
        XCTAssertTrue(rows.allSatisfy { $0.state == .delivered && $0.attempts == 1 })
    }
}
