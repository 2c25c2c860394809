import Foundation
import GatewayCore
import Hummingbird
import Logging
import NIOCore

extension CaseServerRoutes {
    /// `POST /v1/envelopes`, cheapest refusals first: a throttled address (429) before the body
    /// is read; a body over the byte limit (413) before more than that is buffered; a batch
    /// over the envelope limit (413) and a throttled device id whose trial envelope does not
    /// open (429) before any envelope is opened.
    static func receiveEnvelopes(
        _ request: Request,
        _ context: CaseServerRequestContext,
        receiver: EnvelopeReceiver,
        guards: EnvelopeGuards,
        clock: @Sendable () -> Int64,
        logger: Logger
    ) async throws -> Response {
        let now = clock()
        let address = ClientAddress.of(
            peer: context.remoteAddress,
            headers: request.headers,
            trustedProxies: guards.trustedProxies,
            proxied: ProxiedClients.shared.address(of: context.channel)
        )
        if let wait = guards.throttle.retryAfter(address: address, nowNanos: now) {
            return tooManyFailures("address", wait: wait)
        }
        let limits = guards.limits
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limits.maxBytes {
            return json(.contentTooLarge, limits.tooLarge("body of \(length) bytes"))
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limits.maxBytes)
        } catch is NIOTooManyBytesError {
            return json(.contentTooLarge, limits.tooLarge("body over \(limits.maxBytes) bytes"))
        }
        guard let batch = try? JSONDecoder().decode(EnvelopeBatch.self, from: Data(body.readableBytesView)) else {
            return json(.badRequest, #"{"error":"body is not {\"envelopes\": [...]} of wire format v1"}"#)
        }
        guard batch.envelopes.count <= limits.maxEnvelopes else {
            return json(.contentTooLarge, limits.tooLarge("batch of \(batch.envelopes.count) envelopes"))
        }
        let throttled = guards.throttle.throttled(devices: Set(batch.envelopes.map(\.device)), nowNanos: now)
        for (device, wait) in throttled.sorted(by: { $0.key < $1.key }) {
            let trial = batch.envelopes.first { $0.device == device }!
            guard try await receiver.opens(trial) else {
                logShutOut(guards.throttle.record(address: address, failures: [device: 1], nowNanos: now), logger)
                return tooManyFailures("device", wait: wait)
            }
        }
        let results: EnvelopeResults
        do {
            results = try await receiver.receive(batch, nowNanos: now)
        } catch {
            // Nothing of the batch was stored (its transaction did not commit): the terminal
            // keeps it and sends it again. Said here, once per batch, or nobody would know.
            logger.error(
                "batch not stored; the terminal will send it again",
                metadata: ["envelopes": "\(batch.envelopes.count)", "error": "\(StoreError.summary(of: error))"]
            )
            return json(
                .serviceUnavailable,
                #"{"error":"the case store cannot take the batch now; send it again later"}"#
            )
        }
        var failures: [String: Int] = [:]
        for (envelope, result) in zip(batch.envelopes, results.results) where result.status == .rejected {
            failures[envelope.device, default: 0] += 1
        }
        logShutOut(guards.throttle.record(address: address, failures: failures, nowNanos: now), logger)
        return json(.ok, String(decoding: try results.jsonBytes(), as: UTF8.self))
    }

    /// One line when a client is shut out, not one per refused request: a flood's 429s cost
    /// the server no log I/O. The address is not logged (personal data).
    static func logShutOut(_ shut: EnvelopeThrottle.ShutOut, _ logger: Logger) {
        for device in shut.devices {
            logger.warning("device throttled: its envelopes keep failing to open", metadata: ["device": "\(device)"])
        }
        if shut.address { logger.warning("client address throttled: its envelopes keep failing to open") }
    }

    /// 429: too many envelopes under this address or device id failed to open lately.
    static func tooManyFailures(_ what: String, wait: Int) -> Response {
        Response(
            status: .tooManyRequests,
            headers: [.contentType: "application/json", .retryAfter: "\(wait)"],
            body: .init(
                byteBuffer: ByteBuffer(
                    string:
                        #"{"retry_after_s":\#(wait),"throttled":"\#(what)","error":"too many envelopes from this \#(what) failed to open: try again after \#(wait) s"}"#
                )
            )
        )
    }
}
