import AsyncHTTPClient
import Foundation
import GatewayCore
import GatewaySystem
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOSSL

/// Posts batches of spooled envelopes to `POST {server}/v1/envelopes` over HTTPS and reduces
/// whatever happens to a `DeliveryOutcome`. TLS is always verified: against the configured CA
/// bundle, or the system's trust store when none is configured.
public final class HTTPDeliverer: Sendable {
    private let client: HTTPClient
    private let endpoint: String
    /// `https://host:port`, for the other endpoints (`/v1/cases/{ref}`).
    private let base: String
    /// Set when `[server] pin_sha256` is: deliveries then go through the pinned pipeline.
    private let pinned: PinnedPoster?
    private let requestTimeout: Duration
    /// For `inspect`: the same TLS settings and timeouts.
    private let tls: TLSConfiguration
    private let pins: [String]
    private let connectTimeout: Duration
    private let readTimeout: Duration
    /// A server answer larger than this is not a valid results document.
    private let maxResponseBytes = 16 << 20

    /// - Parameters:
    ///   - connectTimeout: TCP and TLS set-up.
    ///   - readTimeout: longest silence while the answer is awaited (a hung server).
    ///   - requestTimeout: the whole exchange, however the bytes trickle.
    public init(
        serverURL: String,
        caPath: String?,
        clientCertPath: String? = nil,
        clientKeyPath: String? = nil,
        pins: [String] = [],
        connectTimeout: Duration,
        readTimeout: Duration? = nil,
        requestTimeout: Duration
    ) throws(DelivererError) {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let caPath {
            guard FileManager.default.isReadableFile(atPath: caPath) else { throw .caUnreadable(path: caPath) }
            tls.trustRoots = .file(caPath)
        }
        if let clientCertPath, let clientKeyPath {
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(clientCertPath).map { .certificate($0) }
                if let handle = try TPMHandle.parse(configValue: clientKeyPath) {
                    // The key stays in the TPM: the handshake's signature is made there.
                    let key = try TPMDeviceKey.shared(handle: handle)
                    tls.privateKey = .privateKey(NIOSSLPrivateKey(customPrivateKey: TPMTLSKey(key: key)))
                } else {
                    tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: clientKeyPath, format: .pem))
                }
            } catch {
                throw .clientCertificate(cert: clientCertPath, key: clientKeyPath, detail: "\(error)")
            }
        }
        var config = HTTPClient.Configuration(
            tlsConfiguration: tls,
            timeout: .init(connect: .init(connectTimeout), read: .init(readTimeout ?? requestTimeout))
        )
        config.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
        endpoint = serverURL + "/v1/envelopes"
        base = serverURL
        if pins.isEmpty {
            pinned = nil
        } else {
            do {
                pinned = try PinnedPoster(
                    url: URL(string: endpoint)!,
                    tls: tls,
                    pins: pins,
                    connectTimeout: connectTimeout,
                    readTimeout: readTimeout ?? requestTimeout,
                    requestTimeout: requestTimeout
                )
            } catch {
                throw .pinning(detail: "\(error)")
            }
        }
        self.requestTimeout = requestTimeout
        self.tls = tls
        self.pins = pins
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout ?? requestTimeout
    }

    /// The deliverer `[server]` and `[forward]` describe.
    public convenience init(config: GatewayConfig) throws(DelivererError) {
        try self.init(
            serverURL: config.server.url,
            caPath: config.server.caPath,
            clientCertPath: config.server.clientCertPath,
            clientKeyPath: config.server.clientKeyPath,
            pins: config.server.pins,
            connectTimeout: config.forward.connectTimeout,
            readTimeout: config.forward.readTimeout,
            requestTimeout: config.forward.requestTimeout
        )
    }

    /// What `--probe` learns from one exchange: the outcome as the forwarder would see it, plus
    /// the chain the handshake presented, the time to connect and the server's `Date`.
    public struct Inspection: Sendable {
        public var outcome: DeliveryOutcome
        public var chain: [ProbeCheck.CertificateFacts]
        /// Connect, handshake, request and answer.
        public var roundTripMs: Int?
        /// The server's `Date` header, seconds since the epoch.
        public var serverDate: Int64?
        /// Wall clock when the answer's head arrived, nanoseconds.
        public var receivedAtNanos: Int64
    }

    /// Posts `batch` over a fresh connection (the same TLS settings and pins as delivery) and
    /// reports what the handshake and the answer showed.
    public func inspect(_ batch: [Envelope]) async -> Inspection {
        var body = ByteBuffer()
        body.writeBytes((try? JSONEncoder().encode(EnvelopeBatch(envelopes: batch))) ?? Data())
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "User-Agent", value: "gatewayd/\(GatewayVersion.string) probe")
        let seen = NIOLockedValueBox<[PinnedPoster.SeenCertificate]>([])
        let started = Clocks.monotonicNanos()
        let now = Clocks.wallNanos() / 1_000_000_000
        func facts() -> [ProbeCheck.CertificateFacts] {
            seen.withLockedValue { $0 }.map {
                .init(
                    subject: $0.subject,
                    notAfter: RFC3339.format(unixNanos: $0.notAfter * 1_000_000_000),
                    daysLeft: Int(
                        $0.notAfter >= now ? ($0.notAfter - now) / 86400 : ($0.notAfter - now - 86399) / 86400
                    ),
                    pinSHA256: $0.pin
                )
            }
        }
        do {
            let poster = try PinnedPoster(
                url: URL(string: endpoint)!,
                tls: tls,
                pins: pins,
                connectTimeout: connectTimeout,
                readTimeout: readTimeout,
                requestTimeout: requestTimeout
            )
            let r = try await poster.post(body: body, headers: headers, seen: seen)
            return Inspection(
                outcome: Self.outcome(status: r.status, retryAfter: r.headers.first(name: "Retry-After"), body: r.body),
                chain: facts(),
                roundTripMs: Int((Clocks.monotonicNanos() - started) / 1_000_000),
                serverDate: r.headers.first(name: "Date").flatMap(HTTPDate.parse),
                receivedAtNanos: Clocks.wallNanos()
            )
        } catch {
            return Inspection(
                outcome: .transportFailure(reason: Self.describe(error)),
                chain: facts(),
                roundTripMs: nil,
                serverDate: nil,
                receivedAtNanos: Clocks.wallNanos()
            )
        }
    }

    /// `POST {server}{path}` with a JSON body over a fresh connection, with delivery's TLS
    /// settings and pins (`gatewayd enroll`). - Returns: the status and body, or what failed on
    /// the way (DNS, TCP, TLS, pin, timeout) in words.
    public func postJSON(path: String, body: [UInt8]) async -> Result<(status: Int, body: [UInt8]), TransportFailure> {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "User-Agent", value: "gatewayd/\(GatewayVersion.string)")
        do {
            let poster = try PinnedPoster(
                url: URL(string: base + path)!,
                tls: tls,
                pins: pins,
                connectTimeout: connectTimeout,
                readTimeout: readTimeout,
                requestTimeout: requestTimeout
            )
            let r = try await poster.post(body: ByteBuffer(bytes: body), headers: headers)
            return .success((r.status, Array(r.body.readableBytesView)))
        } catch {
            return .failure(TransportFailure(reason: Self.describe(error)))
        }
    }

    /// Why an exchange did not get an answer.
    public struct TransportFailure: Error, Equatable {
        public var reason: String
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    public func deliver(_ batch: [SpooledEnvelope]) async -> DeliveryOutcome {
        var body = ByteBuffer()
        body.reserveCapacity(batch.reduce(32) { $0 + $1.body.count + 1 })
        body.writeString(#"{"envelopes":["#)
        for (i, e) in batch.enumerated() {
            if i > 0 { body.writeInteger(UInt8(ascii: ",")) }
            body.writeBytes(e.body)
        }
        body.writeString("]}")

        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "gatewayd/\(GatewayVersion.string)")
        request.body = .bytes(body)
        if let pinned {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "User-Agent", value: "gatewayd/\(GatewayVersion.string)")
            do {
                let r = try await pinned.post(body: body, headers: headers)
                return Self.outcome(status: r.status, retryAfter: r.headers.first(name: "Retry-After"), body: r.body)
            } catch {
                return .transportFailure(reason: Self.describe(error))
            }
        }
        do {
            let response = try await client.execute(request, timeout: .init(requestTimeout))
            let bytes = try await response.body.collect(upTo: maxResponseBytes)
            return Self.outcome(
                status: Int(response.status.code),
                retryAfter: response.headers.first(name: "Retry-After"),
                body: bytes
            )
        } catch {
            return .transportFailure(reason: Self.describe(error))
        }
    }

    /// `GET /v1/cases/{ref}` with the same TLS settings, pins and timeouts as delivery.
    public func fetchCase(ref: String) async -> Result<CaseStatus, CaseFetchError> {
        guard ref.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }), !ref.isEmpty
        else {
            return .failure(.notFound(ref))
        }
        let path = "/v1/cases/" + ref
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: "gatewayd/\(GatewayVersion.string)")
        let status: Int
        let body: ByteBuffer
        do {
            if let pinned {
                let r = try await pinned.post(
                    body: ByteBuffer(),
                    headers: headers,
                    method: .GET,
                    path: URL(string: base + path)!.path
                )
                (status, body) = (r.status, r.body)
            } else {
                var request = HTTPClientRequest(url: base + path)
                request.method = .GET
                request.headers = headers
                let response = try await client.execute(request, timeout: .init(requestTimeout))
                (status, body) = (Int(response.status.code), try await response.body.collect(upTo: 1 << 20))
            }
        } catch {
            return .failure(.transport(Self.describe(error)))
        }
        switch status {
        case 200:
            guard let s = try? JSONDecoder().decode(CaseStatus.self, from: Data(body.readableBytesView)), s.ref == ref
            else {
                return .failure(.malformed)
            }
            return .success(s)
        case 404: return .failure(.notFound(ref))
        default: return .failure(.status(status))
        }
    }

    public enum CaseFetchError: Error, Equatable, CustomStringConvertible {
        case transport(String)
        case status(Int)
        case notFound(String)
        case malformed

        public var description: String {
            switch self {
            case .transport(let r): return r
            case .status(let s): return "server answered \(s)"
            case .notFound(let r): return "the server has no case \(r)"
            case .malformed: return "the answer is not a case status"
            }
        }
    }

    static func outcome(status: Int, retryAfter: String?, body bytes: ByteBuffer) -> DeliveryOutcome {
        guard status == 200 else {
            // The server's words, printable ASCII only, for a dead letter's reason.
            let detail = String(
                decoding: bytes.readableBytesView.prefix(200).map { (0x20...0x7E).contains($0) ? $0 : 0x20 },
                as: UTF8.self
            )
            return .httpStatus(
                status,
                retryAfter: retryAfter.flatMap(parseRetryAfter),
                detail: detail.isEmpty ? nil : detail
            )
        }
        guard let results = try? JSONDecoder().decode(EnvelopeResults.self, from: Data(bytes.readableBytesView)) else {
            return .transportFailure(reason: "server answered 200 with a body that is not a results document")
        }
        return .results(results)
    }

    /// Retry-After as delta-seconds (RFC 9110 §10.2.3). An HTTP-date is not trusted: the
    /// terminal's clock may be wrong, which is one reason it is waiting.
    static func parseRetryAfter(_ value: String) -> Duration? {
        guard let s = Int(value.trimmingCharacters(in: .whitespaces)), s >= 0 else { return nil }
        return .seconds(min(s, 3600))
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError {
            if e == .connectTimeout { return "connect timeout" }
            if e == .readTimeout { return "read timeout" }
            if e == .deadlineExceeded { return "request timeout" }
            if e == .remoteConnectionClosed { return "server closed the connection" }
        }
        if let e = error as? PinnedPoster.PinError { return e.description }
        if let e = error as? NIOSSLError { return "TLS: \(e)" }
        if let e = error as? BoringSSLError { return "TLS: \(e)" }
        return "\(error)"
    }
}

public enum DelivererError: Error, CustomStringConvertible {
    case caUnreadable(path: String)
    case clientCertificate(cert: String, key: String, detail: String)
    case pinning(detail: String)

    public var description: String {
        switch self {
        case .caUnreadable(let path):
            return
                "server.ca \(path): cannot read the CA bundle; point [server] ca at the PEM file of the CA that signed the case server's certificate"
        case .pinning(let detail):
            return "server.pin_sha256: cannot set up pinned TLS (\(detail))"
        case .clientCertificate(let cert, let key, let detail):
            return
                "server.client_cert \(cert) / client_key \(key): cannot load (\(detail)); both must be PEM, the key unencrypted and readable by the service user"
        }
    }
}

extension TimeAmount {
    init(_ d: Duration) {
        let (s, atto) = d.components
        self = .nanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }
}
