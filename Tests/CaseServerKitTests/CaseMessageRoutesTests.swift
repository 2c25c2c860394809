import Foundation
import GatewayCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import XCTest

@testable import CaseServerKit

/// `POST /v1/cases/{ref}/messages` (staff token) and the console's form handler, through
/// `app.test(.router)` on a real store; the message then shows in `GET /v1/cases/{ref}`.
final class CaseMessageRoutesTests: ServerTestCase {
    static let token = "staff-token-0123456789"
    static let now: Int64 = 1_700_000_000_000_000_000

    func store() throws -> SQLiteCaseStore { try SQLiteCaseStore(path: dir + "/cases.db") }

    func apiApp(_ store: SQLiteCaseStore, staffToken: String?) -> some ApplicationProtocol {
        Application(
            router: CaseServerRoutes.router(
                receiver: receiver(store),
                repository: store,
                catalog: CasePolicy.builtIn.catalog,
                staffToken: staffToken,
                clock: { Self.now },
                logger: Logger(label: "test"),
                messages: store
            )
        )
    }

    /// Stands in for the console's session middleware: the session named by a test header.
    struct TestSession: RouterMiddleware {
        typealias Context = CaseServerRequestContext
        let sessions: [String: ConsoleSession]

        func handle(
            _ request: Request,
            context: Context,
            next: (Request, Context) async throws -> Response
        ) async throws -> Response {
            var context = context
            if let name = request.headers[HTTPField.Name("X-Test-Session")!] { context.console = sessions[name] }
            return try await next(request, context)
        }
    }

    let audits = AuditRecorder()

    func consoleApp(_ store: SQLiteCaseStore, hidden: Set<String> = []) -> some ApplicationProtocol {
        let router = Router(context: CaseServerRequestContext.self)
        let group = router.group("/console").add(
            middleware: TestSession(sessions: [
                "handler": ConsoleSession(
                    id: "s1",
                    user: ConsoleUser(name: "hana", role: .handler, sites: ["*"]),
                    csrfToken: "c"
                ),
                "admin": ConsoleSession(id: "s2", user: ConsoleUser(name: "root", role: .admin), csrfToken: "c"),
                "insurer": ConsoleSession(
                    id: "s3",
                    user: ConsoleUser(name: "ins", role: .insurer, insurer: "north"),
                    csrfToken: "c"
                ),
            ])
        )
        CaseMessageRoutes.addConsole(
            to: group,
            messages: store,
            mayView: { _, ref in !hidden.contains(ref) },
            clock: { Self.now },
            logger: Logger(label: "test"),
            audit: audits.audit
        )
        return Application(router: router)
    }

    func openCase(_ store: SQLiteCaseStore) async throws -> String {
        try await openCase(store, policy: .builtIn, subject: "100234", seq: 1, nowNanos: Self.now)
    }

    func testTheAPIWantsTheStaffTokenAndAValidMessageThenTheCaseListsIt() async throws {
        let store = try store()
        let ref = try await openCase(store)
        try await apiApp(store, staffToken: nil).test(.router) { client in
            try await client.execute(
                uri: "/v1/cases/\(ref)/messages",
                method: .post,
                headers: [.authorization: "Bearer \(Self.token)"],
                body: ByteBuffer(string: #"{"kind":"instruction","text":"Stay away"}"#)
            ) { response in
                XCTAssertEqual(response.status, .forbidden, "off without a staff token")
            }
        }
        try await apiApp(store, staffToken: Self.token).test(.router) { client in
            let uri = "/v1/cases/\(ref)/messages"
            let good = #"{"kind":"question","text":"Is anyone hurt?","choices":["Yes","No"]}"#
            for auth in ["", "Bearer wrong-token-0123456789", Self.token] {
                try await client.execute(
                    uri: uri,
                    method: .post,
                    headers: auth.isEmpty ? [:] : [.authorization: auth],
                    body: ByteBuffer(string: good)
                ) { response in
                    XCTAssertEqual(response.status, .unauthorized, auth)
                }
            }
            let bearer: HTTPFields = [.authorization: "Bearer \(Self.token)"]
            try await client.execute(uri: uri, method: .post, headers: bearer, body: ByteBuffer(string: "{")) {
                XCTAssertEqual($0.status, .badRequest)
            }
            try await client.execute(
                uri: uri,
                method: .post,
                headers: bearer,
                body: ByteBuffer(string: #"{"kind":"question","text":"Is anyone hurt?","choices":["Yes"]}"#)
            ) { response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertTrue(String(buffer: response.body).contains("2 to 6 answer choices (it has 1)"))
            }
            try await client.execute(
                uri: "/v1/cases/RC-NONE/messages",
                method: .post,
                headers: bearer,
                body: ByteBuffer(string: good)
            ) { XCTAssertEqual($0.status, .notFound) }
            let id = try await client.execute(uri: uri, method: .post, headers: bearer, body: ByteBuffer(string: good))
            {
                response in
                XCTAssertEqual(response.status, .created)
                let m = try JSONDecoder().decode(CaseMessage.self, from: Data(response.body.readableBytesView))
                XCTAssertEqual(m.choices, ["Yes", "No"])
                XCTAssertFalse(m.answered)
                return m.id
            }
            try await client.execute(uri: "/v1/cases/\(ref)", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                let status = try JSONDecoder().decode(CaseStatus.self, from: Data(response.body.readableBytesView))
                XCTAssertEqual(status.messages?.map(\.id), [id])
                XCTAssertEqual(status.messages?.first?.text, "Is anyone hurt?")
                XCTAssertTrue(String(buffer: response.body).contains(#""answered":false"#))
            }
        }
    }

    static func form(_ fields: [(String, String)]) -> ByteBuffer {
        let allowed = CharacterSet.alphanumerics
        return ByteBuffer(
            string: fields.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
                .joined(separator: "&")
        )
    }

    static func headers(_ session: String?) -> HTTPFields {
        var h: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let session { h[HTTPField.Name("X-Test-Session")!] = session }
        return h
    }

    func testTheConsoleFormSendsForHandlersAndAdminsOnlyOnCasesTheyMaySee() async throws {
        let store = try store()
        let ref = try await openCase(store)
        let fields: [(String, String)] = [
            ("_csrf", "c"), ("kind", "question"), ("text", "有人受伤吗？"), ("choice", "有"), ("choice", "没有"),
            ("choice", ""), ("choice", "不确定"),
        ]
        try await consoleApp(store, hidden: [ref]).test(.router) { client in
            try await client.execute(
                uri: "/console/cases/\(ref)/messages",
                method: .post,
                headers: Self.headers("handler"),
                body: Self.form(fields)
            ) { XCTAssertEqual($0.status, .notFound, "a case the user may not see does not exist for them") }
        }
        try await consoleApp(store).test(.router) { client in
            let uri = "/console/cases/\(ref)/messages"
            for (session, status) in [(nil, HTTPResponse.Status.forbidden), ("insurer", .forbidden)] {
                try await client.execute(
                    uri: uri,
                    method: .post,
                    headers: Self.headers(session),
                    body: Self.form(fields)
                ) {
                    XCTAssertEqual($0.status, status)
                }
            }
            try await client.execute(uri: uri, method: .post, headers: Self.headers("handler"), body: Self.form(fields))
            {
                response in
                XCTAssertEqual(response.status, .seeOther)
                XCTAssertEqual(response.headers[.location], "/console/cases/\(ref)#messages")
            }
            try await client.execute(
                uri: uri,
                method: .post,
                headers: Self.headers("admin"),
                body: Self.form([("kind", "instruction"), ("text", "Stay away"), ("choice", "x")])
            ) { response in
                XCTAssertEqual(response.status, .seeOther)
                XCTAssertEqual(
                    response.headers[.location],
                    "/console/cases/\(ref)?talk_error=instruction_with_answers#messages"
                )
            }
            try await client.execute(
                uri: "/console/cases/RC-NONE/messages",
                method: .post,
                headers: Self.headers("admin"),
                body: Self.form(fields)
            ) { XCTAssertEqual($0.status, .notFound) }
        }
        let listed = try await store.messages(ref: ref)
        XCTAssertEqual(listed.count, 1, "the refused ones stored nothing")
        XCTAssertEqual(listed[0].text, "有人受伤吗？")
        XCTAssertEqual(listed[0].choices, ["有", "没有", "不确定"], "the empty choice field is no choice")
        XCTAssertEqual(audits.entries, [["hana", "case-message", ref, listed[0].id]], "who sent it, by id only")
    }

    func testFormFieldsDecodePlusPercentAndRepeatedNames() {
        let f = FormFields("a=1+2&b=%E4%BD%A0%3D&b=&c&a=x%2")
        XCTAssertEqual(f.first("a"), "1 2")
        XCTAssertEqual(f.all("b"), ["你=", ""])
        XCTAssertEqual(f.first("c"), "")
        XCTAssertEqual(f.all("a"), ["1 2", "x%2"])
        XCTAssertNil(f.first("d"))
    }

    func testADraftIsChecked() throws {
        XCTAssertNoThrow(try CaseMessageDraft(kind: "question", text: "?", choices: ["a", "b"]))
        XCTAssertNoThrow(try CaseMessageDraft(kind: "question", text: "?", freeText: true))
        XCTAssertNoThrow(try CaseMessageDraft(kind: "question", text: "?", choices: ["a", "b"], freeText: true))
        let cases: [(CaseMessageDraft.Type, () throws -> CaseMessageDraft, CaseMessageError)] = [
            (CaseMessageDraft.self, { try CaseMessageDraft(kind: "poll", text: "?") }, .unknownKind("poll")),
            (CaseMessageDraft.self, { try CaseMessageDraft(kind: "instruction", text: "  ") }, .emptyText),
            (
                CaseMessageDraft.self,
                { try CaseMessageDraft(kind: "instruction", text: String(repeating: "x", count: 301)) },
                .textTooLong(max: 300)
            ),
            (CaseMessageDraft.self, { try CaseMessageDraft(kind: "question", text: "?") }, .choiceCount(0)),
            (
                CaseMessageDraft.self,
                {
                    try CaseMessageDraft(
                        kind: "question",
                        text: "?",
                        choices: Array(repeating: "a", count: 7).enumerated().map { "\($0.offset)" }
                    )
                },
                .choiceCount(7)
            ),
            (
                CaseMessageDraft.self, { try CaseMessageDraft(kind: "question", text: "?", choices: ["a", "a"]) },
                .duplicateChoice
            ),
            (
                CaseMessageDraft.self,
                {
                    try CaseMessageDraft(
                        kind: "question",
                        text: "?",
                        choices: ["a", String(repeating: "b", count: 41)]
                    )
                },
                .choiceTooLong(String(repeating: "b", count: 41), max: 40)
            ),
            (
                CaseMessageDraft.self,
                { try CaseMessageDraft(kind: "instruction", text: "Go", freeText: true) },
                .instructionWithAnswers
            ),
        ]
        for (_, make, expected) in cases {
            XCTAssertThrowsError(try make()) { XCTAssertEqual($0 as? CaseMessageError, expected) }
        }
        let d = try CaseMessageDraft(kind: "question", text: "  Hurt?  ", choices: [" Yes ", "", "No"])
        XCTAssertEqual(d.text, "Hurt?")
        XCTAssertEqual(d.choices, ["Yes", "No"])
        let ids = Set((0..<100).map { _ in CaseMessageDraft.drawID() })
        XCTAssertEqual(ids.count, 100)
        XCTAssertTrue(ids.allSatisfy { $0.count == 16 && $0.allSatisfy(\.isHexDigit) })
    }

    /// The partial shows each message's state in the user's language, escapes what people
    /// wrote, names a refused form's error, and gives the form to those who may send.
    func testThePartialShowsEachMessagesStateInTheUsersLanguage() {
        let messages = [
            CaseMessage(
                id: "a1",
                kind: "question",
                text: "Is anyone hurt? <script>",
                choices: ["Yes", "No"],
                sentAt: "2026-12-07T09:00:00.000Z",
                answered: true,
                answer: "No",
                answeredAt: "2026-12-07T09:01:30.000Z",
                replyEvent: "e1"
            ),
            CaseMessage(id: "b2", kind: "instruction", text: "Keep people away", sentAt: "2026-12-07T09:02:00.000Z"),
        ]
        let zh = ConsoleSession(
            id: "s",
            user: ConsoleUser(
                name: "li",
                role: .handler,
                language: .simplifiedChinese,
                timeZone: TimeZone(identifier: "Asia/Shanghai")!
            ),
            csrfToken: "tok"
        )
        let html = ConsoleTemplates.render(
            "case_messages",
            CaseMessagesView.values(ref: "RC-1", messages: messages, session: zh, error: "choice_count"),
            user: zh.user
        )
        XCTAssertTrue(html.contains("向现场人员提问"), html)
        XCTAssertTrue(html.contains("已回答"), html)
        XCTAssertTrue(html.contains("尚未确认"), html)
        XCTAssertTrue(html.contains("问题需要 2 至 6 个答案选项"), html)
        XCTAssertTrue(html.contains("17:01:30"), "in the user's time zone: \(html)")
        XCTAssertTrue(html.contains("Is anyone hurt? &lt;script&gt;"), html)
        XCTAssertFalse(html.contains("<script>"))
        XCTAssertTrue(html.contains(#"<li class="chosen">No</li>"#), html)
        XCTAssertTrue(html.contains(#"name="_csrf" value="tok""#), html)
        XCTAssertTrue(html.contains(#"action="/console/cases/RC-1/messages""#), html)
        XCTAssertTrue(html.contains(#"class="message unanswered" data-message="b2""#), html)

        // As the case page includes it: `{{> case_messages}}`, the page's values merged with its own.
        var library = ConsoleTemplates.library
        XCTAssertNoThrow(try library.register("<main>{{> case_messages}}</main>", named: "test_case_page"))
        var values = CaseMessagesView.values(ref: "RC-1", messages: messages, session: zh)
        values["t"] = zh.user.catalog.nested
        let page = library.render(values, withTemplate: "test_case_page") ?? ""
        XCTAssertTrue(
            page.hasPrefix("<main>") && page.contains("向现场人员提问") && page.contains("data-message=\"a1\""),
            page
        )

        let insurer = ConsoleSession(
            id: "s",
            user: ConsoleUser(name: "i", role: .insurer, insurer: "north"),
            csrfToken: "t"
        )
        let seen = ConsoleTemplates.render(
            "case_messages",
            CaseMessagesView.values(ref: "RC-1", messages: [], session: insurer, error: "no-such-key"),
            user: insurer.user
        )
        XCTAssertTrue(seen.contains("No question or instruction sent yet."), seen)
        XCTAssertFalse(seen.contains("<form"), "an insurer may not send")
        XCTAssertFalse(seen.contains(#"role="alert""#), "an unknown error key shows nothing")
    }
}
