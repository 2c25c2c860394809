#if DEBUG
import CaseServerKit
import Foundation
import GatewayCore
import Hummingbird

/// The system tests' way into the console's pages until sign-in exists, compiled into debug
/// builds only (release builds, which are what is shipped, have neither this nor its option):
/// `serve --console-test-sessions` turns the pages on and takes the user from a cookie,
/// `console_test_user=<role>[-<insurer>].<language>` (`handler.en`, `insurer-north.zh-Hans`).
/// The console core's session middleware replaces it.
struct ConsoleTestSessions: RouterMiddleware {
    typealias Context = CaseServerRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.console = Self.session(cookieHeader: request.headers[.cookie] ?? "")
        return try await next(request, context)
    }

    static func session(cookieHeader: String) -> ConsoleSession? {
        for part in cookieHeader.split(separator: ";") {
            let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, kv[0] == "console_test_user" else { continue }
            let (who, lang) = (kv[1].prefix { $0 != "." }, kv[1].drop { $0 != "." }.dropFirst())
            let roleAndInsurer = who.split(separator: "-", maxSplits: 1).map(String.init)
            guard let role = ConsoleRole(rawValue: roleAndInsurer[0]) else { return nil }
            let user = ConsoleUser(
                name: "test-\(who)",
                role: role,
                sites: ["*"],
                insurer: roleAndInsurer.count > 1 ? roleAndInsurer[1] : nil,
                language: UILanguage(tag: String(lang)) ?? .english,
                timeZone: TimeZone(identifier: "Asia/Shanghai")!
            )
            return ConsoleSession(id: "test", user: user, csrfToken: "test-csrf")
        }
        return nil
    }
}
#endif
