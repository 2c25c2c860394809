import Foundation
import GatewayCore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The console's pages, server-rendered from the Mustache templates in every user's language,
/// and the change feed that keeps the case list live:
///
///     GET  /console/cases                 the case list (filters: state, site, open, q)
///     GET  /console/events                server-sent events: a case row each time a case changes
///     GET  /console/cases/{ref}           a case: timeline, plot, insurers, deliveries, guidance, forms
///     POST /console/cases/{ref}/progress  a form's step (`repository.progress`), then back to the case
///     GET  /console/terminals             the fleet, overdue terminals first, with a chart each
///     GET  /console/guidance              the guidance catalogue and the links per event type
///     POST /console/guidance/promote      an admin makes a "similar" link configured guidance
///     GET  /console/static/pages.css|js   the pages' style and script (compiled in)
///
/// Every route expects the console's session middleware to have set `context.console`; a case
/// the user may not see answers 404 like a case that does not exist (`ConsolePageScope`), and
/// every POST must carry the session's CSRF token. Every change a form makes is written to the
/// audit log (`audit`, `Console.audit` in the server) with who made it.
public enum ConsolePages {

    public struct Settings: Sendable {
        /// How often a change feed asks the store what changed.
        public var feedPeriod: Duration
        /// How long one feed response lasts; the browser then reconnects on its own, from the
        /// last event's id (its watermark). Under the connection guard's idle timeout
        /// (`ConnectionTimeouts.idle`), which counts from the response's head.
        public var feedLifetime: Duration
        /// How often a live feed checks that its session still stands.
        public var sessionCheckPeriod: Duration
        /// The most rows one read of the feed takes.
        public var feedLimit: Int
        /// The most cases the list shows (the newest); a filter finds the others.
        public var listLimit: Int

        public init(
            feedPeriod: Duration = .milliseconds(250),
            feedLifetime: Duration = .seconds(60),
            feedLimit: Int = 200,
            listLimit: Int = 500,
            sessionCheckPeriod: Duration = .seconds(5)
        ) {
            self.sessionCheckPeriod = sessionCheckPeriod
            self.feedPeriod = feedPeriod
            self.feedLifetime = feedLifetime
            self.feedLimit = feedLimit
            self.listLimit = listLimit
        }
    }

    public static func add(
        to router: Router<CaseServerRequestContext>,
        group: RouterGroup<CaseServerRequestContext>,
        store: any CaseStore,
        catalog: GuidanceCatalog,
        sites: ConsolePageSites = .init(),
        clock: @escaping @Sendable () -> Int64,
        logger: Logger,
        audit: @escaping Console.Auditor,
        sessionLive: @escaping @Sendable (ConsoleSession) async throws -> Bool = { _ in true },
        pemDevices: @escaping @Sendable () -> Set<String> = { [] },
        settings: Settings = .init()
    ) {
        router.get("/console/static/pages.css") { _, _ in
            asset(PackageResources.pages_css, type: "text/css; charset=utf-8")
        }
        router.get("/console/static/pages.js") { _, _ in
            asset(PackageResources.pages_js, type: "text/javascript; charset=utf-8")
        }

        group.get("cases") { request, context -> Response in
            let session = try signedIn(context)
            let user = session.user
            let query = formValues(request.uri.query ?? "")
            let filter = CaseListFilter(query: query)
            let now = clock()
            let rows = try await store.caseChanges(sinceNanos: 0, afterRef: "", limit: Int.max)
                .filter { c in
                    ConsolePageScope.mayView(user, c, site: sites.forDevice(c.device)?.id)
                        && filter.matches(c, siteID: sites.forDevice(c.device)?.id)
                }
                .sorted { $0.openedAtNanos > $1.openedAtNanos }
            let t = user.catalog
            let shown = rows.prefix(settings.listLimit)
            var feed = filter.query
            feed["since"] = String(now)
            let values: [String: Any] = [
                "nav": ConsolePage.nav(session, page: "cases"),
                "rows": shown.map { CaseRowView.values($0, user: user, sites: sites, nowNanos: now) },
                "hasRows": !rows.isEmpty,
                "truncated": rows.count > shown.count
                    ? t.format("cases.truncated", ["n": String(shown.count), "total": String(rows.count)]) : "",
                "feedURL": "/console/events?" + encode(feed),
                "q": filter.text ?? "",
                "stateOptions": CaseStates.ofCase.map {
                    ["value": $0, "label": ConsolePageText.caseState($0, t), "selected": $0 == filter.state]
                },
                "openOptions": [("open", "cases.filter_open"), ("final", "cases.filter_final")].map {
                    ["value": $0.0, "label": t[$0.1], "selected": query["open"] == $0.0]
                },
                "hasSites": !sites.all.isEmpty,
                "siteOptions":
                    (sites.all.map { ($0.id, $0.name) } + [(ConsolePageSites.unassigned, t["pages.unassigned"])])
                    .map { ["value": $0.0, "label": $0.1, "selected": filter.site == $0.0] },
            ]
            return page("cases", values, session)
        }

        group.get("events") { request, context -> Response in
            let session = try signedIn(context)
            let user = session.user
            let query = formValues(request.uri.query ?? "")
            let filter = CaseListFilter(query: query)
            let onlyRef = query["ref"]
            let lastID = request.headers.first { $0.name.canonicalName == "last-event-id" }.flatMap { Int64($0.value) }
            let since = lastID ?? query["since"].flatMap { Int64($0) } ?? clock()
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: ResponseBody { writer in
                    var feed = CaseChangeFeed(watermarkNanos: since)
                    try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                    let end = ContinuousClock.now.advanced(by: settings.feedLifetime)
                    var quietSince = ContinuousClock.now
                    // A stopping server ends its feeds (the browsers reconnect to another
                    // instance, or to this one once it is back) rather than wait for them.
                    var sessionChecked = ContinuousClock.now
                    while ContinuousClock.now < end, !Task.isShuttingDownGracefully {
                        // A session ended meanwhile (sign-out elsewhere, a disabled account)
                        // ends its feed within seconds, not at the feed's end.
                        if ContinuousClock.now - sessionChecked >= settings.sessionCheckPeriod {
                            guard try await sessionLive(session) else { break }
                            sessionChecked = ContinuousClock.now
                        }
                        let read = feed.next
                        let rows = try await store.caseChanges(
                            sinceNanos: read.sinceNanos,
                            afterRef: read.afterRef,
                            limit: settings.feedLimit
                        )
                        let now = clock()
                        var out = ""
                        for c in feed.accept(rows, limit: settings.feedLimit)
                        where (onlyRef == nil || (c.ref == onlyRef && c.updatedAtNanos > since))
                            && ConsolePageScope.mayView(user, c, site: sites.forDevice(c.device)?.id)
                        {
                            let shown = filter.matches(c, siteID: sites.forDevice(c.device)?.id)
                            var data = ["ref": c.ref]
                            if shown { data["html"] = CaseRowView.html(c, user: user, sites: sites, nowNanos: now) }
                            let json = String(decoding: try JSONEncoder().encode(data), as: UTF8.self)
                            out += "id: \(feed.watermarkNanos)\nevent: \(shown ? "row" : "gone")\ndata: \(json)\n\n"
                        }
                        // A comment now and then keeps proxies from closing a quiet stream, and
                        // finds a browser that has gone (the write fails).
                        if out.isEmpty, ContinuousClock.now - quietSince > .seconds(15) { out = ": \n\n" }
                        if !out.isEmpty {
                            try await writer.write(ByteBuffer(string: out))
                            quietSince = ContinuousClock.now
                        }
                        try await Task.sleep(for: settings.feedPeriod)
                    }
                    try await writer.finish(nil)
                }
            )
        }

        group.get("cases/:ref") { request, context -> Response in
            let session = try signedIn(context)
            let user = session.user
            let ref = context.parameters.get("ref") ?? ""
            guard let change = try await store.caseChange(ref: ref),
                ConsolePageScope.mayView(user, change, site: sites.forDevice(change.device)?.id),
                let status = try await store.caseStatus(ref: ref, catalog: catalog)
            else { return ConsolePage.notFound(session) }
            let view = CasePageView(
                status: status,
                change: change,
                events: try await store.caseEvents(ref: ref),
                deliveries: try await store.notifications(ref: ref),
                links: try await store.guidanceLinks(),
                site: sites.forDevice(change.device),
                user: user
            )
            let query = formValues(request.uri.query ?? "")
            var values = view.values(nowNanos: clock(), csrf: session.csrfToken, error: query["error"])
            // The questions to the person on site and the form to send one (`case_messages`):
            // the desk's conversation, which an insurer does not read (as it does not read the
            // desk's notes).
            if ConsoleAccess.may(user, .messageTerminal) {
                values.merge(
                    CaseMessagesView.values(
                        ref: ref,
                        messages: try await store.messages(ref: ref),
                        session: session,
                        error: query["talk_error"]
                    )
                ) { page, _ in page }
            }
            values["nav"] = ConsolePage.nav(session, page: "cases")
            values["feedURL"] = "/console/events?" + encode(["ref": ref, "since": String(change.updatedAtNanos)])
            return page("case", values, session)
        }

        group.post("cases/:ref/progress") { request, context -> Response in
            let session = try signedIn(context)
            let user = session.user
            let ref = context.parameters.get("ref") ?? ""
            let form = try await formBody(request, csrf: session.csrfToken)
            guard let change = try await store.caseChange(ref: ref),
                ConsolePageScope.mayView(user, change, site: sites.forDevice(change.device)?.id)
            else {
                return ConsolePage.notFound(session)
            }
            let insurer: String?
            if ConsolePageScope.movesCases(user) {
                insurer = nil
            } else {
                guard let own = user.insurer else { return ConsolePage.forbidden(session) }
                insurer = own
            }
            let note = String((form["note"] ?? "").prefix(4000))
            let state =
                form["state"] ?? (insurer.flatMap { i in change.insurers.first { $0.id == i }?.state } ?? change.state)
            let back = "/console/cases/\(ref)"
            do {
                try await store.progress(ref: ref, state: state, note: note, insurer: insurer, nowNanos: clock())
            } catch let e as CaseProgressError {
                return redirect(back + "?error=" + errorKey(e))
            }
            try await audit(
                user.name,
                insurer == nil ? "case-progress" : "insurer-progress",
                ref,
                "state=\(state)" + (insurer.map { " insurer=\($0)" } ?? "") + (note.isEmpty ? "" : " note=yes")
            )
            logger.info(
                "console case progress",
                metadata: ["case": "\(ref)", "state": "\(state)", "role": "\(user.role.rawValue)"]
            )
            return redirect(back)
        }

        group.get("terminals") { _, context -> Response in
            let session = try signedIn(context)
            let user = session.user
            guard ConsolePageScope.seesTerminals(user) else { return ConsolePage.forbidden(session) }
            let now = clock()
            let beats = try await store.latestHeartbeats()
            // A handler of some sites sees the terminals of those sites only.
            let roster = TerminalRoster.build(
                health: TerminalHealth.assess(beats, nowNanos: now),
                records: try await store.devices(),
                directoryDevices: pemDevices()
            ).filter { ConsolePageScope.seesTerminal(user, site: sites.forDevice($0.device)?.id) }
            let window = try await store.events(
                receivedSinceNanos: now - Int64(TerminalActivity.hours) * 3_600_000_000_000
            )
            var values = TerminalsPageView.values(
                roster: roster,
                latestHeartbeats: beats,
                activity: TerminalActivity.assess(window, nowNanos: now),
                user: user,
                nowNanos: now
            )
            values["nav"] = ConsolePage.nav(session, page: "terminals")
            return html(ConsoleTemplates.render("terminals", values, user: user))
        }

        group.get("guidance") { request, context -> Response in
            let session = try signedIn(context)
            let user = session.user
            let links = try await store.guidanceLinks()
            // The notice names a type only if it is configured now: a link cannot put words of
            // its own on the page.
            let promoted = formValues(request.uri.query ?? "")["promoted"].flatMap { type in
                links.contains { $0.type == type && $0.how == "configured" } ? type : nil
            }
            var values = GuidancePageView.values(
                catalog: catalog,
                links: links,
                user: user,
                csrf: session.csrfToken,
                promoted: promoted
            )
            values["nav"] = ConsolePage.nav(session, page: "guidance")
            return html(ConsoleTemplates.render("guidance", values, user: user))
        }

        group.post("guidance/promote") { request, context -> Response in
            let session = try signedIn(context)
            let form = try await formBody(request, csrf: session.csrfToken)
            guard ConsolePageScope.promotesGuidance(session.user) else { return ConsolePage.forbidden(session) }
            let type = form["type"] ?? ""
            guard try await store.promoteGuidanceLink(type: type, nowNanos: clock()) else {
                return ConsolePage.notFound(session)
            }
            try await audit(session.user.name, "guidance-promote", type, "")
            logger.info("console guidance promoted", metadata: ["type": "\(type)"])
            return redirect("/console/guidance?" + encode(["promoted": type]))
        }
    }

    /// The session the console's middleware found. Sign-in itself is the console core's: its
    /// middleware sends a request without a session to the sign-in page before it gets here.
    static func signedIn(_ context: CaseServerRequestContext) throws -> ConsoleSession {
        guard let session = context.console else { throw HTTPError(.unauthorized) }
        return session
    }

    /// A form's fields, after checking its CSRF token against the session's: the form's `_csrf`
    /// field, or a script's `X-CSRF-Token` header, as the session middleware takes it (a
    /// script's POST the middleware let through must not be refused here).
    static func formBody(_ request: Request, csrf: String) async throws -> [String: String] {
        var request = request
        let body = try await request.collectBody(upTo: 64 << 10)
        let form = formValues(String(buffer: body))
        let sent = request.headers[.init("X-CSRF-Token")!] ?? form["_csrf"]
        guard let sent, constantTimeEqual(sent, csrf) else { throw HTTPError(.forbidden) }
        return form
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// `application/x-www-form-urlencoded` (a query or a form's body): the first value of each
    /// name, `+` as a space.
    static func formValues(_ s: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in s.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ x: Substring) -> String {
                String(x).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let k = decode(kv[0])
            if out[k] == nil { out[k] = kv.count > 1 ? decode(kv[1]) : "" }
        }
        return out
    }

    static func encode(_ values: [String: String]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return values.sorted { $0.key < $1.key }.map { k, v in
            "\(k)=\(v.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
    }

    static func errorKey(_ e: CaseProgressError) -> String {
        switch e {
        case .noSuchCase: "no_such_case"
        case .unknownState: "unknown_state"
        case .noSuchInsurer: "no_such_insurer"
        case .caseClosed: "case_closed"
        }
    }

    /// A page in the user's language, with the signed-in user's part of the top bar (their
    /// name, the sign-out form with the session's token, an admin's links: `ConsolePage.nav`).
    static func page(_ name: String, _ values: [String: Any], _ session: ConsoleSession) -> Response {
        var values = values
        if values["nav"] == nil { values["nav"] = ConsolePage.nav(session, page: name) }
        return html(ConsoleTemplates.render(name, values, user: session.user))
    }

    /// A page, with the console's headers (`ConsolePage.html`): no framing by another site, no
    /// script or style from elsewhere, no sniffing.
    static func html(_ text: String) -> Response { ConsolePage.html(.ok, text) }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func asset(_ bytes: [UInt8], type: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: type, .cacheControl: "max-age=300"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}
