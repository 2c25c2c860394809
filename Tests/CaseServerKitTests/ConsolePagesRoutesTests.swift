import Foundation
import GatewayCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import XCTest

@testable import CaseServerKit

/// The console's pages through `app.test(.router)` on a real store, with the session the
/// console's middleware would have found set by a test middleware: what each role sees (and
/// never sees), the forms and their CSRF token, the live feed, both languages.
final class ConsolePagesRoutesTests: ServerTestCase {
    static let now: Int64 = 1_700_000_000_000_000_000
    let s: Int64 = 1_000_000_000
    var seq: UInt64 = 0
    /// Three insurers on objects 1002*, two with webhooks; guidance for operators' acme scans.
    let policy = try! CasePolicy.parse(
        toml: NotificationOutboxTests.toml + """

            [[guidance]]
            id = "acme-op"
            class = "subject"
            schema = "acme"
            scanner = "operator"
            title = "Case opened"
            text = "Secure the site"
            """
    )
    let csrf = "csrf-token-of-the-session"
    let audits = AuditRecorder()

    /// Sets the session as the console's session middleware would.
    struct TestSession: RouterMiddleware {
        typealias Context = CaseServerRequestContext
        let session: ConsoleSession?
        func handle(
            _ request: Request,
            context: Context,
            next: (Request, Context) async throws -> Response
        ) async throws -> Response {
            var context = context
            context.console = session
            return try await next(request, context)
        }
    }

    static let depot = ConsolePageSites.Site(
        id: "depot-a",
        name: "Depot A",
        areas: [.circle(lat: 31.2304, lon: 121.4737, radiusM: 80)]
    )

    func app(
        _ store: SQLiteCaseStore,
        as user: ConsoleUser?,
        settings: ConsolePages.Settings = .init(),
        sessionLive: @escaping @Sendable (ConsoleSession) async throws -> Bool = { _ in true }
    ) -> some ApplicationProtocol {
        let router = Router(context: CaseServerRequestContext.self)
        router.add(middleware: TestSession(session: user.map { ConsoleSession(id: "s1", user: $0, csrfToken: csrf) }))
        ConsolePages.add(
            to: router,
            group: router.group("/console"),
            store: store,
            catalog: policy.catalog,
            sites: ConsolePageSites(all: [Self.depot], forDevice: { $0 == "term-1" ? Self.depot : nil }),
            clock: { Self.now },
            logger: Logger(label: "test"),
            audit: { [record = audits.audit] actor, action, object, detail in
                try await record(actor, action, object, detail)
                try await store.appendAudit(
                    ConsoleAuditEntry(atNanos: Self.now, actor: actor, action: action, object: object, detail: detail)
                )
            },
            sessionLive: sessionLive,
            pemDevices: { ["term-1"] },
            settings: settings
        )
        return Application(router: router)
    }

    func store() throws -> SQLiteCaseStore { try SQLiteCaseStore(path: dir + "/cases.db") }

    /// A sealed scan of `subject` at the depot's terminal, made at `at`.
    func sealed(
        subject: String,
        at: Int64,
        operatorID: String? = nil,
        location: Location? = nil,
        anomalies: [String]? = nil,
        clock: ClockQuality? = nil
    ) throws -> EnvelopeBatch {
        seq += 1
        var event = CaptureEvent(
            id: "id-\(seq)",
            device: "term-1",
            seq: seq,
            scan: Scan(readerID: "r", bytes: Array("X".utf8), wallNanos: at, monotonicNanos: 0),
            tag: TagClassification(kind: .subject, schema: "acme", subject: subject),
            location: location,
            operatorID: operatorID
        )
        event.locationAnomalies = anomalies
        event.clock = clock
        let envelope = try EnvelopeSealer(device: "term-1", deviceKey: device, serverKey: server.publicKey).seal(
            event,
            sealedAtNanos: 0
        )
        return EnvelopeBatch(envelopes: [envelope])
    }

    /// Stores a scan of `subject` at the depot, received at `at`; returns its case.
    @discardableResult
    func scan(
        _ store: SQLiteCaseStore,
        subject: String,
        at: Int64,
        operatorID: String? = nil,
        location: Location? = nil,
        anomalies: [String]? = nil,
        clock: ClockQuality? = nil
    ) async throws -> String {
        let batch = try sealed(
            subject: subject,
            at: at,
            operatorID: operatorID,
            location: location,
            anomalies: anomalies,
            clock: clock
        )
        let answer = try await receiver(store, policy: policy).receive(batch, nowNanos: at)
        return try XCTUnwrap(answer.results[0].case?.ref)
    }

    let handler = ConsoleUser(name: "hana", role: .handler, sites: ["*"])
    let north = ConsoleUser(name: "nora", role: .insurer, insurer: "north")
    let stranger = ConsoleUser(name: "sam", role: .insurer, insurer: "elsewhere")
    let admin = ConsoleUser(name: "ada", role: .admin)

    func get(_ app: some ApplicationProtocol, _ uri: String) async throws -> (HTTPResponse.Status, String) {
        try await app.test(.router) { client in
            try await client.execute(uri: uri, method: .get) { ($0.status, String(buffer: $0.body)) }
        }
    }

    func post(
        _ app: some ApplicationProtocol,
        _ uri: String,
        _ form: String,
        csrfHeader: String? = nil
    ) async throws -> (HTTPResponse.Status, String?) {
        var fields: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let csrfHeader { fields[.init("X-CSRF-Token")!] = csrfHeader }
        let headers = fields
        return try await app.test(.router) { client in
            try await client.execute(
                uri: uri,
                method: .post,
                headers: headers,
                body: ByteBuffer(string: form)
            ) { ($0.status, $0.headers[.location]) }
        }
    }

    func testWithoutASessionEveryPageIsRefused() async throws {
        let app = app(try store(), as: nil)
        for uri in ["/console/cases", "/console/cases/X", "/console/terminals", "/console/guidance", "/console/events"]
        {
            let (status, _) = try await get(app, uri)
            XCTAssertEqual(status, .unauthorized, uri)
        }
    }

    func testTheListShowsEachCaseWithItsInsurersAndFiltersIt() async throws {
        let db = try store()
        let ref = try await scan(db, subject: "100234", at: Self.now - 120 * s)
        let closed = try await scan(db, subject: "100299", at: Self.now - 3 * 3600 * s)
        try await db.progress(ref: closed, state: "closed", note: "", insurer: nil, nowNanos: Self.now - 3000 * s)

        var (status, html) = try await get(app(db, as: handler), "/console/cases")
        XCTAssertEqual(status, .ok)
        XCTAssertTrue(html.contains(#"id="case-\#(ref)""#), html)
        XCTAssertTrue(html.contains(#"id="case-\#(closed)""#))
        XCTAssertTrue(html.contains("Northern Mutual") && html.contains("Harbour Re"))
        XCTAssertTrue(html.contains("Insurers notified"))
        XCTAssertTrue(html.contains("Depot A"))
        XCTAssertTrue(html.contains(">2 min<"), html)
        XCTAssertTrue(html.contains(#"<html lang="en">"#))
        XCTAssertTrue(html.contains(#"data-feed="/console/events?since=\#(Self.now)""#), html)
        XCTAssertLessThan(html.range(of: ref)!.lowerBound, html.range(of: closed)!.lowerBound, "newest first")

        (status, html) = try await get(app(db, as: handler), "/console/cases?open=open&q=0023&state=")
        XCTAssertTrue(html.contains(ref))
        XCTAssertFalse(html.contains(closed))
        XCTAssertTrue(html.contains(#"data-feed="/console/events?open=open&amp;q=0023&amp;since="#), html)
        (status, html) = try await get(app(db, as: handler), "/console/cases?site=-")
        XCTAssertFalse(html.contains(ref), "every case here is at the depot")
        XCTAssertTrue(html.contains("No cases match."))

        // The list shows the newest cases up to its limit, and says so.
        (status, html) = try await get(app(db, as: handler, settings: .init(listLimit: 1)), "/console/cases")
        XCTAssertTrue(html.contains(ref))
        XCTAssertFalse(html.contains(closed))
        XCTAssertTrue(html.contains("Showing the 1 newest of 2 cases"), html)

        var zh = handler
        zh.language = .simplifiedChinese
        (status, html) = try await get(app(db, as: zh), "/console/cases")
        XCTAssertTrue(html.contains(#"<html lang="zh-Hans">"#))
        XCTAssertTrue(html.contains("已通知保险公司"), html)
        XCTAssertTrue(html.contains("2 分钟"))
    }

    func testAnInsurerSeesOnlyItsCasesAndNeverAnotherInsurersNotes() async throws {
        let db = try store()
        let ref = try await scan(db, subject: "100234", at: Self.now - 60 * s)
        try await db.progress(
            ref: ref,
            state: "acknowledged",
            note: "north-secret-note",
            insurer: "north",
            nowNanos: Self.now - 50 * s
        )
        try await db.progress(
            ref: ref,
            state: "declined",
            note: "harbour-secret-note",
            insurer: "harbour",
            nowNanos: Self.now - 40 * s
        )

        var (status, html) = try await get(app(db, as: north), "/console/cases")
        XCTAssertTrue(html.contains(ref))
        XCTAssertFalse(html.contains("Harbour"), html)
        (status, html) = try await get(app(db, as: north), "/console/cases/\(ref)")
        XCTAssertEqual(status, .ok)
        XCTAssertTrue(html.contains("north-secret-note"))
        XCTAssertFalse(html.contains("harbour-secret-note"), html)
        XCTAssertFalse(html.contains("Harbour"), html)
        XCTAssertFalse(html.contains("harbour"), html)
        XCTAssertTrue(html.contains("Your state on this case"))
        XCTAssertFalse(html.contains(#"name="state"><option value="opened""#), "no form to move the case")
        XCTAssertFalse(html.contains(#"id="messages""#), "the desk's conversation with the site is not the insurer's")

        // A handler sees both, and the questions to the person on site.
        (status, html) = try await get(app(db, as: handler), "/console/cases/\(ref)")
        XCTAssertTrue(html.contains("north-secret-note") && html.contains("harbour-secret-note"))
        XCTAssertTrue(html.contains(#"id="messages""#))

        // An insurer not on the case: not in the list, 404 on its page and its form.
        (status, html) = try await get(app(db, as: stranger), "/console/cases")
        XCTAssertFalse(html.contains(ref))
        (status, _) = try await get(app(db, as: stranger), "/console/cases/\(ref)")
        XCTAssertEqual(status, .notFound)
        let (posted, _) = try await post(
            app(db, as: stranger),
            "/console/cases/\(ref)/progress",
            "_csrf=\(csrf)&state=settled"
        )
        XCTAssertEqual(posted, .notFound)
        (status, _) = try await get(app(db, as: handler), "/console/cases/NO-SUCH")
        XCTAssertEqual(status, .notFound)
    }

    func testTheCasePageShowsTheTimelinePlotDeliveriesAndGuidance() async throws {
        let db = try store()
        let inside = Location(lat: 31.2305, lon: 121.4738, accuracyM: 12)
        let outside = Location(lat: 31.2330, lon: 121.4737, accuracyM: 8)
        let ref = try await scan(
            db,
            subject: "100234",
            at: Self.now - 60 * s,
            operatorID: "OP-pn:7f3a",
            location: inside,
            clock: ClockQuality(reference: "gps", skewMs: 40, trusted: true)
        )
        try await scan(
            db,
            subject: "100234",
            at: Self.now - 30 * s,
            location: outside,
            anomalies: ["outside_geofence"],
            clock: ClockQuality(reference: "none", skewMs: nil, trusted: false)
        )
        let (status, html) = try await get(app(db, as: handler), "/console/cases/\(ref)")
        XCTAssertEqual(status, .ok)
        XCTAssertTrue(html.contains("OP-pn:7f3a"))
        XCTAssertTrue(html.contains("Unidentified scanner"))
        XCTAssertTrue(html.contains("Outside the geofence"))
        XCTAssertTrue(html.contains("Clock trusted (GPS, 40 ms off)"))
        XCTAssertTrue(html.contains("Clock not trusted"))
        XCTAssertTrue(html.contains(#"<svg xmlns="http://www.w3.org/2000/svg" class="scan-plot""#), html)
        XCTAssertTrue(html.contains(#"class="scan anomalous""#))
        XCTAssertTrue(html.contains(#"<circle class="area""#))
        // Guidance as configured for an operator's acme scan; deliveries to the webhooks.
        XCTAssertTrue(html.contains("Case opened") && html.contains("Secure the site"))
        XCTAssertTrue(html.contains("Configured for this type of event."), html)
        XCTAssertTrue(html.contains("Webhook deliveries"))
        XCTAssertTrue(html.contains(#"class="delivery-pending""#), html)
        XCTAssertTrue(html.contains(#"name="_csrf" value="\#(csrf)""#))
        XCTAssertTrue(html.contains(#"data-feed="/console/events?ref=\#(ref)&amp;since="#), html)
    }

    func testTheFormsMoveTheCaseWithTheSessionsTokenOnly() async throws {
        let db = try store()
        let ref = try await scan(db, subject: "100234", at: Self.now - 60 * s)
        var (status, location) = try await post(
            app(db, as: handler),
            "/console/cases/\(ref)/progress",
            "state=assessor_assigned"
        )
        XCTAssertEqual(status, .forbidden, "no CSRF token")
        (status, location) = try await post(
            app(db, as: handler),
            "/console/cases/\(ref)/progress",
            "_csrf=wrong&state=assessor_assigned"
        )
        XCTAssertEqual(status, .forbidden)
        var c = try await db.caseChange(ref: ref)
        XCTAssertEqual(c?.state, "insurers_notified")

        (status, location) = try await post(
            app(db, as: handler),
            "/console/cases/\(ref)/progress",
            "_csrf=\(csrf)&state=assessor_assigned&note=On+the+way+%26+soon"
        )
        XCTAssertEqual(status, .seeOther)
        XCTAssertEqual(location, "/console/cases/\(ref)")
        c = try await db.caseChange(ref: ref)
        XCTAssertEqual(c?.state, "assessor_assigned")
        let notes = try await db.caseStatus(ref: ref, catalog: policy.catalog)?.notes.map(\.text)
        XCTAssertEqual(notes?.last, "On the way & soon")

        // A refused step comes back to the page with the catalogue's reason.
        (status, location) = try await post(
            app(db, as: handler),
            "/console/cases/\(ref)/progress",
            "_csrf=\(csrf)&state=teleported"
        )
        XCTAssertEqual(location, "/console/cases/\(ref)?error=unknown_state")
        let (_, html) = try await get(app(db, as: handler), location!)
        XCTAssertTrue(html.contains("That state is not one this case can take."))

        // An insurer's form changes its own insurer's state only, whatever it sends.
        (status, location) = try await post(
            app(db, as: north),
            "/console/cases/\(ref)/progress",
            "_csrf=\(csrf)&state=acknowledged&insurer=harbour"
        )
        XCTAssertEqual(status, .seeOther)
        c = try await db.caseChange(ref: ref)
        XCTAssertEqual(c?.state, "assessor_assigned")
        XCTAssertEqual(c?.insurers.map(\.state), ["acknowledged", "notified", "notified"])
        // Each change is in the audit log with who made it; the refused ones are not.
        XCTAssertEqual(
            audits.entries,
            [
                ["hana", "case-progress", ref, "state=assessor_assigned note=yes"],
                ["nora", "insurer-progress", ref, "state=acknowledged insurer=north"],
            ]
        )

        // A script's POST carries the token in its header (`X-CSRF-Token`), as the middleware takes it.
        (status, _) = try await post(
            app(db, as: handler),
            "/console/cases/\(ref)/progress",
            "state=assessor_on_site",
            csrfHeader: "wrong"
        )
        XCTAssertEqual(status, .forbidden)
        (status, _) = try await post(
            app(db, as: handler),
            "/console/cases/\(ref)/progress",
            "state=assessor_on_site",
            csrfHeader: csrf
        )
        XCTAssertEqual(status, .seeOther)
        c = try await db.caseChange(ref: ref)
        XCTAssertEqual(c?.state, "assessor_on_site")
    }

    func testEveryChangeAFormMakesIsInTheAuditLogWithWhoAndWhen() async throws {
        let db = try store()
        let ref = try await scan(db, subject: "100234", at: Self.now - 60 * s)
        var (status, _) = try await post(
            app(db, as: handler),
            "/console/cases/\(ref)/progress",
            "_csrf=\(csrf)&state=assessor_assigned&note=Ms+Li+called"
        )
        XCTAssertEqual(status, .seeOther)
        (status, _) = try await post(
            app(db, as: north),
            "/console/cases/\(ref)/progress",
            "_csrf=\(csrf)&state=acknowledged"
        )
        XCTAssertEqual(status, .seeOther)
        (status, _) = try await post(app(db, as: handler), "/console/cases/\(ref)/progress", "_csrf=\(csrf)&state=x")
        XCTAssertEqual(status, .seeOther, "refused: nothing changed, nothing recorded")
        let type = "class=subject schema=acme scanner=unidentified"
        (status, _) = try await post(
            app(db, as: admin),
            "/console/guidance/promote",
            "_csrf=\(csrf)&type=" + type.replacingOccurrences(of: " ", with: "+")
        )
        XCTAssertEqual(status, .seeOther)

        let log = try await db.auditLog(limit: 10, beforeID: nil).reversed()
        XCTAssertEqual(
            log.map { [$0.actor, $0.action, $0.object, $0.detail] },
            [
                ["hana", "case-progress", ref, "state=assessor_assigned note=yes"],
                ["nora", "insurer-progress", ref, "state=acknowledged insurer=north"],
                ["ada", "guidance-promote", type, ""],
            ]
        )
        XCTAssertEqual(log.map(\.atNanos), [Self.now, Self.now, Self.now])
        XCTAssertFalse(log.contains { $0.detail.contains("Li") }, "a note's text is the case's, not the log's")
    }

    func testTheFeedSendsNewCasesAndChangesMadeByAnyoneInTheStore() async throws {
        let db = try store()
        let before = try await scan(db, subject: "100111", at: Self.now - 60 * s)
        let settings = ConsolePages.Settings(
            feedPeriod: .milliseconds(50),
            feedLifetime: .milliseconds(900),
            feedLimit: 50
        )
        let since = Self.now - 10 * s
        // Another instance's scan while the feed runs: the feed reads it from the store.
        let (r, batch, now) = (receiver(db, policy: policy), try sealed(subject: "100222", at: Self.now), Self.now)
        let later = Task {
            try await Task.sleep(for: .milliseconds(300))
            return try await r.receive(batch, nowNanos: now).results[0].case?.ref ?? "-"
        }
        let (status, body) = try await get(
            app(db, as: north, settings: settings),
            "/console/events?since=\(since)&open=open"
        )
        let fresh = try await later.value
        XCTAssertEqual(status, .ok)
        XCTAssertTrue(body.hasPrefix("retry: 1000\n\n"), body)
        XCTAssertFalse(body.contains(before), "changed before the watermark's overlap")
        XCTAssertTrue(body.contains("event: row\ndata: "), body)
        XCTAssertTrue(body.contains(#""ref":"\#(fresh)""#), body)
        XCTAssertTrue(body.contains("id: \(Self.now)\n"), body)
        XCTAssertTrue(body.contains("Northern Mutual"))
        XCTAssertFalse(body.contains("Harbour"), "another insurer's row")

        // An insurer not on it is sent nothing of it; a filter it leaves is sent as gone.
        let (_, none) = try await get(app(db, as: stranger, settings: settings), "/console/events?since=\(since)")
        XCTAssertFalse(none.contains(fresh), none)
        try await db.progress(ref: fresh, state: "closed", note: "", insurer: nil, nowNanos: Self.now + s)
        let (_, gone) = try await get(
            app(db, as: handler, settings: settings),
            "/console/events?since=\(Self.now)&open=open"
        )
        XCTAssertTrue(gone.contains("event: gone\ndata: {\"ref\":\"\(fresh)\"}"), gone)
        // Reconnecting with the last event's id resumes from it.
        let (soon, muchLater) = (String(Self.now + 2 * s), String(Self.now + 60 * s))
        let resumed = try await app(db, as: handler, settings: settings).test(.router) { client in
            try await client.execute(
                uri: "/console/events",
                method: .get,
                headers: [.init("Last-Event-ID")!: soon]
            ) { String(buffer: $0.body) }
        }
        XCTAssertTrue(resumed.contains(fresh), "within the overlap")
        let resumedLater = try await app(db, as: handler, settings: settings).test(.router) { client in
            try await client.execute(
                uri: "/console/events",
                method: .get,
                headers: [.init("Last-Event-ID")!: muchLater]
            ) { String(buffer: $0.body) }
        }
        XCTAssertFalse(resumedLater.contains(fresh))
    }

    func testACasePagesFeedSaysOnlyWhenItsCaseChangesAfterThePageWasRendered() async throws {
        let db = try store()
        let ref = try await scan(db, subject: "100234", at: Self.now - 60 * s)
        let other = try await scan(db, subject: "100299", at: Self.now - 30 * s)
        let settings = ConsolePages.Settings(
            feedPeriod: .milliseconds(50),
            feedLifetime: .milliseconds(300),
            feedLimit: 50
        )
        let page = "/console/events?ref=\(ref)&since=\(Self.now - 60 * s)"
        var (_, body) = try await get(app(db, as: handler, settings: settings), page)
        XCTAssertFalse(body.contains("event: row"), "the version the page shows: \(body)")
        XCTAssertFalse(body.contains(other))
        try await db.progress(ref: ref, state: "assessor_assigned", note: "", insurer: nil, nowNanos: Self.now - 20 * s)
        (_, body) = try await get(app(db, as: handler, settings: settings), page)
        XCTAssertTrue(body.contains(#""ref":"\#(ref)""#), body)
        XCTAssertFalse(body.contains(other))
    }

    func testTerminalsAreForStaffAndOverdueOnesComeFirst() async throws {
        let db = try store()
        try await scan(db, subject: "100234", at: Self.now - 60 * s)
        var (status, html) = try await get(app(db, as: north), "/console/terminals")
        XCTAssertEqual(status, .forbidden)
        (status, html) = try await get(app(db, as: handler), "/console/terminals")
        XCTAssertEqual(status, .ok)
        XCTAssertTrue(html.contains(#"<tr class="terminal state-silent" data-device="term-1">"#), html)
        XCTAssertTrue(html.contains("Never heard from"))
        XCTAssertTrue(html.contains(#"<svg xmlns="http://www.w3.org/2000/svg" class="terminal-chart""#))
        XCTAssertTrue(html.contains(#"aria-current="page">Terminals"#), html)
        // The insurer's navigation has no terminals link.
        (status, html) = try await get(app(db, as: north), "/console/cases")
        XCTAssertFalse(html.contains("/console/terminals"))
        // A handler of another site does not see the depot's terminal; one of the depot does.
        let elsewhere = ConsoleUser(name: "e", role: .handler, sites: ["depot-b"])
        (status, html) = try await get(app(db, as: elsewhere), "/console/terminals")
        XCTAssertEqual(status, .ok)
        XCTAssertFalse(html.contains(#"data-device="term-1""#), html)
        let depot = ConsoleUser(name: "d", role: .handler, sites: ["depot-a"])
        (status, html) = try await get(app(db, as: depot), "/console/terminals")
        XCTAssertTrue(html.contains(#"data-device="term-1""#), html)
    }

    func testEveryPageHasTheConsolesNavigationWithTheSignOutForm() async throws {
        let db = try store()
        let ref = try await scan(db, subject: "100234", at: Self.now - 60 * s)
        for uri in ["/console/cases", "/console/cases/\(ref)", "/console/terminals", "/console/guidance"] {
            let (status, html) = try await get(app(db, as: admin), uri)
            XCTAssertEqual(status, .ok, uri)
            // Who is signed in, the way out, the admin's own pages, and the token scripts send.
            XCTAssertTrue(html.contains(#"<form class="signout" method="post" action="/console/logout">"#), uri)
            XCTAssertTrue(html.contains("Sign out"), uri)
            XCTAssertTrue(html.contains(#"href="/console/accounts""#) && html.contains(#"href="/console/audit""#), uri)
            XCTAssertTrue(html.contains(#"<meta name="csrf-token" content="\#(csrf)">"#), uri)
        }
        var (status, html) = try await get(app(db, as: handler), "/console/cases")
        XCTAssertTrue(html.contains("Sign out") && !html.contains(#"href="/console/accounts""#))
        // A refusal is a page of the console too, in the user's words, not the browser's.
        (status, html) = try await get(app(db, as: handler), "/console/cases/RC-NOPE")
        XCTAssertEqual(status, .notFound)
        XCTAssertTrue(html.contains("<h1>Not found</h1>") && html.contains("Sign out"), html)
        (status, html) = try await get(app(db, as: north), "/console/terminals")
        XCTAssertEqual(status, .forbidden)
        XCTAssertTrue(html.contains("<h1>Not allowed</h1>") && html.contains("Sign out"), html)
    }

    func testAnAdminPromotesASimilarLinkAndOthersCannot() async throws {
        let db = try store()
        try await scan(db, subject: "100234", at: Self.now - 60 * s)  // a bystander's scan: similar guidance
        let type = "class=subject schema=acme scanner=unidentified"
        var (status, html) = try await get(app(db, as: admin), "/console/guidance")
        XCTAssertEqual(status, .ok)
        XCTAssertTrue(html.contains(type))
        XCTAssertTrue(html.contains("Make it configured"))
        (_, html) = try await get(app(db, as: handler), "/console/guidance")
        XCTAssertFalse(html.contains("Make it configured"))

        let form = "_csrf=\(csrf)&type=" + type.replacingOccurrences(of: " ", with: "+")
        var location: String?
        (status, location) = try await post(app(db, as: handler), "/console/guidance/promote", form)
        XCTAssertEqual(status, .forbidden)
        (status, location) = try await post(app(db, as: admin), "/console/guidance/promote", "type=x")
        XCTAssertEqual(status, .forbidden, "no CSRF token")
        (status, location) = try await post(app(db, as: admin), "/console/guidance/promote", form)
        XCTAssertEqual(status, .seeOther)
        let links = try await db.guidanceLinks()
        XCTAssertEqual(links.first { $0.type == type }?.how, "configured")
        XCTAssertEqual(audits.entries, [["ada", "guidance-promote", type, ""]])
        (_, html) = try await get(app(db, as: admin), location!)
        XCTAssertTrue(html.contains("is now configured"), html)
        (_, html) = try await get(app(db, as: admin), "/console/guidance?promoted=Call+this+number")
        XCTAssertFalse(html.contains("Call this number"), "a link's own words are not shown")
        (status, _) = try await post(app(db, as: admin), "/console/guidance/promote", form)
        XCTAssertEqual(status, .notFound, "no similar link left for it")
    }

    func testEveryPageForbidsFramingAndScriptsFromElsewhere() async throws {
        let db = try store()
        let ref = try await scan(db, subject: "100234", at: Self.now - 60 * s)
        try await app(db, as: admin).test(.router) { client in
            for uri in ["/console/cases", "/console/cases/\(ref)", "/console/terminals", "/console/guidance"] {
                try await client.execute(uri: uri, method: .get) { r in
                    XCTAssertEqual(r.status, .ok, uri)
                    XCTAssertEqual(r.headers[HTTPField.Name("X-Frame-Options")!], "DENY", uri)
                    XCTAssertEqual(r.headers[HTTPField.Name("X-Content-Type-Options")!], "nosniff", uri)
                    let csp = r.headers[HTTPField.Name("Content-Security-Policy")!] ?? ""
                    XCTAssertTrue(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), uri)
                }
            }
        }
    }

    func testEveryPageHasTheSignOutFormAndAnAdminsLinks() async throws {
        let db = try store()
        let ref = try await scan(db, subject: "100234", at: Self.now - 60 * s)
        for uri in ["/console/cases", "/console/cases/\(ref)", "/console/terminals", "/console/guidance"] {
            let (_, html) = try await get(app(db, as: admin), uri)
            XCTAssertTrue(html.contains(#"<form class="signout" method="post" action="/console/logout">"#), uri)
            XCTAssertTrue(html.contains(#">ada</span>"#), uri)
            XCTAssertTrue(html.contains(#"<input type="hidden" name="_csrf" value="\#(csrf)">"#), uri)
            XCTAssertTrue(html.contains(#"href="/console/audit""#) && html.contains(#"href="/console/accounts""#), uri)
        }
        let (_, html) = try await get(app(db, as: north), "/console/cases/\(ref)")
        XCTAssertTrue(html.contains(#"action="/console/logout""#))
        XCTAssertFalse(html.contains(#"href="/console/audit""#), "an admin's links are an admin's")
    }

    func testTheStyleAndScriptAreServedFromTheBinary() async throws {
        let app = app(try store(), as: nil)
        try await app.test(.router) { client in
            try await client.execute(uri: "/console/static/pages.js", method: .get) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertEqual(r.headers[.contentType], "text/javascript; charset=utf-8")
                XCTAssertTrue(String(buffer: r.body).contains("EventSource"))
                XCTAssertFalse(String(buffer: r.body).contains("http"), "nothing from outside")
            }
            try await client.execute(uri: "/console/static/pages.css", method: .get) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertFalse(String(buffer: r.body).contains("url("), "nothing from outside")
            }
        }
    }

    /// A session that ends while its live feed runs (signed out elsewhere, the account
    /// disabled) ends the feed at its next check, not at the end of the feed's lifetime.
    func testAFeedEndsWhenItsSessionEnds() async throws {
        let db = try store()
        let checks = Mutex(0)
        let settings = ConsolePages.Settings(
            feedPeriod: .milliseconds(10),
            feedLifetime: .seconds(3),
            sessionCheckPeriod: .milliseconds(50)
        )
        let (status, body) = try await get(
            app(db, as: handler, settings: settings) { session in
                XCTAssertEqual(session.user.name, "hana")
                checks.withLock { $0 += 1 }
                return false
            },
            "/console/events?since=\(Self.now)"
        )
        XCTAssertEqual(status, .ok)
        XCTAssertTrue(body.hasPrefix("retry: 1000\n\n"), body)
        XCTAssertEqual(checks.withLock { $0 }, 1, "ended at the first check that found the session gone")
    }
}
