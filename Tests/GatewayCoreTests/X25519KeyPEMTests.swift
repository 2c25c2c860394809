import Crypto
import GatewayCore
import XCTest

final class X25519KeyPEMTests: XCTestCase {
    // Made with `openssl genpkey -algorithm X25519` and `openssl pkey -pubout` (OpenSSL 3.0.19);
    // `openssl pkey -text` gave the public key 1561ae92…9927.
    let opensslPrivate = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VuBCIEIIAw+VaVLcWNfxdJFfvi9s/WQHkJwYck0wm8fvkHy2Vu
        -----END PRIVATE KEY-----
        """
    let opensslPublic = """
        -----BEGIN PUBLIC KEY-----
        MCowBQYDK2VuAyEAFWGuklr6gP5u5hvRrn2izSWMfLLHTieTuW6riGGRmSc=
        -----END PUBLIC KEY-----
        """

    func testReadsOpenSSLKeysAndDerivesTheSamePublicKey() throws {
        let priv = try X25519KeyPEM.privateKey(fromPEM: opensslPrivate)
        let pub = try X25519KeyPEM.publicKey(fromPEM: opensslPublic)
        XCTAssertEqual(priv.publicKey.rawRepresentation, pub.rawRepresentation)
        XCTAssertEqual(pub.rawRepresentation.prefix(4).map { $0 }, [0x15, 0x61, 0xAE, 0x92])
    }

    func testWritesWhatOpenSSLWrites() throws {
        let priv = try X25519KeyPEM.privateKey(fromPEM: opensslPrivate)
        XCTAssertEqual(X25519KeyPEM.privateKeyPEM(priv).trimmingCharacters(in: .whitespacesAndNewlines), opensslPrivate)
        XCTAssertEqual(
            X25519KeyPEM.publicKeyPEM(priv.publicKey).trimmingCharacters(in: .whitespacesAndNewlines),
            opensslPublic
        )
    }

    func testRejectsOtherKeyTypesWithAClearError() {
        // An Ed25519 key (RFC 8410 §10.3): same shape, different OID.
        let ed25519 = """
            -----BEGIN PRIVATE KEY-----
            MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC
            -----END PRIVATE KEY-----
            """
        XCTAssertThrowsError(try X25519KeyPEM.privateKey(fromPEM: ed25519)) {
            XCTAssertTrue("\($0)".contains("X25519"))
        }
        XCTAssertThrowsError(try X25519KeyPEM.publicKey(fromPEM: opensslPrivate)) {
            XCTAssertEqual($0 as? KeyFormatError, .notPEM(expectedLabel: "PUBLIC KEY"))
        }
        XCTAssertThrowsError(try X25519KeyPEM.privateKey(fromPEM: "garbage"))
    }

    func testKeyIDIsStableAndShort() throws {
        let pub = try X25519KeyPEM.publicKey(fromPEM: opensslPublic)
        XCTAssertEqual(X25519KeyPEM.keyID(of: pub).count, 16)
        XCTAssertEqual(X25519KeyPEM.keyID(of: pub), X25519KeyPEM.keyID(of: pub))
        XCTAssertNotEqual(
            X25519KeyPEM.keyID(of: pub),
            X25519KeyPEM.keyID(of: Curve25519.KeyAgreement.PrivateKey().publicKey)
        )
    }
}
