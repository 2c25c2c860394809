import Crypto
import Foundation
import XCTest

@testable import GatewayCore

/// Our RFC 9180 Auth-mode sealing must be what swift-crypto's (independent) `HPKE.Recipient`
/// opens, for every message, and nothing else.
final class HPKEAuthSenderTests: XCTestCase {
    func testSwiftCryptosRecipientOpensWhatWeSeal() throws {
        for n in [0, 1, 15, 16, 17, 300, 4096] {
            let server = Curve25519.KeyAgreement.PrivateKey()
            let device = Curve25519.KeyAgreement.PrivateKey()
            let sender = try HPKEAuthSender(recipient: server.publicKey, sender: device, info: SealSuite.info)
            let plaintext = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let aad = Array("id\ndevice\n\(n)".utf8)
            let (enc, ct) = try sender.seal(plaintext, aad: aad)
            XCTAssertEqual(enc.count, 32)
            XCTAssertEqual(ct.count, n + 16)
            var recipient = try HPKE.Recipient(
                privateKey: server,
                ciphersuite: SealSuite.ciphersuite,
                info: SealSuite.info,
                encapsulatedKey: Data(enc),
                authenticatedBy: device.publicKey
            )
            XCTAssertEqual(Array(try recipient.open(Data(ct), authenticating: Data(aad))), plaintext, "length \(n)")
        }
    }

    func testAnotherAADSenderOrInfoFailsAndEachSealIsFresh() throws {
        let server = Curve25519.KeyAgreement.PrivateKey()
        let device = Curve25519.KeyAgreement.PrivateKey()
        let sender = try HPKEAuthSender(recipient: server.publicKey, sender: device, info: SealSuite.info)
        let (enc, ct) = try sender.seal(Array("hello".utf8), aad: [1])
        let (enc2, ct2) = try sender.seal(Array("hello".utf8), aad: [1])
        XCTAssertNotEqual(enc, enc2)
        XCTAssertNotEqual(ct, ct2)
        func open(aad: [UInt8], from: Curve25519.KeyAgreement.PublicKey, info: Data) -> Bool {
            guard
                var r = try? HPKE.Recipient(
                    privateKey: server,
                    ciphersuite: SealSuite.ciphersuite,
                    info: info,
                    encapsulatedKey: Data(enc),
                    authenticatedBy: from
                )
            else { return false }
            return (try? r.open(Data(ct), authenticating: Data(aad))) != nil
        }
        XCTAssertTrue(open(aad: [1], from: device.publicKey, info: SealSuite.info))
        XCTAssertFalse(open(aad: [2], from: device.publicKey, info: SealSuite.info))
        XCTAssertFalse(open(aad: [1], from: Curve25519.KeyAgreement.PrivateKey().publicKey, info: SealSuite.info))
        XCTAssertFalse(open(aad: [1], from: device.publicKey, info: Data("other".utf8)))
    }
}

extension HPKEAuthSenderTests {
    /// And the other way: our recipient opens what swift-crypto's `HPKE.Sender` seals, and
    /// keeps refusing a wrong sender after it has cached the right one's DH.
    func testOurRecipientOpensSwiftCryptosSender() throws {
        let server = Curve25519.KeyAgreement.PrivateKey()
        let device = Curve25519.KeyAgreement.PrivateKey()
        let recipient = HPKEAuthRecipient(privateKey: server)
        for n in [0, 1, 100, 2000] {
            var sender = try HPKE.Sender(
                recipientKey: server.publicKey,
                ciphersuite: SealSuite.ciphersuite,
                info: SealSuite.info,
                authenticatedBy: device
            )
            let plaintext = (0..<n).map { UInt8(truncatingIfNeeded: $0) }
            let ct = try sender.seal(plaintext, authenticating: [9, 9])
            XCTAssertEqual(
                recipient.open(
                    enc: Array(sender.encapsulatedKey),
                    ct: Array(ct),
                    aad: [9, 9],
                    sender: device.publicKey,
                    info: SealSuite.info
                ),
                plaintext
            )
            XCTAssertNil(
                recipient.open(
                    enc: Array(sender.encapsulatedKey),
                    ct: Array(ct),
                    aad: [9, 8],
                    sender: device.publicKey,
                    info: SealSuite.info
                )
            )
            XCTAssertNil(
                recipient.open(
                    enc: Array(sender.encapsulatedKey),
                    ct: Array(ct),
                    aad: [9, 9],
                    sender: Curve25519.KeyAgreement.PrivateKey().publicKey,
                    info: SealSuite.info
                )
            )
        }
        XCTAssertNil(
            recipient.open(
                enc: [1, 2, 3],
                ct: Array(repeating: 0, count: 20),
                aad: [],
                sender: device.publicKey,
                info: SealSuite.info
            )
        )
    }
}

extension HPKEAuthSenderTests {
    /// The server reads only the event's header from the plaintext, but still refuses one that
    /// is not a v1 capture event or does not belong to the envelope's header.
    func testOpenerChecksTheSealedHeaderAndVersion() throws {
        let server = Curve25519.KeyAgreement.PrivateKey()
        let device = Curve25519.KeyAgreement.PrivateKey()
        let sender = try HPKEAuthSender(recipient: server.publicKey, sender: device, info: SealSuite.singleShotInfo)
        let opener = EnvelopeOpener(serverKeys: [server])
        func envelope(_ json: String, seq: UInt64 = 7) throws -> Envelope {
            let (enc, ct) = try sender.seal(Array(json.utf8), aad: SealSuite.aad(id: "e1", device: "t1", seq: seq))
            return Envelope(
                id: "e1",
                device: "t1",
                seq: seq,
                sealedAt: "2026-11-23T00:00:00.000Z",
                suite: SealSuite.singleShotName,
                keyID: X25519KeyPEM.keyID(of: server.publicKey),
                enc: Data(enc).base64EncodedString(),
                ct: Data(ct).base64EncodedString()
            )
        }
        let good = #"{"device":"t1","id":"e1","seq":7,"v":1}"#
        let (header, plaintext) = try opener.openHeader(try envelope(good), deviceKeys: [device.publicKey])
        XCTAssertEqual(header, EventHeader(id: "e1", device: "t1", seq: 7))
        XCTAssertEqual(String(decoding: plaintext, as: UTF8.self), good)
        XCTAssertThrowsError(
            try opener.openHeader(
                try envelope(#"{"device":"t1","id":"e1","seq":7,"v":2}"#),
                deviceKeys: [device.publicKey]
            )
        ) {
            XCTAssertEqual($0 as? EnvelopeOpener.OpenError, .malformed("capture event version 2 is not 1"))
        }
        XCTAssertThrowsError(
            try opener.openHeader(
                try envelope(#"{"device":"t1","id":"e1","seq":8,"v":1}"#),
                deviceKeys: [device.publicKey]
            )
        ) {
            XCTAssertEqual($0 as? EnvelopeOpener.OpenError, .headerMismatch)
        }
        XCTAssertThrowsError(try opener.openHeader(try envelope("not json"), deviceKeys: [device.publicKey])) {
            XCTAssertEqual($0 as? EnvelopeOpener.OpenError, .malformed("plaintext is not a v1 capture event"))
        }
        // The full open still wants a whole capture event.
        XCTAssertThrowsError(try opener.open(try envelope(good), deviceKeys: [device.publicKey]))
    }
}

extension HPKEAuthSenderTests {
    /// The export construction (`SealSuite.name`): what swift-crypto's `HPKE.Recipient`
    /// exports from a group's context is the key and nonce each envelope was sealed with.
    func testSwiftCryptoExportsTheKeysOfAGroupsEnvelopes() throws {
        let server = Curve25519.KeyAgreement.PrivateKey()
        let device = Curve25519.KeyAgreement.PrivateKey()
        let sealer = EnvelopeSealer(device: "t1", deviceKey: device, serverKey: server.publicKey)
        let group = try sealer.group(sealedAtNanos: 1_800_000_000_000_000_000)
        let events = (1...5).map { seq in
            CaptureEvent(
                id: "e\(seq)",
                device: "t1",
                seq: UInt64(seq),
                scan: Scan(readerID: "r", bytes: Array("OBJ-\(seq)".utf8), wallNanos: 1, monotonicNanos: 1),
                tag: .unknown
            )
        }
        let envelopes = try events.map { try group.seal($0) }
        XCTAssertEqual(Set(envelopes.map(\.enc)).count, 1, "one context, one encapsulated key for the group")
        XCTAssertEqual(Set(envelopes.map(\.ct)).count, 5)
        let enc = Data(base64Encoded: envelopes[0].enc)!
        let recipient = try HPKE.Recipient(
            privateKey: server,
            ciphersuite: SealSuite.ciphersuite,
            info: SealSuite.info,
            encapsulatedKey: enc,
            authenticatedBy: device.publicKey
        )
        for (event, envelope) in zip(events, envelopes).reversed() {
            XCTAssertEqual(envelope.suite, SealSuite.name)
            XCTAssertEqual(try openThroughExport(envelope, with: recipient), try event.jsonBytes())
        }
        // A second group gets a fresh context.
        XCTAssertNotEqual(try sealer.group(sealedAtNanos: 1).seal(events[0]).enc, envelopes[0].enc)
    }

    /// Our recipient opens a group's envelopes in any order, keeps the context for the rest,
    /// and still refuses a ciphertext moved under another header of the same group, another
    /// sender (also once the right sender's context is cached) and the other suite's info.
    func testRecipientOpensExportedEnvelopesAndRefusesMovedOnes() throws {
        let server = Curve25519.KeyAgreement.PrivateKey()
        let device = Curve25519.KeyAgreement.PrivateKey()
        let group = try EnvelopeSealer(device: "t1", deviceKey: device, serverKey: server.publicKey).group(
            sealedAtNanos: 1
        )
        let envelopes = try (1...4).map { seq in
            try group.seal(
                CaptureEvent(
                    id: "e\(seq)",
                    device: "t1",
                    seq: UInt64(seq),
                    scan: Scan(readerID: "r", bytes: [UInt8(seq)], wallNanos: 1, monotonicNanos: 1),
                    tag: .unknown
                )
            )
        }
        let recipient = HPKEAuthRecipient(privateKey: server)
        func open(
            _ e: Envelope,
            ctFrom other: Envelope? = nil,
            sender: Curve25519.KeyAgreement.PublicKey? = nil,
            info: Data = SealSuite.info
        ) -> [UInt8]? {
            let aad = SealSuite.aad(id: e.id, device: e.device, seq: e.seq)
            return recipient.openExported(
                enc: Array(Data(base64Encoded: e.enc)!),
                ct: Array(Data(base64Encoded: (other ?? e).ct)!),
                aad: aad,
                exporterContext: SealSuite.exporterContext(aad: aad),
                sender: sender ?? device.publicKey,
                info: info
            )
        }
        for e in [envelopes[2], envelopes[0], envelopes[3], envelopes[1]] {
            let plain = try XCTUnwrap(open(e))
            XCTAssertEqual(try JSONDecoder().decode(EventHeader.self, from: Data(plain)).seq, e.seq)
        }
        XCTAssertNil(open(envelopes[0], ctFrom: envelopes[1]), "a ciphertext is bound to its own header")
        XCTAssertNil(open(envelopes[0], sender: Curve25519.KeyAgreement.PrivateKey().publicKey))
        XCTAssertNil(open(envelopes[0], info: SealSuite.singleShotInfo))
        XCTAssertNotNil(open(envelopes[0]))
        // And the opener, end to end, for both suites.
        let opener = EnvelopeOpener(serverKeys: [server])
        XCTAssertEqual(try opener.openHeader(envelopes[1], deviceKeys: [device.publicKey]).header.seq, 2)
        var relabelled = envelopes[1]
        relabelled.suite = SealSuite.singleShotName
        XCTAssertThrowsError(try opener.openHeader(relabelled, deviceKeys: [device.publicKey])) {
            XCTAssertEqual($0 as? EnvelopeOpener.OpenError, .authenticationFailed)
        }
        relabelled.suite = "HPKE-something-else"
        XCTAssertThrowsError(try opener.openHeader(relabelled, deviceKeys: [device.publicKey])) {
            XCTAssertEqual($0 as? EnvelopeOpener.OpenError, .unsupportedSuite("HPKE-something-else"))
        }
    }
}
