import Crypto
import Foundation
import GatewayCore
import XCTest

@testable import GatewayLinux

/// The kiosk's side of a case message: which replies the page may post (`KioskReplyRequest`),
/// the hub knowing the followed case's messages and the replies given here, and the reply
/// spooled as a sealed, redacted event (`CaptureSink.commitReply`).
final class KioskReplyTests: XCTestCase {
    var dir: String!

    override func setUp() {
        super.setUp()
        dir = NSTemporaryDirectory() + "kiosk-reply-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
        super.tearDown()
    }

    let question = CaseMessage(
        id: "0123456789abcdef",
        kind: "question",
        text: "Is anyone hurt?",
        choices: ["Yes", "No"],
        freeText: true,
        sentAt: "2026-12-07T09:00:00.000Z"
    )

    func request(_ answer: String) -> KioskReplyRequest {
        KioskReplyRequest(ref: "RC-1", message: question.id, answer: answer)
    }

    func testOnlyAnAnswerTheMessageTakesToAMessageNotAnsweredYetIsTaken() {
        XCTAssertEqual(
            request("No").check(message: question, repliedHere: false),
            .success(CaseReply(message: question.id, ref: "RC-1"))
        )
        XCTAssertEqual(request("No").check(message: nil, repliedHere: false), .failure(.unknownMessage))
        XCTAssertEqual(request("No").check(message: question, repliedHere: true), .failure(.alreadyAnswered))
        var answered = question
        answered.answered = true
        XCTAssertEqual(request("No").check(message: answered, repliedHere: false), .failure(.alreadyAnswered))
        XCTAssertEqual(request("  ").check(message: question, repliedHere: false), .failure(.notAnAnswer))
        var choicesOnly = question
        choicesOnly.freeText = false
        XCTAssertEqual(request("Maybe").check(message: choicesOnly, repliedHere: false), .failure(.notAnAnswer))
        XCTAssertEqual(KioskReplyRequest.Refusal.unknownMessage.status, 404)
        XCTAssertEqual(KioskReplyRequest.Refusal.alreadyAnswered.status, 409)
        XCTAssertEqual(KioskReplyRequest.Refusal.notAnAnswer.status, 400)
        let decoded = try? JSONDecoder().decode(
            KioskReplyRequest.self,
            from: Data(#"{"case":"RC-1","message":"0123456789abcdef","answer":"No"}"#.utf8)
        )
        XCTAssertEqual(decoded, request("No"))
    }

    /// Only JSON, only from the page's own origin when the browser names one, only small.
    func testARequestIsReadAsAReplyOnlyAsJSONFromThePageItself() {
        let host = "127.0.0.1:8470"
        XCTAssertNil(
            KioskReplyRequest.admit(contentType: "application/json", origin: nil, host: host, bodyTooLarge: false)
        )
        XCTAssertNil(
            KioskReplyRequest.admit(
                contentType: "application/json; charset=utf-8",
                origin: "http://127.0.0.1:8470",
                host: host,
                bodyTooLarge: false
            )
        )
        XCTAssertEqual(
            KioskReplyRequest.admit(
                contentType: "application/x-www-form-urlencoded",
                origin: nil,
                host: host,
                bodyTooLarge: false
            )?.status,
            415
        )
        XCTAssertEqual(
            KioskReplyRequest.admit(contentType: nil, origin: nil, host: host, bodyTooLarge: false)?.status,
            415
        )
        XCTAssertEqual(
            KioskReplyRequest.admit(
                contentType: "application/json",
                origin: "http://evil.example",
                host: host,
                bodyTooLarge: false
            )?.status,
            403
        )
        XCTAssertEqual(
            KioskReplyRequest.admit(contentType: "application/json", origin: "null", host: host, bodyTooLarge: false)?
                .status,
            403
        )
        XCTAssertEqual(
            KioskReplyRequest.admit(contentType: "application/json", origin: nil, host: host, bodyTooLarge: true)?
                .status,
            413
        )
    }

    func hub() -> FeedbackHub {
        FeedbackHub(
            recent: 5,
            followCap: .seconds(30),
            live: .init(
                device: "t1",
                readers: { [] },
                operatorView: { .init(tracked: false, signedIn: false) },
                location: { nil }
            )
        )
    }

    /// A hub following RC-1, whose status lists the question.
    func followingHub() -> FeedbackHub {
        let h = hub()
        let e = CaptureEvent(
            id: "id-1",
            device: "t1",
            seq: 1,
            scan: Scan(readerID: "r", bytes: [], wallNanos: 0, monotonicNanos: 0),
            tag: TagClassification(kind: .subject, schema: "acme", subject: "100234")
        )
        h.spooled([ScanRecord(sealed: e)])
        h.delivered(
            ids: ["id-1"],
            outcome: .results(
                EnvelopeResults(results: [
                    EnvelopeResult(
                        id: "id-1",
                        status: .accepted,
                        case: CaseInfo(ref: "RC-1", state: "opened", opened: true)
                    )
                ])
            ),
            deadLetters: [],
            failure: nil,
            nowNanos: 1
        )
        var status = CaseStatus(
            ref: "RC-1",
            state: "opened",
            final: false,
            subject: "100234",
            schema: "acme",
            openedAt: "t",
            updatedAt: "t",
            guidance: nil,
            insurers: [],
            notes: []
        )
        status.messages = [question]
        h.looked(status, nowNanos: 2)
        return h
    }

    func testTheHubKnowsTheFollowedCasesMessagesAndTheRepliesGivenHere() {
        let h = followingHub()
        XCTAssertEqual(h.message(question.id, ref: "RC-1"), question)
        XCTAssertNil(h.message(question.id, ref: "RC-2"), "a message is looked up in its own case")
        XCTAssertNil(h.message("ffff", ref: "RC-1"))
        XCTAssertFalse(h.hasReplied(question.id))
        let depth = h.snapshot().spool.depth
        h.replied(KioskState.ReplyView(message: question.id, ref: "RC-1", answer: "No", at: "t"))
        XCTAssertTrue(h.hasReplied(question.id))
        let s = h.snapshot()
        XCTAssertEqual(s.replies.map(\.answer), ["No"])
        XCTAssertEqual(s.spool.depth, depth + 1, "the reply waits in the spool like a scan")
        XCTAssertEqual(s.cases.first?.messages, [question])
        let json = String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
        XCTAssertTrue(json.contains(#""replies":[{"#), json)
        XCTAssertTrue(json.contains(#""case":"RC-1""#), json)
    }

    /// The reply is on disk, sealed, when `commitReply` returns: opened, it is the event as the
    /// redaction rules left it (the phone number masked), and the page is told that answer.
    func testAReplyIsSpooledSealedAndRedacted() async throws {
        let server = Curve25519.KeyAgreement.PrivateKey()
        let device = Curve25519.KeyAgreement.PrivateKey()
        let spool = try Spool(path: dir + "/s.db")
        let h = hub()
        let sink = CaptureSink(
            spool: spool,
            sealer: CaptureSealer(
                classifier: TagClassifier(schemas: []),
                sealer: EnvelopeSealer(device: "t1", deviceKey: device, serverKey: server.publicKey),
                redactor: Redactor(rules: RedactionRule.builtIn, pseudonymizer: nil)
            ),
            doorbell: Doorbell(),
            feedback: h
        )
        let view = try XCTUnwrap(
            try sink.commitReply(CaseReply(message: question.id, ref: "RC-1"), answer: "call 13812345678")
        )
        XCTAssertEqual(view.answer, "call 138****5678")
        XCTAssertEqual(h.snapshot().replies, [view])
        let spooled = try await spool.peek(limit: 10)
        XCTAssertEqual(spooled.count, 1)
        let envelope = try JSONDecoder().decode(Envelope.self, from: Data(spooled[0].body))
        XCTAssertFalse(String(decoding: spooled[0].body, as: UTF8.self).contains("13812345678"))
        let opened = try EnvelopeOpener(serverKeys: [server]).open(envelope, deviceKey: device.publicKey)
        XCTAssertEqual(opened.kind, "reply")
        XCTAssertEqual(opened.reply, CaseReply(message: question.id, ref: "RC-1"))
        XCTAssertEqual(opened.text, "call 138****5678")
        XCTAssertNil(opened.raw)
        XCTAssertEqual(opened.seq, spooled[0].seq)
        XCTAssertEqual(opened.id, spooled[0].id)
    }
}
