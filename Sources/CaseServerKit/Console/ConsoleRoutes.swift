import Foundation
import GatewayCore
import Hummingbird

/// The console's own routes (docs/console.md), added to the case server's router when `serve
/// --console` turns the console on; without it every /console/ path is 404.
///
///     GET  /console/static/console.css   the stylesheet (embedded; nothing from elsewhere)
///     GET  /console/login                 the sign-in form (sets the form's cookie)
///     POST /console/login                 signs in: a session cookie, then /console/cases
///     POST /console/logout                ends the session
///     GET  /console/accounts              admins: the accounts, and forms to add, disable, reset
///     POST /console/accounts              admins: adds an account
///     POST /console/accounts/{name}/disable   admins: disables it and ends its sessions
///     POST /console/accounts/{name}/password  admins: sets its password, ends its sessions
///     GET  /console/audit                 admins: the audit log, newest first
///
/// Every other console page (cases, terminals, guidance, events) is added to the group
/// `add(to:console:)` returns, behind the same session middleware and CSRF check.
public enum ConsoleRoutes {
    /// Adds the console's routes. - Returns: the group of signed-in routes under /console,
    /// for the other console pages.
    @discardableResult
    public static func add(
        to router: Router<CaseServerRequestContext>,
        console: Console
    ) -> RouterGroup<CaseServerRequestContext> {
        router.get("/console/static/console.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=300"],
                body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.console_css))
            )
        }
        router.get("/console") { _, _ in ConsolePage.redirect("/console/cases") }
        router.get("/console/login") { request, _ in
            if let secret = request.cookies[ConsoleCookies.session]?.value,
                try await console.session(secret: secret) != nil
            {
                return ConsolePage.redirect("/console/cases")
            }
            let ended = request.uri.queryParameters["ended"] != nil
            return signInPage(request, console: console, notice: ended ? "login.ended" : nil, status: .ok)
        }
        router.post("/console/login") { request, context in
            try await signIn(request, context, console: console)
        }

        let group = router.group("/console").add(middleware: ConsoleSessionMiddleware(console: console))
        group.post("/logout") { _, context in
            guard let session = context.console else { return ConsolePage.redirect("/console/login") }
            try await console.signOut(session)
            var response = ConsolePage.redirect("/console/login")
            response.setCookie(ConsoleCookies.cleared(ConsoleCookies.session, settings: console.settings))
            return response
        }
        ConsoleAccountPages.add(to: group, console: console)
        return group
    }

    /// The sign-in form, in the browser's language, with a fresh form token in its cookie.
    static func signInPage(
        _ request: Request,
        console: Console,
        notice: String?,
        values: [String: String] = [:],
        name: String = "",
        status: HTTPResponse.Status
    ) -> Response {
        let language = ConsolePage.language(request)
        let catalog = ConsoleCatalogs.catalog(language)
        let token = ConsoleSecrets.generate()
        let user = ConsoleUser(name: "", role: .handler, language: language)
        var page: [String: Any] = ["csrf": token, "name": name]
        if let notice { page["notice"] = catalog.format(notice, values) }
        var response = ConsolePage.html(status, ConsoleTemplates.render("login", page, user: user))
        response.setCookie(ConsoleCookies.make(ConsoleCookies.signIn, token, settings: console.settings))
        return response
    }

    /// `POST /console/login`: the form must carry the token its page set in the form's cookie
    /// (else 403); then `Console.signIn` decides.
    static func signIn(
        _ request: Request,
        _ context: CaseServerRequestContext,
        console: Console
    ) async throws
        -> Response
    {
        var request = request
        let form = try await ConsoleForm.read(&request)
        let expected = request.cookies[ConsoleCookies.signIn]?.value
        guard let expected, let presented = form["_csrf"], ConsoleSecrets.equal(presented, expected) else {
            return signInPage(request, console: console, notice: "login.expired", status: .forbidden)
        }
        let name = form["name"] ?? ""
        let address = ClientAddress.of(
            peer: context.remoteAddress,
            headers: request.headers,
            trustedProxies: console.settings.trustedProxies,
            proxied: ProxiedClients.shared.address(of: context.channel)
        )
        switch try await console.signIn(name: name, password: form["password"] ?? "", address: address) {
        case .signedIn(let secret, _):
            // A session this browser had before is ended, not left to idle out.
            if let old = request.cookies[ConsoleCookies.session]?.value {
                try await console.directory.endSession(
                    id: ConsoleSecrets.hash(old),
                    reason: "replaced",
                    nowNanos: console.clock()
                )
            }
            var response = ConsolePage.redirect("/console/cases")
            response.setCookie(ConsoleCookies.make(ConsoleCookies.session, secret, settings: console.settings))
            response.setCookie(ConsoleCookies.cleared(ConsoleCookies.signIn, settings: console.settings))
            return response
        case .refused:
            let lock = console.settings.lock
            return signInPage(
                request,
                console: console,
                notice: "login.refused",
                values: ["count": "\(lock.maxFailures)", "minutes": "\(lock.lockNanos / ConsoleSettings.minute)"],
                name: name,
                status: .unauthorized
            )
        case .addressThrottled(let minutes):
            return signInPage(
                request,
                console: console,
                notice: "login.throttled",
                values: ["minutes": "\(minutes)"],
                name: name,
                status: .tooManyRequests
            )
        }
    }
}
