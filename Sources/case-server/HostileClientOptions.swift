import ArgumentParser
import CaseServerKit
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL

/// `serve`'s limits on what one client can make the server spend: batch size, the throttle of
/// clients whose envelopes keep failing to open, connections and their timeouts.
struct HostileClientOptions: ParsableArguments {
    @Option(name: .long, help: "Most envelopes in one POST /v1/envelopes; more is answered 413.")
    var maxBatchEnvelopes = EnvelopeLimits.defaultMaxEnvelopes
    @Option(name: .long, help: "Largest POST /v1/envelopes body in KiB; more is answered 413.")
    var maxBatchKb = EnvelopeLimits.defaultMaxBytes >> 10
    @Option(
        name: .long,
        help: "Envelopes a device id or client address may fail to open at once before it is answered 429."
    ) var throttleBurst = FailureThrottle.Policy().burst
    @Option(name: .long, help: "Failed envelopes per second a device id or address is forgiven.")
    var throttlePerSecond = FailureThrottle.Policy().perSecond
    @Option(name: .long, help: "Longest a device id or address is answered 429 (the largest Retry-After), seconds.")
    var throttleMaxSeconds = FailureThrottle.Policy().maxBlockSeconds
    @Option(
        name: .long,
        help:
            "A load balancer's address whose PROXY protocol header (haproxy send-proxy-v2) or X-Forwarded-For names the client (repeat for several); nobody else's is believed."
    ) var trustedProxy: [String] = []
    @Option(name: .long, help: "Most connections open at once; one more is closed as soon as it is accepted.")
    var maxConnections = 1000
    @Option(name: .long, help: "Seconds for the TLS handshake and a request's head, from the first byte.")
    var headerTimeout = 10
    @Option(name: .long, help: "Seconds a keep-alive connection may wait for its next request.")
    var idleTimeout = 75
    @Option(name: .long, help: "Seconds for a request's body and the answer, from its head.")
    var requestTimeout = 60

    func validate() throws {
        let positive: [(String, Int)] = [
            ("--max-batch-envelopes", maxBatchEnvelopes), ("--max-batch-kb", maxBatchKb),
            ("--throttle-per-second", throttlePerSecond), ("--throttle-max-seconds", throttleMaxSeconds),
            ("--max-connections", maxConnections), ("--header-timeout", headerTimeout),
            ("--idle-timeout", idleTimeout), ("--request-timeout", requestTimeout),
        ]
        for (name, value) in positive where value < 1 {
            throw ValidationError("\(name) \(value): give a whole number of at least 1")
        }
        guard throttleBurst >= 0 else { throw ValidationError("--throttle-burst \(throttleBurst): give 0 or more") }
    }

    func guards() throws -> EnvelopeGuards {
        let policy = FailureThrottle.Policy(
            burst: throttleBurst,
            perSecond: throttlePerSecond,
            maxBlockSeconds: throttleMaxSeconds
        )
        return EnvelopeGuards(
            limits: EnvelopeLimits(maxEnvelopes: maxBatchEnvelopes, maxBytes: maxBatchKb << 10),
            throttle: EnvelopeThrottle(devicePolicy: policy, addressPolicy: policy),
            trustedProxies: Set(trustedProxy)
        )
    }

    /// HTTPS with a `ConnectionGuardHandler` in front of TLS on every connection.
    func server(tls: TLSConfiguration) throws -> HTTPServerBuilder {
        let budget = ConnectionBudget(limit: maxConnections)
        let limits = ConnectionTimeouts.Limits(
            header: .seconds(headerTimeout),
            idle: .seconds(idleTimeout),
            request: .seconds(requestTimeout)
        )
        let tlsChannel = TLSChannelConfiguration(tlsConfiguration: tls)
        return HTTPServerBuilder { responder in
            GuardedChannel(
                try TLSChannel(HTTP1Channel(responder: responder), configuration: tlsChannel),
                budget: budget,
                limits: limits,
                trustedProxies: Set(trustedProxy)
            )
        }
    }
}
