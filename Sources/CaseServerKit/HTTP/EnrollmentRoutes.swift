import Foundation
import GatewayCore
import Hummingbird
import Logging
import NIOCore

/// `POST /v1/enroll`: a terminal registers its public key with a one-time token an operator
/// made for it (`case-server enroll --device ID`), over the server's TLS, so no key file is
/// copied by hand. Body `{"token", "device", "public_key"}` (SubjectPublicKeyInfo PEM, X25519
/// or P-256). Answers: 201 registered; 400 a bad body, device id or key; 403 a token that does
/// not exist or was made for another device; 409 a used token; 410 an expired one. The token
/// is never logged, and never echoed back.
public enum EnrollmentRoutes {
    /// - Parameters: `keyring`: this instance's receiver cache, told of the enrollment so the
    ///   terminal's first envelopes need not wait for its expiry.
    public static func add(
        to router: Router<some RequestContext>,
        directory: any DeviceDirectory,
        keyring: DeviceKeyring?,
        clock: @escaping @Sendable () -> Int64,
        logger: Logger
    ) {
        router.post("/v1/enroll") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 16 << 10)
            guard let req = try? JSONDecoder().decode(Request.self, from: Data(body.readableBytesView)) else {
                return error(.badRequest, #"body is not {"token": ..., "device": ..., "public_key": PEM}"#)
            }
            guard GatewayConfig.isValidID(req.device) else {
                return error(.badRequest, "device: not a device id (letters, digits, '.', '_', '-')")
            }
            let key: SealingPublicKey
            do { key = try SealingPublicKey(pemRepresentation: req.publicKey) } catch {
                return Self.error(
                    .badRequest,
                    "public_key: \(error) (send the PEM that gatewayd keygen printed: X25519 or P-256 SubjectPublicKeyInfo)"
                )
            }
            do {
                try await directory.redeemEnrollmentToken(req.token, device: req.device, key: key, nowNanos: clock())
            } catch let e as EnrollmentError {
                logger.warning(
                    "enrollment refused",
                    metadata: ["device": "\(req.device)", "reason": "\(Self.code(e))"]
                )
                return error(Self.status(e), e.description)
            }
            keyring?.forget(req.device)
            logger.info(
                "terminal enrolled",
                metadata: ["device": "\(req.device)", "key_id": "\(key.keyID)", "kem": "\(key.kem)"]
            )
            let answer = ["device": req.device, "key_id": key.keyID, "status": "enrolled"]
            return CaseServerRoutes.json(
                .created,
                String(decoding: try CaseServerRoutes.encoder.encode(answer), as: UTF8.self)
            )
        }
    }

    static func status(_ e: EnrollmentError) -> HTTPResponse.Status {
        switch e {
        case .unknownToken, .otherDevice: return .forbidden
        case .used: return .conflict
        case .expired: return .gone
        }
    }

    /// A short word for the log.
    static func code(_ e: EnrollmentError) -> String {
        switch e {
        case .unknownToken: return "unknown_token"
        case .otherDevice: return "other_device"
        case .used: return "used_token"
        case .expired: return "expired_token"
        }
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let text = (try? CaseServerRoutes.encoder.encode(["error": message])).map {
            String(decoding: $0, as: UTF8.self)
        }
        return CaseServerRoutes.json(status, text ?? #"{"error":"enrollment failed"}"#)
    }

    struct Request: Decodable {
        var token: String
        var device: String
        var publicKey: String

        enum CodingKeys: String, CodingKey {
            case token, device
            case publicKey = "public_key"
        }
    }
}
