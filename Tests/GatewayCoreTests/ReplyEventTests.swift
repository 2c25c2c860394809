import Crypto
import Foundation
import GatewayCore
import XCTest

/// A reply to a case message is an event like a scan: its answer passes the redaction rules
/// before it is sealed (a person may type a phone number or an id into it), and it opens at the
/// server to what was sealed, with the message and case it answers.
final class ReplyEventTests: XCTestCase {
    let server = Curve25519.KeyAgreement.PrivateKey()
    let device = Curve25519.KeyAgreement.PrivateKey()

    func captureSealer() -> CaptureSealer {
        CaptureSealer(
            classifier: TagClassifier(schemas: []),
            sealer: EnvelopeSealer(device: "term-1", deviceKey: device, serverKey: server.publicKey),
            redactor: Redactor(rules: RedactionRule.builtIn, pseudonymizer: nil)
        )
    }

    func reply(_ answer: String) -> CaptureEvent {
        CaptureEvent.reply(
            id: "018f0000-0000-7000-8000-00000000000a",
            device: "term-1",
            seq: 9,
            wallNanos: 1_700_000_000_000_000_000,
            monotonicNanos: 5,
            reply: CaseReply(message: "0123456789abcdef", ref: "RC-ABCDEFGHJK"),
            answer: answer
        )
    }

    func testAReplyIsRedactedThenSealedAndOpensToWhatWasSealed() throws {
        let sealer = captureSealer()
        let event = reply("call me on 13812345678")
        XCTAssertEqual(event.kind, "reply")
        XCTAssertEqual(event.reader, "kiosk")
        XCTAssertNil(event.raw)
        let envelope = try sealer.sealReply(event, sealedAtNanos: 1)
        let opened = try EnvelopeOpener(serverKeys: [server]).open(envelope, deviceKey: device.publicKey)
        XCTAssertEqual(opened.text, "call me on 138****5678", "the phone rule masked the answer")
        XCTAssertEqual(opened.redactions, ["phone"])
        XCTAssertNil(opened.raw, "the answer leaves the terminal as text only, redacted")
        XCTAssertEqual(opened.reply, CaseReply(message: "0123456789abcdef", ref: "RC-ABCDEFGHJK"))
        XCTAssertEqual(opened.kind, "reply")
        XCTAssertEqual(opened.seq, 9)
        let json = String(decoding: try opened.jsonBytes(), as: UTF8.self)
        XCTAssertTrue(json.contains(#""reply":{"case":"RC-ABCDEFGHJK","message":"0123456789abcdef"}"#), json)
        XCTAssertFalse(json.contains("12345678\""), json)
    }

    func testAChoiceNoRuleTouchesIsSealedAsChosen() throws {
        let sealer = captureSealer()
        let redacted = sealer.redactReply(reply("Yes, one person"))
        XCTAssertEqual(redacted.text, "Yes, one person")
        XCTAssertNil(redacted.redactions)
        XCTAssertEqual(sealer.redactReply(reply("")).text, "", "an instruction's acknowledgement")
    }

    /// Whether an answer is one a message takes: a choice, free text where allowed (not blank,
    /// not too long), and only the empty acknowledgement for an instruction.
    func testAMessageAcceptsItsChoicesFreeTextWhereAllowedAndAnInstructionOnlyItsAcknowledgement() {
        let q = CaseMessage(id: "a", kind: "question", text: "Anyone hurt?", choices: ["Yes", "No"], sentAt: "")
        XCTAssertTrue(q.accepts("Yes"))
        XCTAssertFalse(q.accepts("Maybe"))
        XCTAssertFalse(q.accepts(""))
        var free = q
        free.freeText = true
        XCTAssertTrue(free.accepts("Maybe"))
        XCTAssertFalse(free.accepts("   "))
        XCTAssertFalse(free.accepts(String(repeating: "x", count: CaseMessage.maxAnswerLength + 1)))
        let i = CaseMessage(id: "b", kind: "instruction", text: "Stay away", sentAt: "")
        XCTAssertTrue(i.accepts(""))
        XCTAssertFalse(i.accepts("OK"))
    }

    /// A case from a server before messages decodes with none; one with messages round-trips.
    func testCaseStatusReadsWithAndWithoutMessages() throws {
        let old =
            #"{"ref":"RC-1","state":"opened","final":false,"opened_at":"t","updated_at":"t","insurers":[],"notes":[]}"#
        XCTAssertNil(try JSONDecoder().decode(CaseStatus.self, from: Data(old.utf8)).messages)
        let withOne = #"""
            {"ref":"RC-1","state":"opened","final":false,"opened_at":"t","updated_at":"t","insurers":[],"notes":[],
             "messages":[{"id":"a","kind":"question","text":"Anyone hurt?","choices":["Yes","No"],"free_text":false,
                          "sent_at":"t","answered":true,"answer":"No","answered_at":"u","reply_event":"e"}]}
            """#
        let status = try JSONDecoder().decode(CaseStatus.self, from: Data(withOne.utf8))
        XCTAssertEqual(
            status.messages,
            [
                CaseMessage(
                    id: "a",
                    kind: "question",
                    text: "Anyone hurt?",
                    choices: ["Yes", "No"],
                    sentAt: "t",
                    answered: true,
                    answer: "No",
                    answeredAt: "u",
                    replyEvent: "e"
                )
            ]
        )
    }
}
