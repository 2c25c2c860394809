import CaseServerKit
import Foundation
import GatewayCore
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import XCTest

/// The console's sign-in, sessions, CSRF check and admin pages through `app.test(.router)`,
/// over a real SQLite store, with a clock the tests move.
final class ConsoleRoutesTests: ServerTestCase, @unchecked Sendable {
    static let t0: Int64 = 1_700_000_000_000_000_000
    static let minute: Int64 = 60_000_000_000
    static let password = "correct horse battery"

    /// Wall-clock time the tests move forward.
    final class TestClock: Sendable {
        private let now = Mutex<Int64>(ConsoleRoutesTests.t0)
        func read() -> Int64 { now.withLock { $0 } }
        func advance(_ nanos: Int64) { now.withLock { $0 += nanos } }
    }

    /// A browser's cookies, kept from one request to the next as `Set-Cookie` says.
    struct Jar {
        var cookies: [String: String] = [:]
        /// Every `Set-Cookie` line seen, for the attribute checks.
        var lines: [String] = []

        mutating func take(_ response: TestResponse) {
            for line in response.headers[values: .setCookie] {
                lines.append(line)
                let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
                let name = String(pair[0])
                let value = pair.count > 1 ? String(pair[1]) : ""
                if line.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
            }
        }

        var header: HTTPFields {
            guard !cookies.isEmpty else { return [:] }
            return [.cookie: cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")]
        }
    }

    let clock = TestClock()
    var store: SQLiteCaseStore!

    func app(
        console on: Bool = true,
        settings: ConsoleSettings = ConsoleSettings(idleMinutes: 30, bcryptCost: 4)
    ) throws -> some ApplicationProtocol {
        store = try SQLiteCaseStore(path: dir + "/cases.db")
        let clock = self.clock
        let console = Console(
            directory: store,
            policy: TestPolicies.twoInsurers,
            settings: settings,
            clock: { clock.read() },
            logger: Logger(label: "test")
        )
        let router = CaseServerRoutes.router(
            receiver: receiver(store),
            repository: store,
            catalog: CasePolicy.builtIn.catalog,
            staffToken: nil,
            clock: { clock.read() },
            logger: Logger(label: "test"),
            console: on ? console : nil
        )
        // A page the pages helper adds: here only to see that signed-in requests reach it.
        if on {
            router.group("/console").add(middleware: ConsoleSessionMiddleware(console: console))
                .get("/cases") { _, context in "cases of \(context.console?.user.name ?? "nobody")" }
                .post("/cases/x/note") { _, context in "noted by \(context.console?.user.name ?? "nobody")" }
        }
        return Application(router: router)
    }

    func addAccount(_ name: String, role: ConsoleRole = .handler, insurer: String? = nil) async throws {
        let hash = try await ConsolePasswords.hash(Self.password, cost: 4)
        try await store.addAccount(
            ConsoleAccount(name: name, passwordHash: hash, role: role, sites: ["*"], insurer: insurer),
            nowNanos: clock.read()
        )
    }

    static func text(_ r: TestResponse) -> String { String(buffer: r.body) }

    static func csrf(in html: String) -> String? {
        guard let r = html.range(of: #"name="_csrf" value=""#) else { return nil }
        return String(html[r.upperBound...].prefix { $0 != "\"" })
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let text = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&")
        return ByteBuffer(string: text)
    }

    static let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    /// Loads the sign-in page and posts it. - Returns: the answer to the post.
    @discardableResult
    func signIn(
        _ client: some TestClientProtocol,
        _ jar: inout Jar,
        name: String,
        password: String = ConsoleRoutesTests.password
    ) async throws -> TestResponse {
        let page = try await client.execute(uri: "/console/login", method: .get, headers: jar.header)
        jar.take(page)
        let token = try XCTUnwrap(Self.csrf(in: Self.text(page)))
        var headers = jar.header
        headers.append(contentsOf: Self.formType)
        let response = try await client.execute(
            uri: "/console/login",
            method: .post,
            headers: headers,
            body: Self.form(["_csrf": token, "name": name, "password": password])
        )
        jar.take(response)
        return response
    }

    /// The session's CSRF token, from a signed-in page's form.
    func token(_ client: some TestClientProtocol, _ jar: Jar) async throws -> String {
        let page = try await client.execute(uri: "/console/accounts", method: .get, headers: jar.header)
        if let t = Self.csrf(in: Self.text(page)) { return t }
        let head = Self.text(page)
        guard let r = head.range(of: #"<meta name="csrf-token" content=""#) else {
            XCTFail("no CSRF token on the page: \(head.prefix(300))")
            return ""
        }
        return String(head[r.upperBound...].prefix { $0 != "\"" })
    }

    func post(
        _ client: some TestClientProtocol,
        _ jar: Jar,
        _ uri: String,
        _ fields: [String: String]
    ) async throws -> TestResponse {
        var headers = jar.header
        headers.append(contentsOf: Self.formType)
        return try await client.execute(uri: uri, method: .post, headers: headers, body: Self.form(fields))
    }

    // MARK: tests

    func testWithoutConsoleEveryConsolePathIs404() async throws {
        try await app(console: false).test(.router) { client in
            for uri in ["/console/login", "/console/cases", "/console/static/console.css", "/console"] {
                let r = try await client.execute(uri: uri, method: .get)
                XCTAssertEqual(r.status, .notFound, uri)
            }
        }
    }

    func testSignInWithTheRightPasswordOpensASessionWithStrictCookies() async throws {
        try await app().test(.router) { client in
            try await addAccount("li")
            let before = try await client.execute(uri: "/console/cases", method: .get)
            XCTAssertEqual(before.status, .seeOther)
            XCTAssertEqual(before.headers[.location], "/console/login")

            var jar = Jar()
            let r = try await signIn(client, &jar, name: "li")
            XCTAssertEqual(r.status, .seeOther)
            XCTAssertEqual(r.headers[.location], "/console/cases")
            let secret = try XCTUnwrap(jar.cookies[ConsoleCookies.session])
            XCTAssertGreaterThanOrEqual(secret.count, 43)
            for line in jar.lines {
                XCTAssertTrue(line.contains("HttpOnly"), line)
                XCTAssertTrue(line.contains("SameSite=Strict"), line)
                XCTAssertTrue(line.contains("Path=/console"), line)
                XCTAssertTrue(line.contains("Secure"), line)
            }
            let cases = try await client.execute(uri: "/console/cases", method: .get, headers: jar.header)
            XCTAssertEqual(cases.status, .ok)
            XCTAssertEqual(Self.text(cases), "cases of li")

            // The store holds the secret's hash, never the secret.
            let stored = try await store.session(id: ConsoleSecrets.hash(secret))
            XCTAssertEqual(stored?.account.name, "li")
            let log = try await store.auditLog(limit: 10, beforeID: nil)
            XCTAssertEqual(log.first?.action, "login")
            XCTAssertEqual(log.first?.actor, "li")
            XCTAssertFalse(log.contains { $0.detail.contains(Self.password) || $0.detail.contains(secret) })

            // Signing in again from the same browser (a sign-in page it loaded before) ends the
            // session it had.
            var fresh = Jar()
            let form = try await client.execute(uri: "/console/login", method: .get)
            fresh.take(form)
            jar.cookies[ConsoleCookies.signIn] = fresh.cookies[ConsoleCookies.signIn]
            var headers = jar.header
            headers.append(contentsOf: Self.formType)
            let again = try await client.execute(
                uri: "/console/login",
                method: .post,
                headers: headers,
                body: Self.form([
                    "_csrf": Self.csrf(in: Self.text(form)) ?? "", "name": "li", "password": Self.password,
                ])
            )
            XCTAssertEqual(again.status, .seeOther)
            jar.take(again)
            let replaced = try await store.session(id: ConsoleSecrets.hash(secret))
            XCTAssertEqual(replaced?.session.endReason, "replaced")
            let second = try XCTUnwrap(jar.cookies[ConsoleCookies.session])
            XCTAssertNotEqual(second, secret)

            // Signing out ends it.
            let token = try await token(client, jar)
            let out = try await post(client, jar, "/console/logout", ["_csrf": token])
            XCTAssertEqual(out.status, .seeOther)
            jar.take(out)
            XCTAssertNil(jar.cookies[ConsoleCookies.session])
            for old in [secret, second] {
                let after = try await client.execute(
                    uri: "/console/cases",
                    method: .get,
                    headers: [.cookie: "\(ConsoleCookies.session)=\(old)"]
                )
                XCTAssertEqual(after.status, .seeOther, "an ended session's cookie opens nothing")
            }
            let ended = try await store.session(id: ConsoleSecrets.hash(second))
            XCTAssertEqual(ended?.session.endReason, "logout")
        }
    }

    func testWithoutTLSTheCookiesAreNotSecureButStillStrict() async throws {
        try await app(settings: ConsoleSettings(secureCookies: false, bcryptCost: 4)).test(.router) { client in
            try await addAccount("li")
            var jar = Jar()
            try await signIn(client, &jar, name: "li")
            XCTAssertFalse(jar.lines.isEmpty)
            for line in jar.lines {
                XCTAssertFalse(line.contains("Secure"), line)
                XCTAssertTrue(line.contains("HttpOnly") && line.contains("SameSite=Strict"), line)
            }
        }
    }

    func testAWrongPasswordAndAnUnknownNameAreRefusedAlike() async throws {
        try await app().test(.router) { client in
            try await addAccount("li")
            var jar = Jar()
            let wrong = try await signIn(client, &jar, name: "li", password: "not the password")
            let unknown = try await signIn(client, &jar, name: "nobody", password: "not the password")
            XCTAssertEqual(wrong.status, .unauthorized)
            XCTAssertEqual(unknown.status, .unauthorized)
            XCTAssertNil(jar.cookies[ConsoleCookies.session])
            let says = ConsoleCatalogs.catalog(.english).format("login.refused", ["count": "10", "minutes": "15"])
            // Equal pages but for the typed name (and the fresh form token).
            let strip = { (r: TestResponse) in
                Self.text(r).replacingOccurrences(of: Self.csrf(in: Self.text(r)) ?? "", with: "")
                    .replacingOccurrences(of: "value=\"li\"", with: "").replacingOccurrences(
                        of: "value=\"nobody\"",
                        with: ""
                    )
            }
            XCTAssertEqual(strip(wrong), strip(unknown))
            XCTAssertTrue(
                Self.text(wrong).contains(says.replacingOccurrences(of: "'", with: "&#39;")),
                Self.text(wrong)
            )
            let log = try await store.auditLog(limit: 10, beforeID: nil)
            XCTAssertEqual(log.map(\.action), ["login-failed", "login-failed"])
            XCTAssertEqual(log.map(\.detail), ["unknown-account", "wrong-password"])
        }
    }

    func testTheSignInPageSpeaksTheBrowsersLanguage() async throws {
        try await app().test(.router) { client in
            let r = try await client.execute(
                uri: "/console/login",
                method: .get,
                headers: [.acceptLanguage: "zh-CN,zh;q=0.9,en;q=0.5"]
            )
            XCTAssertTrue(Self.text(r).contains(#"<html lang="zh-Hans">"#))
            XCTAssertTrue(Self.text(r).contains("登录"))
        }
    }

    /// Ten wrong passwords in a row lock the account for 15 minutes: the right password is
    /// refused meanwhile (with the same words) and works after.
    func testTenWrongPasswordsLockTheAccountFor15Minutes() async throws {
        try await app().test(.router) { client in
            try await addAccount("li")
            var jar = Jar()
            for _ in 0..<10 {
                let r = try await signIn(client, &jar, name: "li", password: "wrong password!")
                XCTAssertEqual(r.status, .unauthorized)
            }
            let locked = try await store.account(named: "li")
            XCTAssertEqual(locked?.isLocked(nowNanos: clock.read()), true)
            let during = try await signIn(client, &jar, name: "li")
            XCTAssertEqual(during.status, .unauthorized, "locked: the right password does not help")
            XCTAssertNil(jar.cookies[ConsoleCookies.session])
            let log = try await store.auditLog(limit: 20, beforeID: nil)
            XCTAssertEqual(log.filter { $0.action == "account-locked" }.map(\.object), ["li"])
            XCTAssertEqual(log.first?.detail, "account-locked")

            clock.advance(15 * Self.minute + 1)
            let after = try await signIn(client, &jar, name: "li")
            XCTAssertEqual(after.status, .seeOther)
            XCTAssertNotNil(jar.cookies[ConsoleCookies.session])
        }
    }

    func testTooManyFailuresFromOneAddressAreRefusedBeforeAnyPasswordIsChecked() async throws {
        let settings = ConsoleSettings(addressMaxFailures: 3, addressWindowMinutes: 15, bcryptCost: 4)
        try await app(settings: settings).test(.router) { client in
            try await addAccount("li")
            var jar = Jar()
            for name in ["a", "b", "c"] {
                let r = try await signIn(client, &jar, name: name, password: "wrong password!")
                XCTAssertEqual(r.status, .unauthorized)
            }
            let r = try await signIn(client, &jar, name: "li")
            XCTAssertEqual(r.status, .tooManyRequests)
            XCTAssertTrue(Self.text(r).contains("Try again in 15 minutes"), Self.text(r))
            clock.advance(15 * Self.minute + 1)
            let later = try await signIn(client, &jar, name: "li")
            XCTAssertEqual(later.status, .seeOther)
        }
    }

    func testASignInWithoutItsFormTokenIsRefused() async throws {
        try await app().test(.router) { client in
            try await addAccount("li")
            let r = try await client.execute(
                uri: "/console/login",
                method: .post,
                headers: Self.formType,
                body: Self.form(["name": "li", "password": Self.password])
            )
            XCTAssertEqual(r.status, .forbidden)
            XCTAssertNil(r.headers[values: .setCookie].first { $0.hasPrefix(ConsoleCookies.session + "=") })
        }
    }

    /// Every POST under /console/ carries the session's token, in `_csrf` or `X-CSRF-Token`.
    func testAPostWithoutTheSessionsCSRFTokenIs403() async throws {
        try await app().test(.router) { client in
            try await addAccount("li")
            var jar = Jar()
            try await signIn(client, &jar, name: "li")
            let none = try await post(client, jar, "/console/cases/x/note", ["text": "hello"])
            XCTAssertEqual(none.status, .forbidden)
            let wrong = try await post(client, jar, "/console/cases/x/note", ["_csrf": "guess", "text": "hello"])
            XCTAssertEqual(wrong.status, .forbidden)
            let logout = try await post(client, jar, "/console/logout", [:])
            XCTAssertEqual(logout.status, .forbidden, "signing out needs the token too")

            let token = try await token(client, jar)
            let ok = try await post(client, jar, "/console/cases/x/note", ["_csrf": token, "text": "hello"])
            XCTAssertEqual(ok.status, .ok)
            XCTAssertEqual(Self.text(ok), "noted by li")
            var headers = jar.header
            headers[.init("X-CSRF-Token")!] = token
            let fetch = try await client.execute(uri: "/console/cases/x/note", method: .post, headers: headers)
            XCTAssertEqual(fetch.status, .ok)
        }
    }

    func testADisabledAccountsSessionEndsAtOnce() async throws {
        try await app().test(.router) { client in
            try await addAccount("li")
            var jar = Jar()
            try await signIn(client, &jar, name: "li")
            let before = try await client.execute(uri: "/console/cases", method: .get, headers: jar.header)
            XCTAssertEqual(before.status, .ok)
            try await store.disableAccount("li", nowNanos: clock.read())
            let after = try await client.execute(uri: "/console/cases", method: .get, headers: jar.header)
            XCTAssertEqual(after.status, .seeOther)
            XCTAssertEqual(after.headers[.location], "/console/login?ended=1")
            let again = try await signIn(client, &jar, name: "li")
            XCTAssertEqual(again.status, .unauthorized, "a disabled account cannot sign in")
        }
    }

    func testASessionUnusedForTheIdleTimeEnds() async throws {
        try await app(settings: ConsoleSettings(idleMinutes: 30, bcryptCost: 4)).test(.router) { client in
            try await addAccount("li")
            var jar = Jar()
            try await signIn(client, &jar, name: "li")
            clock.advance(29 * Self.minute)
            let used = try await client.execute(uri: "/console/cases", method: .get, headers: jar.header)
            XCTAssertEqual(used.status, .ok, "used within the idle time: the clock starts again")
            clock.advance(29 * Self.minute)
            let stillUsed = try await client.execute(uri: "/console/cases", method: .get, headers: jar.header)
            XCTAssertEqual(stillUsed.status, .ok)
            clock.advance(30 * Self.minute + 1)
            let idle = try await client.execute(uri: "/console/cases", method: .get, headers: jar.header)
            XCTAssertEqual(idle.status, .seeOther)
            let sse = try await client.execute(
                uri: "/console/cases",
                method: .get,
                headers: [.cookie: jar.header[.cookie]!, .accept: "text/event-stream"]
            )
            XCTAssertEqual(sse.status, .unauthorized, "a script is told, not redirected")
            let log = try await store.auditLog(limit: 5, beforeID: nil)
            XCTAssertEqual(log.first?.action, "session-ended")
            XCTAssertEqual(log.first?.detail, "idle")
        }
    }

    /// Admins manage accounts through the console (every change audited under their name);
    /// others get 403.
    func testAdminsAddDisableAndResetAccountsOthersMayNot() async throws {
        try await app().test(.router) { client in
            try await addAccount("root", role: .admin)
            try await addAccount("li")
            var li = Jar()
            try await signIn(client, &li, name: "li")
            let refused = try await client.execute(uri: "/console/accounts", method: .get, headers: li.header)
            XCTAssertEqual(refused.status, .forbidden)
            let cases = try await client.execute(uri: "/console/cases", method: .get, headers: li.header)
            XCTAssertEqual(cases.status, .ok)

            var root = Jar()
            try await signIn(client, &root, name: "root")
            let page = try await client.execute(uri: "/console/accounts", method: .get, headers: root.header)
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(Self.text(page).contains(#"href="/console/audit""#))
            let token = try await token(client, root)

            let short = try await post(
                client,
                root,
                "/console/accounts",
                ["_csrf": token, "name": "north-desk", "password": "short", "role": "insurer", "insurer": "north"]
            )
            XCTAssertEqual(short.status, .badRequest)
            XCTAssertTrue(Self.text(short).contains("at least 12"))
            let added = try await post(
                client,
                root,
                "/console/accounts",
                [
                    "_csrf": token, "name": "north-desk", "password": Self.password, "role": "insurer",
                    "insurer": "north", "language": "zh-Hans", "time_zone": "Asia/Shanghai",
                ]
            )
            XCTAssertEqual(added.status, .seeOther)
            let notice = try await client.execute(
                uri: added.headers[.location] ?? "-",
                method: .get,
                headers: root.header
            )
            XCTAssertTrue(Self.text(notice).contains("north-desk"), "the notice names the account added")
            let forged = try await client.execute(
                uri: "/console/accounts?done=added&name=Call+0800",
                method: .get,
                headers: root.header
            )
            XCTAssertFalse(Self.text(forged).contains("Call 0800"), "a link's own words are not shown")
            let desk = try await store.account(named: "north-desk")
            XCTAssertEqual(desk?.insurer, "north")
            XCTAssertEqual(desk?.language, "zh-Hans")

            let reset = try await post(
                client,
                root,
                "/console/accounts/li/password",
                ["_csrf": token, "password": "another long password"]
            )
            XCTAssertEqual(reset.status, .seeOther)
            let liAfterReset = try await client.execute(uri: "/console/cases", method: .get, headers: li.header)
            XCTAssertEqual(liAfterReset.status, .seeOther, "a new password ends the account's sessions")
            try await signIn(client, &li, name: "li", password: "another long password")
            XCTAssertNotNil(li.cookies[ConsoleCookies.session])

            let disabled = try await post(client, root, "/console/accounts/li/disable", ["_csrf": token])
            XCTAssertEqual(disabled.status, .seeOther)
            let liAfter = try await client.execute(uri: "/console/cases", method: .get, headers: li.header)
            XCTAssertEqual(liAfter.status, .seeOther)
            let missing = try await post(client, root, "/console/accounts/nobody/disable", ["_csrf": token])
            XCTAssertEqual(missing.status, .notFound)

            let audit = try await client.execute(uri: "/console/audit", method: .get, headers: root.header)
            XCTAssertEqual(audit.status, .ok)
            let log = try await store.auditLog(limit: 50, beforeID: nil)
            let byRoot = log.filter { $0.actor == "root" }.map { "\($0.action) \($0.object)" }
            XCTAssertEqual(Array(byRoot.prefix(3)), ["user-disable li", "user-passwd li", "user-add north-desk"])
            XCTAssertFalse(log.contains { $0.detail.contains(Self.password) || $0.detail.contains("another long") })
        }
    }

    /// The layout's navigation: what the role may reach, the user's name, sign-out; in their language.
    func testTheNavigationShowsWhatTheRoleMayReach() {
        let admin = ConsoleSession(id: "s", user: ConsoleUser(name: "root", role: .admin), csrfToken: "tok")
        let desk = ConsoleSession(
            id: "s",
            user: ConsoleUser(name: "north-desk", role: .insurer, insurer: "north", language: .simplifiedChinese),
            csrfToken: "tok"
        )
        let a = ConsoleTemplates.render(
            "message",
            ["heading": "h", "nav": ConsolePage.nav(admin, page: nil)],
            user: admin.user
        )
        for link in [
            "/console/cases", "/console/terminals", "/console/guidance", "/console/accounts", "/console/audit",
        ] {
            XCTAssertTrue(a.contains("href=\"\(link)\""), link)
        }
        XCTAssertTrue(a.contains("root") && a.contains("Sign out") && a.contains(#"value="tok""#))
        let d = ConsoleTemplates.render(
            "message",
            ["heading": "h", "nav": ConsolePage.nav(desk, page: nil)],
            user: desk.user
        )
        XCTAssertTrue(d.contains("href=\"/console/cases\"") && d.contains("href=\"/console/guidance\""))
        XCTAssertFalse(
            d.contains("/console/accounts") || d.contains("/console/terminals") || d.contains("/console/audit")
        )
        XCTAssertTrue(d.contains("退出登录"))
    }

    func testTheStylesheetIsServedFromTheBinary() async throws {
        try await app().test(.router) { client in
            let css = try await client.execute(uri: "/console/static/console.css", method: .get)
            XCTAssertEqual(css.status, .ok)
            XCTAssertEqual(css.headers[.contentType], "text/css; charset=utf-8")
            XCTAssertFalse(Self.text(css).contains("http"), "nothing fetched from elsewhere")
        }
    }
}
