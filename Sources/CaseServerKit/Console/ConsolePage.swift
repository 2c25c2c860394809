import Foundation
import GatewayCore
import Hummingbird

/// The console's answers as HTML: pages in the layout (with the navigation of the signed-in
/// user), the 403 and 404 pages, and redirects. Every word comes from the user's catalogue.
public enum ConsolePage {
    /// Renders template `name` for a signed-in user: the layout shows the navigation their
    /// role allows, their name, and a sign-out form carrying their CSRF token; `page` marks
    /// the current link ("cases", "terminals", "guidance", "accounts", "audit").
    public static func render(
        _ name: String,
        _ values: [String: Any],
        session: ConsoleSession,
        page: String? = nil,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        var object = values
        object["nav"] = nav(session, page: page)
        object["csrf"] = session.csrfToken
        return html(status, ConsoleTemplates.render(name, object, user: session.user))
    }

    /// The values the layout's navigation reads.
    public static func nav(_ session: ConsoleSession, page: String?) -> [String: Any] {
        var nav: [String: Any] = [
            "name": session.user.name,
            "csrf": session.csrfToken,
            "terminals": ConsoleAccess.may(session.user, .viewTerminals),
            "admin": ConsoleAccess.may(session.user, .administer),
        ]
        if let page { nav["at_" + page] = true }
        return nav
    }

    /// 404: a case (or anything) the user may not see is answered as if it did not exist.
    public static func notFound(_ session: ConsoleSession) -> Response {
        message(session, title: "access.not_found_title", text: "access.not_found", status: .notFound)
    }

    /// 403: an action the user's role may not do.
    public static func forbidden(_ session: ConsoleSession) -> Response {
        message(session, title: "access.forbidden_title", text: "access.forbidden", status: .forbidden)
    }

    /// A page of one title and one sentence, both catalogue keys.
    public static func message(
        _ session: ConsoleSession?,
        title: String,
        text: String,
        status: HTTPResponse.Status,
        language: UILanguage = .english
    ) -> Response {
        let catalog = session?.user.catalog ?? ConsoleCatalogs.catalog(language)
        let values: [String: Any] = ["heading": catalog[title], "text": catalog[text]]
        if let session { return render("message", values, session: session, status: status) }
        let user = ConsoleUser(name: "", role: .handler, language: language)
        return html(status, ConsoleTemplates.render("message", values, user: user))
    }

    /// 303 See Other: after a form, the browser loads `location` with GET.
    public static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    public static func html(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .init("X-Frame-Options")!: "DENY", .init("X-Content-Type-Options")!: "nosniff",
                .init("Referrer-Policy")!: "same-origin",
                .init("Content-Security-Policy")!:
                    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// The language of a page shown before sign-in: the browser's first language the console
    /// speaks (`Accept-Language`), else English.
    public static func language(_ request: Request) -> UILanguage {
        let header = request.headers[.acceptLanguage] ?? ""
        for part in header.split(separator: ",") {
            let tag = part.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if let l = UILanguage(tag: tag) { return l }
        }
        return .english
    }
}
