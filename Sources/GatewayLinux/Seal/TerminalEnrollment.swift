import Foundation
import GatewayCore
import GatewaySystem

/// `gatewayd enroll`: sends this terminal's device id and public key with a one-time token to
/// the case server's `POST /v1/enroll`, trusting the server as the forwarder does (`[server]`
/// CA, pins, client certificate). The private key never leaves its file or TPM.
public enum TerminalEnrollment {
    public enum Outcome: Equatable, Sendable {
        /// 201: registered.
        case enrolled(keyID: String)
        /// The server refused: its status and its words (a used or expired token says so).
        case refused(status: Int, message: String)
        /// No answer: DNS, TCP, TLS, pin or a timeout.
        case unreachable(String)
    }

    /// The public half of the configured device key (a file, or a TPM handle).
    public static func devicePublicKey(_ config: GatewayConfig) throws -> SealingPublicKey {
        if let handle = config.device.tpmHandle {
            return SealingPublicKey(try TPMDeviceKey.shared(handle: handle).publicKey)
        }
        return try KeyFile.loadAgreementKey(config.device.privateKeyPath, role: "device").publicKey
    }

    /// The request body (the token goes nowhere else).
    public static func body(token: String, device: String, key: SealingPublicKey) -> [UInt8] {
        let fields = ["token": token, "device": device, "public_key": key.pemRepresentation]
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? enc.encode(fields)) ?? Data())
    }

    /// What the server's answer means. Pure.
    public static func outcome(status: Int, body: [UInt8], key: SealingPublicKey) -> Outcome {
        if status == 201 { return .enrolled(keyID: key.keyID) }
        let words =
            (try? JSONDecoder().decode([String: String].self, from: Data(body)))?["error"]
            ?? String(decoding: body.prefix(200).map { (0x20...0x7E).contains($0) ? $0 : 0x20 }, as: UTF8.self)
        return .refused(status: status, message: words.isEmpty ? "no reason given" : words)
    }

    /// Posts the enrollment. - Parameter server: `https://host:port` (no path).
    public static func enroll(
        server: String,
        token: String,
        config: GatewayConfig,
        key: SealingPublicKey
    ) async throws(DelivererError) -> Outcome {
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        let client = try HTTPDeliverer(
            serverURL: base,
            caPath: config.server.caPath,
            clientCertPath: config.server.clientCertPath,
            clientKeyPath: config.server.clientKeyPath,
            pins: config.server.pins,
            connectTimeout: config.forward.connectTimeout,
            readTimeout: config.forward.readTimeout,
            requestTimeout: config.forward.requestTimeout
        )
        let answer = await client.postJSON(
            path: "/v1/enroll",
            body: body(token: token, device: config.device.id, key: key)
        )
        await client.shutdown()
        switch answer {
        case .success(let r): return outcome(status: r.status, body: r.body, key: key)
        case .failure(let f): return .unreachable(f.reason)
        }
    }
}
