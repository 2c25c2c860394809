import Foundation
import GatewayCore
import XCTest

@testable import CaseServerKit

/// The pure parts of sending notifications: the signature (a fixed vector, computed with
/// Python's hmac as docs/insurers.md shows), the decisions after each outcome, the backoff
/// schedule, Retry-After, and which case changes notify whom with what body.
final class WebhookDeliveryTests: XCTestCase {
    let secret = Array("whsec-test-0123456789abcdef0123456789".utf8)

    func testTheSignatureMatchesAFixedVector() {
        let body = #"{"case":"RC-0123456789","event":"opened"}"#
        XCTAssertEqual(
            WebhookSignature.header(secret: secret, unixSeconds: 1_700_000_000, body: body),
            "t=1700000000,v1=049b8251de6bda5efcde85a75df2775670d153c648608874b5bc9b487c9f0ea2"
        )
    }

    func testAReceiverAcceptsOnlyTheSignedBodyWithinTheWindow() {
        let body = #"{"case":"RC-0123456789"}"#
        let header = WebhookSignature.header(secret: secret, unixSeconds: 1000, body: body)
        XCTAssertTrue(WebhookSignature.verify(header: header, body: body, secret: secret, nowSeconds: 1200))
        XCTAssertFalse(WebhookSignature.verify(header: header, body: body, secret: secret, nowSeconds: 1301))
        XCTAssertFalse(WebhookSignature.verify(header: header, body: body + " ", secret: secret, nowSeconds: 1000))
        XCTAssertFalse(
            WebhookSignature.verify(header: header, body: body, secret: Array("x".utf8) + secret, nowSeconds: 1000)
        )
        // The timestamp is inside the MAC: moving it breaks the signature.
        let moved = header.replacingOccurrences(of: "t=1000", with: "t=1250")
        XCTAssertFalse(WebhookSignature.verify(header: moved, body: body, secret: secret, nowSeconds: 1250))
    }

    let rules = DeliveryRules(
        settings: WebhookSettings(
            timeout: .seconds(1),
            backoff: Backoff(base: .seconds(1), cap: .seconds(8)),
            maxAttempts: 6
        )
    )

    func testAny2xxIsDeliveredAndEverythingElseRetriedUntilTheBound() {
        XCTAssertEqual(
            rules.next(after: .status(200, retryAfter: nil, detail: nil), attempt: 1, nowNanos: 0, unit: 0),
            .delivered
        )
        XCTAssertEqual(
            rules.next(after: .status(204, retryAfter: nil, detail: nil), attempt: 5, nowNanos: 0, unit: 0),
            .delivered
        )
        XCTAssertEqual(
            rules.next(
                after: .status(400, retryAfter: nil, detail: "bad signature"),
                attempt: 1,
                nowNanos: 0,
                unit: 0.5
            ),
            .retry(dueAtNanos: 500_000_000, reason: "HTTP 400: bad signature")
        )
        XCTAssertEqual(
            rules.next(after: .transport("no answer within the timeout"), attempt: 2, nowNanos: 10, unit: 0.5),
            .retry(dueAtNanos: 10 + 1_000_000_000, reason: "no answer within the timeout")
        )
        XCTAssertEqual(
            rules.next(after: .status(503, retryAfter: nil, detail: nil), attempt: 6, nowNanos: 0, unit: 0),
            .fail(reason: "HTTP 503; gave up after 6 attempts")
        )
        XCTAssertEqual(
            rules.next(after: .notConfigured("no webhook"), attempt: 1, nowNanos: 0, unit: 0),
            .fail(reason: "no webhook")
        )
    }

    /// The ceilings double from the base to the cap; the jitter takes a share of the ceiling;
    /// Retry-After is a floor under it, at most an hour.
    func testTheBackoffDoublesToItsCapAndRetryAfterIsAFloor() {
        let ceilings = (1...6).map { attempt -> Int64 in
            guard
                case .retry(let due, _) = rules.next(
                    after: .transport("x"),
                    attempt: attempt,
                    nowNanos: 0,
                    unit: 0.999_999_999
                )
            else { return -1 }
            return (due + 1_000_000) / 1_000_000_000
        }
        XCTAssertEqual(ceilings, [1, 2, 4, 8, 8, -1], "the 6th attempt is the last")
        XCTAssertEqual(
            rules.next(after: .status(503, retryAfter: .seconds(30), detail: nil), attempt: 1, nowNanos: 0, unit: 0),
            .retry(dueAtNanos: 30_000_000_000, reason: "HTTP 503 (Retry-After 30 s)")
        )
        XCTAssertEqual(
            rules.next(after: .status(429, retryAfter: .seconds(30), detail: nil), attempt: 2, nowNanos: 0, unit: 0.5),
            .retry(dueAtNanos: 31_000_000_000, reason: "HTTP 429 (Retry-After 30 s)")
        )
        XCTAssertEqual(
            rules.next(after: .status(503, retryAfter: .seconds(86400), detail: nil), attempt: 1, nowNanos: 0, unit: 0),
            .retry(dueAtNanos: 3600_000_000_000, reason: "HTTP 503 (Retry-After 86400 s)")
        )
    }

    func testRetryAfterIsSecondsOrAnHTTPDate() {
        XCTAssertEqual(DeliveryRules.parseRetryAfter(" 120 ", nowNanos: 0), .seconds(120))
        XCTAssertNil(DeliveryRules.parseRetryAfter("-1", nowNanos: 0))
        XCTAssertNil(DeliveryRules.parseRetryAfter("soon", nowNanos: 0))
        // Wed, 21 Oct 2015 07:28:00 GMT = 1445412480.
        XCTAssertEqual(
            DeliveryRules.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", nowNanos: 1_445_412_400_000_000_000),
            .seconds(80)
        )
        XCTAssertEqual(
            DeliveryRules.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", nowNanos: 1_445_412_500_000_000_000),
            .seconds(0)
        )
    }

    let north = CasePolicy.Insurer(
        id: "north",
        name: "Northern Mutual",
        webhook: InsurerWebhook(url: "https://n.example/h", secretFile: "/n")
    )
    let harbour = CasePolicy.Insurer(id: "harbour", name: "Harbour Re")

    func testAnOpenedCaseNotifiesEachInsurerWithAWebhookWithTheSubjectAsRedactionLeftIt() throws {
        let new = CasePlan.NewCase(
            subject: "pn:0123",
            schema: "acme",
            device: "term-1",
            state: "insurers_notified",
            guidanceID: "acme-op",
            insurers: [north, harbour],
            notes: []
        )
        var keys = ["k1", "k2"].makeIterator()
        let out = InsurerNotices.opened(new, ref: "RC-A", nowNanos: 1_700_000_000_000_000_000) { keys.next()! }
        XCTAssertEqual(out.map(\.insurer), ["north"], "harbour has no webhook: recorded, nothing sent")
        XCTAssertEqual(out[0].key, "k1")
        XCTAssertEqual(out[0].event, .opened)
        XCTAssertEqual(
            out[0].body,
            #"{"case":"RC-A","event":"opened","guidance_id":"acme-op","insurer":"north","schema":"acme","#
                + #""state":"insurers_notified","subject":"pn:0123","time":"2023-11-14T22:13:20.000Z"}"#
        )
        let decoded = try JSONDecoder().decode(InsurerNotification.self, from: Data(out[0].body.utf8))
        XCTAssertEqual(decoded.subject, "pn:0123")
        XCTAssertEqual(decoded.guidanceID, "acme-op")
    }

    func testOnlyTheHandlersChangeOfTheCaseStateNotifiesTheInsurersOnTheCase() {
        let facts = InsurerNotices.NotifiedCase(ref: "RC-A", subject: "100234", schema: "", guidanceID: nil)
        let on = [(id: "north", webhook: true), (id: "harbour", webhook: false), (id: "south", webhook: true)]
        let changed = InsurerNotices.progressed(
            .caseState("resolved", final: true),
            case: facts,
            insurers: on,
            nowNanos: 0
        )
        XCTAssertEqual(changed.map(\.insurer), ["north", "south"])
        XCTAssertEqual(Set(changed.map(\.key)).count, 2, "a key per notification")
        XCTAssertTrue(changed.allSatisfy { $0.key.hasPrefix("ntf-") && $0.key.count == 36 })
        XCTAssertTrue(changed[0].body.contains(#""event":"state_changed""#))
        XCTAssertTrue(changed[0].body.contains(#""schema":null"#) && changed[0].body.contains(#""guidance_id":null"#))
        XCTAssertTrue(changed[0].body.contains(#""state":"resolved""#))
        XCTAssertEqual(
            InsurerNotices.progressed(
                .insurerState("acknowledged", insurer: "north", note: nil),
                case: facts,
                insurers: on,
                nowNanos: 0
            ),
            []
        )
    }

    func testTheSummaryOfAnInsurersNotificationsPutsFailuresFirst() {
        func r(_ state: NotificationRecord.State, _ attempts: Int, _ error: String?) -> NotificationRecord {
            NotificationRecord(
                key: "k",
                ref: "RC-A",
                insurer: "north",
                event: "opened",
                state: state,
                attempts: attempts,
                createdAtNanos: 0,
                atNanos: 0,
                lastError: error
            )
        }
        XCTAssertEqual(NotificationRecord.summary([]), "not sent")
        XCTAssertEqual(NotificationRecord.summary([r(.delivered, 3, "HTTP 503")]), "delivered")
        XCTAssertEqual(
            NotificationRecord.summary([r(.delivered, 1, nil), r(.pending, 2, "HTTP 503")]),
            "pending (2 attempts, last: HTTP 503)"
        )
        XCTAssertEqual(
            NotificationRecord.summary([r(.failed, 20, "HTTP 410; gave up after 20 attempts"), r(.pending, 0, nil)]),
            "failed: HTTP 410; gave up after 20 attempts"
        )
    }
}
