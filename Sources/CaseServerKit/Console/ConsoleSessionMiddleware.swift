import Hummingbird

/// In front of every console route but the sign-in page and the static files: finds the
/// session the cookie names (`Console.session(secret:)`: ended, idle and disabled accounts'
/// sessions are not), puts it into `context.console`, and refuses a POST (or any other
/// changing method) whose `_csrf` field or `X-CSRF-Token` header is not the session's token
/// (403). Without a session a page is redirected to the sign-in page; a script's request
/// (`X-CSRF-Token`, or one asking for server-sent events) is answered 401 instead.
public struct ConsoleSessionMiddleware: RouterMiddleware {
    public typealias Context = CaseServerRequestContext
    let console: Console

    public init(console: Console) { self.console = console }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let secret = request.cookies[ConsoleCookies.session]?.value
        guard let secret, let session = try await console.session(secret: secret) else {
            return unauthenticated(request, hadCookie: secret != nil)
        }
        var context = context
        context.console = session
        var request = request
        if ![.get, .head].contains(request.method) {
            var presented = request.headers[.init("X-CSRF-Token")!]
            if presented == nil { presented = try await ConsoleForm.read(&request)["_csrf"] }
            guard let presented, ConsoleSecrets.equal(presented, session.csrfToken) else {
                console.logger.notice("console request refused: CSRF token missing or wrong")
                return ConsolePage.message(
                    session,
                    title: "access.forbidden_title",
                    text: "access.csrf",
                    status: .forbidden
                )
            }
        }
        return try await next(request, context)
    }

    private func unauthenticated(_ request: Request, hadCookie: Bool) -> Response {
        let script =
            request.headers[.init("X-CSRF-Token")!] != nil
            || (request.headers[.accept] ?? "").contains("text/event-stream")
        var response =
            script
            ? Response(status: .unauthorized, headers: [.cacheControl: "no-store"])
            : ConsolePage.redirect(hadCookie ? "/console/login?ended=1" : "/console/login")
        if hadCookie { response.setCookie(ConsoleCookies.cleared(ConsoleCookies.session, settings: console.settings)) }
        return response
    }
}
