import Crypto
import Foundation
import GatewayCore
import XCTest

/// An `enc` that cannot be a public key of the suite's KEM (32 bytes for X25519, 65 for P-256)
/// is `malformed`, refused before any DH: `authentication_failed` would blame a key.
final class EncLengthTests: XCTestCase {
    static func event() -> CaptureEvent {
        let scan = Scan(readerID: "r0", bytes: Array("ACME-1".utf8), wallNanos: 1, monotonicNanos: 1)
        return CaptureEvent(
            id: "018f0000-0000-7000-8000-000000000001",
            device: "t1",
            seq: 1,
            scan: scan,
            tag: TagClassification(kind: .subject, schema: "acme", subject: "1")
        )
    }

    func check(deviceKey: SealingPrivateKey, serverKey: SealingPrivateKey, wantLength: Int) throws {
        let sealer = EnvelopeSealer(device: "t1", deviceKey: deviceKey, serverKey: serverKey.publicKey)
        let envelope = try sealer.seal(Self.event(), sealedAtNanos: 1)
        let opener = EnvelopeOpener(serverKeys: [serverKey])
        XCTAssertEqual(Data(base64Encoded: envelope.enc)?.count, wantLength)
        XCTAssertNoThrow(try opener.open(envelope, deviceKeys: [deviceKey.publicKey]))
        let enc = Data(base64Encoded: envelope.enc)!
        for wrong in [Data(), enc.prefix(wantLength - 1), enc + [0], Data(repeating: 7, count: 97)] {
            var junk = envelope
            junk.enc = wrong.base64EncodedString()
            XCTAssertThrowsError(try opener.open(junk, deviceKeys: [deviceKey.publicKey])) {
                let e = $0 as? EnvelopeOpener.OpenError
                XCTAssertEqual(
                    e,
                    .malformed("enc is \(wrong.count) bytes, not the \(wantLength) of a \(serverKey.kem) public key")
                )
                XCTAssertTrue(e?.reason.hasPrefix("malformed: enc is") ?? false)
            }
        }
        // The right length but the wrong bytes: that one is for HPKE to refuse.
        var flipped = envelope
        var bytes = enc
        bytes[bytes.count - 1] ^= 1
        flipped.enc = bytes.base64EncodedString()
        XCTAssertThrowsError(try opener.open(flipped, deviceKeys: [deviceKey.publicKey])) {
            XCTAssertEqual($0 as? EnvelopeOpener.OpenError, .authenticationFailed)
        }
    }

    func testX25519EncOfTheWrongLengthIsMalformed() throws {
        try check(deviceKey: .generate(.x25519), serverKey: .generate(.x25519), wantLength: 32)
    }

    func testP256EncOfTheWrongLengthIsMalformed() throws {
        try check(deviceKey: .generate(.p256), serverKey: .generate(.p256), wantLength: 65)
    }
}
