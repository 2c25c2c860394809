import Foundation
import GatewayCore
import Hummingbird
import Logging
import NIOCore

/// The case server's HTTP API, built apart from any socket so tests drive it with
/// `app.test(.router)`: `serve` adds TLS and a port.
///
///     GET  /v1/health                  "ok"
///     POST /v1/envelopes               a gateway's batch; one result per envelope (413 over
///                                      `EnvelopeLimits`, 429 while `EnvelopeThrottle` says so)
///     GET  /v1/cases/{ref}             a case's status (terminals follow the cases they showed)
///     POST /v1/cases/{ref}/progress    a case handler's or insurer's step, with the staff token
public enum CaseServerRoutes {
    /// - Parameters: `staffToken`: the bearer token progress requires; nil turns progress over
    ///   HTTP off (403). `clock`: wall-clock nanoseconds, the time events and steps are stamped with.
    ///   `guards`: the envelope endpoint's batch limits and throttle.
    public static func router(
        receiver: EnvelopeReceiver,
        repository: any CaseRepository,
        catalog: GuidanceCatalog,
        staffToken: String?,
        clock: @escaping @Sendable () -> Int64,
        logger: Logger,
        guards: EnvelopeGuards = .init()
    ) -> Router<CaseServerRequestContext> {
        let router = Router(context: CaseServerRequestContext.self)
        router.add(middleware: ConnectionPhaseMiddleware())
        router.get("/v1/health") { _, _ in "ok\n" }
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
        // Case handlers and insurers report progress: {"state": "...", "note": "...", "insurer": "..."?}.
        router.post("/v1/cases/:ref/progress") { request, context -> Response in
            guard let staffToken else {
                return json(.forbidden, #"{"error":"progress over HTTP is off: start serve with --staff-token-file"}"#)
            }
            guard request.headers[.authorization] == "Bearer \(staffToken)" else {
                return json(.unauthorized, #"{"error":"Authorization: Bearer <staff token> required"}"#)
            }
            var request = request
            let body = try await request.collectBody(upTo: 64 << 10)
            guard let step = try? JSONDecoder().decode(ProgressStep.self, from: Data(body.readableBytesView)) else {
                return json(.badRequest, #"{"error":"body is not {\"state\": ..., \"note\": ..., \"insurer\"?: ...}"}"#)
            }
            let ref = context.parameters.get("ref") ?? ""
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
                metadata: ["case": "\(ref)", "state": "\(step.state)", "insurer": "\(step.insurer ?? "-")"]
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
