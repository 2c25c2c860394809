import Foundation
import GatewayCore
import Hummingbird
import Logging
import NIOCore

/// The case server's HTTP API, built apart from any socket so tests drive it with
/// `app.test(.router)`: `serve` adds TLS and a port.
///
///     GET  /v1/health                  "ok"
///     GET  /healthz                    "ok": the process answers (a balancer's liveness check)
///     GET  /readyz                     200 once the database answers with every migration, else 503
///     POST /v1/envelopes               a gateway's batch; one result per envelope (413 over
///                                      `EnvelopeLimits`, 429 while `EnvelopeThrottle` says so)
///     GET  /v1/cases/{ref}             a case's status (terminals follow the cases they showed)
///     POST /v1/cases/{ref}/progress    a case handler's step (staff token) or an insurer's own (its token)
///     POST /v1/cases/{ref}/messages    a question or instruction to the case's terminal (staff token;
///                                      `CaseMessageRoutes`; only with a store of messages)
///     POST /v1/enroll                  a terminal registers its key with a one-time token
///                                      (`EnrollmentRoutes`; only with a device directory)
///     /console/…                       the supervision console (`ConsoleRoutes`; only with `console`)
public enum CaseServerRoutes {
    /// - Parameters: `staffToken`: the bearer token progress and messages require; nil turns
    ///   progress over HTTP off (403) unless insurers have tokens, and messages over HTTP off. `clock`: wall-clock nanoseconds, the time
    ///   events and steps are stamped with. `insurers`: the insurers' tokens (`token_file`).
    ///   `guards`: the envelope endpoint's batch limits and throttle. `console`: the console's
    ///   parts when `serve --console` turns it on (sign-in, accounts, audit log); nil leaves every
    ///   /console/ path 404. `consolePages`: adds the pages behind its sign-in (`ConsolePages.add`,
    ///   given the router for static files and the signed-in /console group).
    public static func router(
        receiver: EnvelopeReceiver,
        repository: any CaseRepository,
        catalog: GuidanceCatalog,
        staffToken: String?,
        clock: @escaping @Sendable () -> Int64,
        logger: Logger,
        enrollment: (any DeviceDirectory)? = nil,
        keyring: DeviceKeyring? = nil,
        insurers: InsurerCredentials = InsurerCredentials(),
        guards: EnvelopeGuards = .init(),
        console: Console? = nil,
        consolePages: (@Sendable (Router<CaseServerRequestContext>, RouterGroup<CaseServerRequestContext>) -> Void)? =
            nil,
        messages: (any CaseMessages)? = nil
    ) -> Router<CaseServerRequestContext> {
        let router = Router(context: CaseServerRequestContext.self)
        router.add(middleware: ConnectionPhaseMiddleware())
        if let console {
            let signedIn = ConsoleRoutes.add(to: router, console: console)
            consolePages?(router, signedIn)
            if let messages {
                // A question goes to the terminal of a case the user may see (else 404).
                CaseMessageRoutes.addConsole(
                    to: signedIn,
                    messages: messages,
                    mayView: { user, ref in
                        guard let c = try await repository.caseChange(ref: ref) else { return false }
                        return ConsoleAccess.mayView(
                            user,
                            insurers: c.insurers.map(\.id),
                            site: console.policy.site(forDevice: c.device)?.id
                        )
                    },
                    clock: clock,
                    logger: logger,
                    audit: { try await console.audit(actor: $0, action: $1, object: $2, detail: $3) }
                )
            }
        }
        if let enrollment {
            EnrollmentRoutes.add(to: router, directory: enrollment, keyring: keyring, clock: clock, logger: logger)
        }
        router.get("/v1/health") { _, _ in "ok\n" }
        router.get("/healthz") { _, _ in "ok\n" }
        // A balancer sends no batch to an instance whose database is gone or not migrated yet.
        router.get("/readyz") { _, _ -> Response in
            do {
                try await repository.ready()
                return json(.ok, #"{"ready":true}"#)
            } catch {
                let why = String(decoding: try JSONEncoder().encode(["error": "\(error)"]), as: UTF8.self)
                return json(.serviceUnavailable, why)
            }
        }
        router.post("/v1/envelopes") { request, context -> Response in
            try await receiveEnvelopes(
                request,
                context,
                receiver: receiver,
                guards: guards,
                clock: clock,
                logger: logger
            )
        }

        // A terminal follows the cases it showed; the reference is its only key (50 random bits).
        router.get("/v1/cases/:ref") { _, context -> Response in
            let ref = context.parameters.get("ref") ?? ""
            guard let status = try await repository.caseStatus(ref: ref, catalog: catalog) else {
                return json(.notFound, #"{"error":"no such case"}"#)
            }
            return json(.ok, String(decoding: try encoder.encode(status), as: UTF8.self))
        }
        if let messages {
            CaseMessageRoutes.addAPI(
                to: router,
                messages: messages,
                staffToken: staffToken,
                clock: clock,
                logger: logger
            )
        }
        // Case handlers and insurers report progress: {"state": "...", "note": "...", "insurer": "..."?}.
        // The staff token may make any step; an insurer's token only its own insurer's step, on
        // cases it is on (docs/insurers.md).
        router.post("/v1/cases/:ref/progress") { request, context -> Response in
            guard staffToken != nil || insurers.hasTokens else {
                return json(.forbidden, #"{"error":"progress over HTTP is off: start serve with --staff-token-file"}"#)
            }
            let presented = request.headers[.authorization].flatMap { a in
                a.hasPrefix("Bearer ") ? String(a.dropFirst(7)) : nil
            }
            let asInsurer = presented.flatMap { t in t == staffToken ? nil : insurers.insurer(token: t) }
            guard let presented, presented == staffToken || asInsurer != nil else {
                return json(
                    .unauthorized,
                    insurers.hasTokens
                        ? #"{"error":"Authorization: Bearer <staff or insurer token> required"}"#
                        : #"{"error":"Authorization: Bearer <staff token> required"}"#
                )
            }
            var request = request
            let body = try await request.collectBody(upTo: 64 << 10)
            guard let step = try? JSONDecoder().decode(ProgressStep.self, from: Data(body.readableBytesView)) else {
                return json(.badRequest, #"{"error":"body is not {\"state\": ..., \"note\": ..., \"insurer\"?: ...}"}"#)
            }
            let ref = context.parameters.get("ref") ?? ""
            if let asInsurer {
                // A case it is not on answers as a case that does not exist: references are not
                // to be probed with an insurer's token.
                guard let status = try await repository.caseStatus(ref: ref, catalog: catalog),
                    status.insurers.contains(where: { $0.id == asInsurer })
                else {
                    return json(.notFound, #"{"error":"no such case"}"#)
                }
                guard step.insurer == asInsurer else {
                    return json(
                        .forbidden,
                        String(
                            decoding: try JSONEncoder().encode([
                                "error":
                                    "an insurer's token changes only that insurer's state: send \"insurer\": \"\(asInsurer)\""
                            ]),
                            as: UTF8.self
                        )
                    )
                }
            }
            do {
                try await repository.progress(
                    ref: ref,
                    state: step.state,
                    note: step.note ?? "",
                    insurer: step.insurer,
                    nowNanos: clock()
                )
            } catch let e as CaseProgressError {
                if case .noSuchCase = e { return json(.notFound, #"{"error":"no such case"}"#) }
                return json(
                    .badRequest,
                    String(decoding: try JSONEncoder().encode(["error": e.description]), as: UTF8.self)
                )
            }
            logger.info(
                "case progress",
                metadata: [
                    "case": "\(ref)", "state": "\(step.state)", "insurer": "\(step.insurer ?? "-")",
                    "by": "\(asInsurer.map { "insurer \($0)" } ?? "staff")",
                ]
            )
            let status = try await repository.caseStatus(ref: ref, catalog: catalog)
            return json(.ok, String(decoding: try encoder.encode(status), as: UTF8.self))
        }
        return router
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    struct ProgressStep: Decodable {
        var state: String
        var note: String?
        var insurer: String?
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
}
