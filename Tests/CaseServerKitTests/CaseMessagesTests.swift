import Crypto
import Foundation
import GRDB
import GatewayCore
import XCTest

@testable import CaseServerKit

/// Case messages in the store: sent to a case, listed with its status (what the terminal
/// follows), answered by the terminal's sealed reply through the receiver — the first reply
/// answers, a retried envelope changes nothing, a reply naming another case's message is filed
/// under nothing. On SQLite here, on PostgreSQL in `PostgresCaseMessagesTests`.
class CaseMessagesTests: ServerTestCase {
    let s: Int64 = 1_000_000_000
    var seq: UInt64 = 0

    func makeStore() async throws -> any CaseStore { try SQLiteCaseStore(path: dir + "/cases.db") }

    /// The case an event is filed under (the case's timeline lists what is filed under it).
    func filedUnder(_ store: any CaseStore, eventID: String) async throws -> String? {
        let sqlite = try XCTUnwrap(store as? SQLiteCaseStore)
        return try await sqlite.pool.read { db in
            try String.fetchOne(db, sql: "SELECT ref FROM case_event WHERE event_id = ?", arguments: [eventID])
        }
    }

    func open(_ store: any CaseStore, subject: String = "100234", at: Int64) async throws -> String {
        seq += 1
        return try await openCase(store, policy: TestPolicies.twoInsurers, subject: subject, seq: seq, nowNanos: at)
    }

    /// Seals a reply as a terminal does and gives it to the receiver. - Returns: its id and status.
    @discardableResult
    func reply(
        _ store: any CaseStore,
        message: String,
        ref: String,
        answer: String,
        id: String? = nil,
        at: Int64
    ) async throws -> (id: String, status: EnvelopeResult.Status) {
        let (eventID, sealed) = try sealedReply(message: message, ref: ref, answer: answer, id: id, at: at)
        let results = try await receiver(store, policy: TestPolicies.twoInsurers).receive(
            EnvelopeBatch(envelopes: [sealed]),
            nowNanos: at
        )
        XCTAssertNil(results.results[0].case, "a reply opens and joins no case")
        XCTAssertNil(results.results[0].guidance, "a reply gets no guidance")
        return (eventID, results.results[0].status)
    }

    /// A reply as a terminal seals it (`term-1`, or another terminal and its key).
    func sealedReply(
        message: String,
        ref: String,
        answer: String,
        id: String? = nil,
        at: Int64,
        from terminal: (id: String, key: Curve25519.KeyAgreement.PrivateKey)? = nil
    ) throws -> (id: String, envelope: Envelope) {
        seq += 1
        let eventID = id ?? "reply-\(seq)"
        let (deviceID, deviceKey) = terminal ?? ("term-1", device)
        let event = CaptureEvent.reply(
            id: eventID,
            device: deviceID,
            seq: seq,
            wallNanos: at,
            monotonicNanos: 0,
            reply: CaseReply(message: message, ref: ref),
            answer: answer
        )
        let sealed = try EnvelopeSealer(device: deviceID, deviceKey: deviceKey, serverKey: server.publicKey)
            .seal(event, sealedAtNanos: at)
        return (eventID, sealed)
    }

    func question(_ choices: [String] = ["Yes", "No", "Not sure"]) throws -> CaseMessageDraft {
        try CaseMessageDraft(kind: "question", text: "Is anyone hurt?", choices: choices)
    }

    func testAQuestionIsListedUnansweredThenTheFirstReplyAnswersItAndIsFiledUnderTheCase() async throws {
        let store = try await makeStore()
        let ref = try await open(store, at: 1 * s)
        let sent = try await store.send(try question(), ref: ref, sentBy: "hana", nowNanos: 2 * s)
        XCTAssertEqual(sent.id.count, 16)
        XCTAssertTrue(sent.id.allSatisfy(\.isHexDigit))
        var read = try await store.caseStatus(ref: ref, catalog: CasePolicy.builtIn.catalog)
        var status = try XCTUnwrap(read)
        XCTAssertEqual(status.updatedAt, RFC3339.format(unixNanos: 2 * s), "a message is a change of the case")
        XCTAssertEqual(
            status.messages,
            [
                CaseMessage(
                    id: sent.id,
                    kind: "question",
                    text: "Is anyone hurt?",
                    choices: ["Yes", "No", "Not sure"],
                    sentAt: RFC3339.format(unixNanos: 2 * s)
                )
            ]
        )

        let first = try await reply(store, message: sent.id, ref: ref, answer: "No", at: 3 * s)
        XCTAssertEqual(first.status, .accepted)
        read = try await store.caseStatus(ref: ref, catalog: CasePolicy.builtIn.catalog)
        status = try XCTUnwrap(read)
        let answered = try XCTUnwrap(status.messages?.first)
        XCTAssertTrue(answered.answered)
        XCTAssertEqual(answered.answer, "No")
        XCTAssertEqual(answered.answeredAt, RFC3339.format(unixNanos: 3 * s))
        XCTAssertEqual(answered.replyEvent, first.id)
        XCTAssertEqual(status.updatedAt, RFC3339.format(unixNanos: 3 * s))
        let filed = try await filedUnder(store, eventID: first.id)
        XCTAssertEqual(filed, ref, "the case's timeline lists the reply")
        let stored = try await store.events().first { $0.id == first.id }
        XCTAssertTrue(try XCTUnwrap(stored).eventJSON.contains(#""kind":"reply""#))

        // The same envelope again (a lost answer): a duplicate, nothing changes.
        let again = try await reply(store, message: sent.id, ref: ref, answer: "No", id: first.id, at: 4 * s)
        XCTAssertEqual(again.status, .duplicate)
        // A second terminal's later reply is filed under the case, the first answer stands.
        let second = try await reply(store, message: sent.id, ref: ref, answer: "Yes", at: 5 * s)
        XCTAssertEqual(second.status, .accepted)
        let after = try await store.messages(ref: ref)
        XCTAssertEqual(after.map(\.answer), ["No"])
        XCTAssertEqual(after.map(\.replyEvent), [first.id])
        let secondFiled = try await filedUnder(store, eventID: second.id)
        XCTAssertEqual(secondFiled, ref)
    }

    func testAReplyNamingAnotherCasesMessageOrAnUnknownOneAnswersNothing() async throws {
        let store = try await makeStore()
        let a = try await open(store, subject: "100234", at: 1 * s)
        let b = try await open(store, subject: "100299", at: 1 * s)
        XCTAssertNotEqual(a, b)
        let onA = try await store.send(try question(), ref: a, sentBy: "hana", nowNanos: 2 * s)
        let wrongCase = try await reply(store, message: onA.id, ref: b, answer: "No", at: 3 * s)
        XCTAssertEqual(wrongCase.status, .accepted, "stored like any event")
        let unknown = try await reply(store, message: "ffffffffffffffff", ref: a, answer: "No", at: 3 * s)
        XCTAssertEqual(unknown.status, .accepted)
        let listed = try await store.messages(ref: a)
        XCTAssertEqual(listed.map(\.answered), [false])
        for id in [wrongCase.id, unknown.id] {
            let filed = try await filedUnder(store, eventID: id)
            XCTAssertNil(filed)
        }
        let onB = try await store.messages(ref: b)
        XCTAssertEqual(onB, [])
    }

    func testAReplyFromATerminalWithNoEventUnderTheCaseAnswersNothing() async throws {
        let store = try await makeStore()
        let ref = try await open(store, at: 1 * s)
        let sent = try await store.send(try question(), ref: ref, sentBy: "hana", nowNanos: 2 * s)
        // An enrolled terminal elsewhere that learnt the message id and the case reference.
        let other = Curve25519.KeyAgreement.PrivateKey()
        try X25519KeyPEM.publicKeyPEM(other.publicKey).write(
            toFile: dir + "/devices/term-9.pem",
            atomically: true,
            encoding: .utf8
        )
        let (forgedID, forged) = try sealedReply(
            message: sent.id,
            ref: ref,
            answer: "No",
            at: 3 * s,
            from: ("term-9", other)
        )
        let log = LogRecorder()
        let receiver = EnvelopeReceiver(
            opener: EnvelopeOpener(serverKeys: [server]),
            devices: DeviceRegistry(directory: dir + "/devices"),
            repository: store,
            policy: TestPolicies.twoInsurers,
            logger: log.logger()
        )
        let results = try await receiver.receive(EnvelopeBatch(envelopes: [forged]), nowNanos: 3 * s)
        XCTAssertEqual(results.results[0].status, .accepted, "stored like any event")
        let warned = log.all.filter {
            $0.level == .warning && $0.message.hasPrefix("reply stored but filed under no case")
        }
        XCTAssertEqual(warned.map { $0.metadata["device"] }, ["term-9"], "the server's log says so, by ids")
        XCTAssertEqual(warned.map { $0.metadata["message"] }, [sent.id])
        XCTAssertFalse(log.all.contains { $0.metadata.values.contains("No") }, "never the answer itself")
        let stored = try await store.events().map(\.id)
        XCTAssertTrue(stored.contains(forgedID))
        var listed = try await store.messages(ref: ref)
        XCTAssertEqual(listed.map(\.answered), [false])
        let filed = try await filedUnder(store, eventID: forgedID)
        XCTAssertNil(filed, "not on the case's timeline")
        // The terminal on site, whose scan opened the case, still answers it.
        let (realID, real) = try sealedReply(message: sent.id, ref: ref, answer: "Yes", at: 4 * s)
        _ = try await receiver.receive(EnvelopeBatch(envelopes: [real]), nowNanos: 4 * s)
        let received = log.all.filter { $0.message == "reply to a case message received" }
        XCTAssertEqual(received.map(\.level), [.info])
        XCTAssertEqual(received.map { $0.metadata["id"] }, [realID])
        listed = try await store.messages(ref: ref)
        XCTAssertEqual(listed.map(\.answer), ["Yes"])
        XCTAssertEqual(listed.map(\.replyEvent), [realID])
    }

    func testAnInstructionIsAcknowledgedAndMessagesKeepTheirOrder() async throws {
        let store = try await makeStore()
        let ref = try await open(store, at: 1 * s)
        let q = try await store.send(
            try CaseMessageDraft(kind: "question", text: "What happened?", freeText: true),
            ref: ref,
            sentBy: "hana",
            nowNanos: 2 * s
        )
        let i = try await store.send(
            try CaseMessageDraft(kind: "instruction", text: "Keep people away"),
            ref: ref,
            sentBy: "hana",
            nowNanos: 2 * s
        )
        try await reply(store, message: i.id, ref: ref, answer: "", at: 3 * s)
        let listed = try await store.messages(ref: ref)
        XCTAssertEqual(listed.map(\.id), [q.id, i.id], "in the order they were sent")
        XCTAssertEqual(listed.map(\.answered), [false, true])
        XCTAssertEqual(listed[1].answer, "")
        XCTAssertEqual(listed[0].choices, [])
        XCTAssertTrue(listed[0].freeText)
    }

    func testAMessageToNoCaseOrToAFinalCaseIsRefused() async throws {
        let store = try await makeStore()
        do {
            _ = try await store.send(try question(), ref: "RC-NONE", sentBy: "hana", nowNanos: 1 * s)
            XCTFail("sent")
        } catch let e as CaseMessageError {
            XCTAssertEqual(e, .noSuchCase("RC-NONE"))
        }
        let ref = try await open(store, at: 1 * s)
        try await store.progress(ref: ref, state: "resolved", note: "", insurer: nil, nowNanos: 2 * s)
        do {
            _ = try await store.send(try question(), ref: ref, sentBy: "hana", nowNanos: 3 * s)
            XCTFail("sent")
        } catch let e as CaseMessageError {
            XCTAssertEqual(e, .caseIsFinal(ref))
        }
        let listed = try await store.messages(ref: ref)
        XCTAssertEqual(listed, [])
    }
}
