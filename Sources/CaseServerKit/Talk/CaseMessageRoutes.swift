import Foundation
import GatewayCore
import Hummingbird
import Logging
import NIOCore

/// Sending a question or instruction to the terminal of a case:
///
///     POST /v1/cases/{ref}/messages            JSON {"kind", "text", "choices"?, "free_text"?};
///                                              the staff token (as progress); 201 with the message
///     POST /console/cases/{ref}/messages       the console's form (a handler's or an admin's
///                                              session; the session middleware has checked the
///                                              CSRF token); 303 back to the case page
///
/// The terminal learns of the message from the case it follows (`GET /v1/cases/{ref}`,
/// `messages`) and answers with a sealed `reply` event. Logs carry ids only: a message's and an
/// answer's text may hold personal data.
public enum CaseMessageRoutes {
    /// The API route, on the case server's router.
    public static func addAPI(
        to router: some RouterMethods<CaseServerRequestContext>,
        messages: any CaseMessages,
        staffToken: String?,
        clock: @escaping @Sendable () -> Int64,
        logger: Logger
    ) {
        router.post("/v1/cases/:ref/messages") { request, context -> Response in
            guard let staffToken else {
                return json(.forbidden, #"{"error":"messages over HTTP are off: start serve with --staff-token-file"}"#)
            }
            guard CaseServerRoutes.isStaff(CaseServerRoutes.bearer(request), staffToken) else {
                return json(.unauthorized, #"{"error":"Authorization: Bearer <staff token> required"}"#)
            }
            var request = request
            let body = try await request.collectBody(upTo: 64 << 10)
            guard let form = try? JSONDecoder().decode(MessageForm.self, from: Data(body.readableBytesView)) else {
                return json(
                    .badRequest,
                    #"{"error":"body is not {\"kind\": \"question\"|\"instruction\", \"text\": ..., \"choices\"?: [...], \"free_text\"?: bool}"}"#
                )
            }
            let ref = context.parameters.get("ref") ?? ""
            do {
                let draft = try CaseMessageDraft(
                    kind: form.kind,
                    text: form.text,
                    choices: form.choices ?? [],
                    freeText: form.freeText ?? false
                )
                let message = try await messages.send(draft, ref: ref, sentBy: "staff-token", nowNanos: clock())
                log(logger, message, ref: ref, by: "staff")
                return json(.created, String(decoding: try encoder.encode(message), as: UTF8.self))
            } catch let e as CaseMessageError {
                if case .noSuchCase = e { return json(.notFound, #"{"error":"no such case"}"#) }
                return json(.badRequest, String(decoding: try encoder.encode(["error": e.description]), as: UTF8.self))
            }
        }
    }

    /// The console's form handler, on the console's route group (mounted at `/console`, behind
    /// the session middleware that sets `context.console` and checks the CSRF token).
    /// - Parameters: `mayView`: whether the user may see the case (`ConsoleAccess`); a case they
    ///   may not see answers 404, like one that does not exist. `audit`: the console's audit log,
    ///   where every message sent is recorded under the user's name (ids only, no text).
    public static func addConsole(
        to group: some RouterMethods<CaseServerRequestContext>,
        messages: any CaseMessages,
        mayView: @escaping @Sendable (ConsoleUser, String) async throws -> Bool,
        audit: @escaping Console.Auditor,
        clock: @escaping @Sendable () -> Int64,
        logger: Logger
    ) {
        group.post("cases/:ref/messages") { request, context -> Response in
            guard let session = context.console else { return Response(status: .forbidden) }
            guard session.user.role == .handler || session.user.role == .admin else {
                return ConsolePage.forbidden(session)
            }
            let ref = context.parameters.get("ref") ?? ""
            guard try await mayView(session.user, ref) else { return ConsolePage.notFound(session) }
            var request = request
            let body = try await request.collectBody(upTo: 64 << 10)
            let fields = FormFields(String(decoding: body.readableBytesView, as: UTF8.self))
            do {
                let draft = try CaseMessageDraft(
                    kind: fields.first("kind") ?? "",
                    text: fields.first("text") ?? "",
                    choices: fields.all("choice"),
                    freeText: fields.first("free_text") != nil
                )
                let message = try await messages.send(draft, ref: ref, sentBy: session.user.name, nowNanos: clock())
                try await audit(session.user.name, "case-message", ref, "message=\(message.id) kind=\(message.kind)")
                log(logger, message, ref: ref, by: session.user.role.rawValue)
                return redirect(casePage(ref, error: nil))
            } catch let e as CaseMessageError {
                if case .noSuchCase = e { return ConsolePage.notFound(session) }
                return redirect(casePage(ref, error: e.key))
            }
        }
    }

    /// The case page's messages part, with the error a refused form left (`talk_error`).
    static func casePage(_ ref: String, error: String?) -> String {
        let path = "/console/cases/" + (ref.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")
        return path + (error.map { "?talk_error=" + $0 } ?? "") + "#messages"
    }

    /// RFC 3986's unreserved characters: what a path segment carries as it is.
    static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func log(_ logger: Logger, _ m: CaseMessage, ref: String, by: String) {
        logger.info(
            "case message sent",
            metadata: ["case": "\(ref)", "message": "\(m.id)", "kind": "\(m.kind)", "by": "\(by)"]
        )
    }

    struct MessageForm: Decodable {
        var kind: String
        var text: String
        var choices: [String]?
        var freeText: Bool?

        enum CodingKeys: String, CodingKey {
            case kind, text, choices
            case freeText = "free_text"
        }
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
}
