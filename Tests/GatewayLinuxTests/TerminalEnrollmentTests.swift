import Crypto
import Foundation
import GatewayCore
import XCTest

@testable import GatewayLinux

/// What `gatewayd enroll` sends and how it reads the server's answer (no sockets).
final class TerminalEnrollmentTests: XCTestCase {
    let key = SealingPublicKey(Curve25519.KeyAgreement.PrivateKey().publicKey)

    func testTheBodyCarriesTokenDeviceAndThePublicKeyPEM() throws {
        let body = TerminalEnrollment.body(token: "tok", device: "term-1", key: key)
        let fields = try JSONDecoder().decode([String: String].self, from: Data(body))
        XCTAssertEqual(fields["token"], "tok")
        XCTAssertEqual(fields["device"], "term-1")
        XCTAssertEqual(try SealingPublicKey(pemRepresentation: fields["public_key"] ?? ""), key)
    }

    func testAnswersBecomeOutcomesWithTheServersWords() {
        XCTAssertEqual(TerminalEnrollment.outcome(status: 201, body: [], key: key), .enrolled(keyID: key.keyID))
        let used = Array(#"{"error":"the enrollment token was used already: ask for a new token"}"#.utf8)
        XCTAssertEqual(
            TerminalEnrollment.outcome(status: 409, body: used, key: key),
            .refused(status: 409, message: "the enrollment token was used already: ask for a new token")
        )
        XCTAssertEqual(
            TerminalEnrollment.outcome(status: 404, body: Array("Not Found\n".utf8), key: key),
            .refused(status: 404, message: "Not Found "),
            "a server without the endpoint: its words, printable only"
        )
        XCTAssertEqual(
            TerminalEnrollment.outcome(status: 500, body: [], key: key),
            .refused(status: 500, message: "no reason given")
        )
    }
}
