import Crypto
import Foundation
import Synchronization
import XCTest

@testable import GatewayCore

/// DHKEM(P-256, HKDF-SHA256) in our written-out key schedule: RFC 9180's own numbers first, then
/// swift-crypto's (independent) `HPKE.Recipient` opening what we seal, then the seam a key held
/// in a TPM plugs into (`StaticKeyAgreement`).
final class HPKEP256Tests: XCTestCase {
    /// RFC 9180 Appendix A.3.3, "DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM", Auth
    /// Setup Information, with its Encryptions (A.3.3.1) and Exported Values (A.3.3.2),
    /// transcribed from the RFC text (https://www.rfc-editor.org/rfc/rfc9180.txt). The RFC has
    /// no P-256 vectors for AES-256-GCM, hence the AEAD key length as a parameter.
    func testRFC9180AppendixA33AuthMode() throws {
        let schedule = HPKEKeySchedule(kem: .p256, aeadID: 0x0001, aeadKeyLength: 16)
        let info = Data(hex("4f6465206f6e2061204772656369616e2055726e"))
        let skEm = try P256.KeyAgreement.PrivateKey(
            rawRepresentation: hex("6b8de0873aed0c1b2d09b8c7ed54cbf24fdf1dfc7a47fa501f918810642d7b91")
        )
        let pkEm = hex(
            "042224f3ea800f7ec55c03f29fc9865f6ee27004f818fcbdc6dc68932c1e52"
                + "e15b79e264a98f2c535ef06745f3d308624414153b22c7332bc1e691cb4af4d53454"
        )
        let skRm = try P256.KeyAgreement.PrivateKey(
            rawRepresentation: hex("d929ab4be2e59f6954d6bedd93e638f02d4046cef21115b00cdda2acb2a4440e")
        )
        let pkRm = hex(
            "04423e363e1cd54ce7b7573110ac121399acbc9ed815fae03b72ffbd4c18b0"
                + "1836835c5a09513f28fc971b7266cfde2e96afe84bb0f266920e82c4f53b36e1a78d"
        )
        let skSm = try P256.KeyAgreement.PrivateKey(
            rawRepresentation: hex("1120ac99fb1fccc1e8230502d245719d1b217fe20505c7648795139d177f0de9")
        )
        let pkSm = hex(
            "04a817a0902bf28e036d66add5d544cc3a0457eab150f104285df1e293b5c1"
                + "0eef8651213e43d9cd9086c80b309df22cf37609f58c1127f7607e85f210b2804f73"
        )
        // SerializePublicKey is the uncompressed SEC1 point.
        XCTAssertEqual(SealingPrivateKey.p256(skEm).publicKeyRaw, pkEm)
        XCTAssertEqual(SealingPrivateKey.p256(skRm).publicKeyRaw, pkRm)
        XCTAssertEqual(SealingPrivateKey.p256(skSm).publicKeyRaw, pkSm)

        let sender = try HPKEAuthSender(
            recipient: SealingPublicKey(kem: .p256, raw: pkRm),
            sender: SealingPrivateKey.p256(skSm),
            info: info,
            schedule: schedule
        )
        XCTAssertEqual(
            sender.keyScheduleContext,
            hex(
                "02b88d4e6d91759e65e87c470e8b9141113e9ad5f0c8ce"
                    + "efc1e088c82e6980500798e486f9c9c09c9b5c753ac72d6005de254c607d1b534ed1"
                    + "1d493ae1c1d9ac85"
            )
        )
        let (enc, ctx) = try sender.context(ephemeral: .p256(skEm))
        XCTAssertEqual(enc, pkEm, "enc")
        XCTAssertEqual(bytes(ctx.key), hex("19aa8472b3fdc530392b0e54ca17c0f5"), "key")
        XCTAssertEqual(Array(ctx.baseNonce), hex("b390052d26b67a5b8a8fcaa4"), "base_nonce")
        XCTAssertEqual(
            bytes(ctx.exporterSecret),
            hex("f152759972660eb0e1db880835abd5de1c39c8e9cd269f6f082ed80e28acb164"),
            "exporter_secret"
        )

        // A.3.3.1: pt = "Beauty is truth, truth beauty", aad = "Count-<seq>", nonce =
        // base_nonce XOR I2OSP(seq, 12).
        let pt = hex("4265617574792069732074727574682c20747275746820626561757479")
        let encryptions: [(UInt64, String)] = [
            (0, "82ffc8c44760db691a07c5627e5fc2c08e7a86979ee79b494a17cc3405446ac2bdb8f265db4a099ed3289ffe19"),
            (1, "b0a705a54532c7b4f5907de51c13dffe1e08d55ee9ba59686114b05945494d96725b239468f1229e3966aa1250"),
            (2, "8dc805680e3271a801790833ed74473710157645584f06d1b53ad439078d880b23e25256663178271c80ee8b7c"),
            (4, "04c8f7aae1584b61aa5816382cb0b834a5d744f420e6dffb5ddcec633a21b8b3472820930c1ea9258b035937a2"),
            (255, "4a319462eaedee37248b4d985f64f4f863d31913fe9e30b6e13136053b69fe5d70853c84c60a84bb5495d5a678"),
            (256, "28e874512f8940fafc7d06135e7589f6b4198bc0f3a1c64702e72c9e6abaf9f05cb0d2f11b03a517898815c934"),
        ]
        for (seq, ct) in encryptions {
            var nonce = Array(ctx.baseNonce)
            for i in 0..<8 { nonce[11 - i] ^= UInt8(truncatingIfNeeded: seq >> (8 * UInt64(i))) }
            let box = try AES.GCM.seal(
                pt,
                using: ctx.key,
                nonce: AES.GCM.Nonce(data: nonce),
                authenticating: Array("Count-\(seq)".utf8)
            )
            XCTAssertEqual(Array(box.ciphertext) + Array(box.tag), hex(ct), "sequence number \(seq)")
        }
        // The single-shot path is sequence 0.
        XCTAssertEqual(
            try sender.seal(pt, aad: Array("Count-0".utf8), ephemeral: .p256(skEm)).ct,
            hex(encryptions[0].1)
        )

        // A.3.3.2, L = 32.
        let exports: [(String, String)] = [
            ("", "837e49c3ff629250c8d80d3c3fb957725ed481e59e2feb57afd9fe9a8c7c4497"),
            ("00", "594213f9018d614b82007a7021c3135bda7b380da4acd9ab27165c508640dbda"),
            ("54657374436f6e74657874", "14fe634f95ca0d86e15247cca7de7ba9b73c9b9deb6437e1c832daf7291b79d5"),
        ]
        for (context, value) in exports {
            XCTAssertEqual(
                schedule.export(ctx.exporterSecret, context: hex(context), length: 32),
                hex(value),
                "exporter_context \(context)"
            )
        }

        // AuthDecap on the recipient's side: our recipient opens sequence 0 from the RFC's enc,
        // and only with the RFC's sender key.
        let recipient = HPKEAuthRecipient(privateKey: .p256(skRm), schedule: schedule)
        let ct0 = hex(encryptions[0].1)
        let aad0 = Array("Count-0".utf8)
        XCTAssertEqual(
            recipient.open(
                enc: pkEm,
                ct: ct0,
                aad: aad0,
                sender: try SealingPublicKey(kem: .p256, raw: pkSm),
                info: info
            ),
            pt
        )
        XCTAssertNil(
            recipient.open(
                enc: pkEm,
                ct: ct0,
                aad: aad0,
                sender: SealingPrivateKey.generate(.p256).publicKey,
                info: info
            )
        )
    }

    func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    func bytes(_ key: SymmetricKey) -> [UInt8] { key.withUnsafeBytes { Array($0) } }
}

extension HPKEP256Tests {
    /// swift-crypto's `HPKE.Recipient` for DHKEM(P-256), HKDF-SHA256, AES-256-GCM opens our
    /// single-shot seal, for the right sender only.
    func testSwiftCryptosRecipientOpensOurP256Seal() throws {
        for n in [0, 1, 16, 300] {
            let server = P256.KeyAgreement.PrivateKey()
            let device = P256.KeyAgreement.PrivateKey()
            let sender = try HPKEAuthSender(
                recipient: SealingPublicKey(server.publicKey),
                sender: SealingPrivateKey.p256(device),
                info: SealSuite.info
            )
            let plaintext = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 3) }
            let aad = Array("id\nt1\n\(n)".utf8)
            let (enc, ct) = try sender.seal(plaintext, aad: aad)
            XCTAssertEqual(enc.count, 65)
            XCTAssertEqual(enc.first, 0x04, "uncompressed point")
            func open(from: P256.KeyAgreement.PublicKey) -> [UInt8]? {
                guard
                    var r = try? HPKE.Recipient(
                        privateKey: server,
                        ciphersuite: SealSuite.p256Ciphersuite,
                        info: SealSuite.info,
                        encapsulatedKey: Data(enc),
                        authenticatedBy: from
                    )
                else { return nil }
                return (try? r.open(Data(ct), authenticating: Data(aad))).map(Array.init)
            }
            XCTAssertEqual(open(from: device.publicKey), plaintext, "length \(n)")
            XCTAssertNil(open(from: P256.KeyAgreement.PrivateKey().publicKey), "another sender key")
        }
    }

    /// The export construction over P-256: a P-256 device key seals `SealSuite.p256Name`, and
    /// what swift-crypto's recipient exports is each envelope's key and nonce; our opener opens
    /// it with the device's P-256 key (also registered next to an X25519 one), and refuses
    /// another sender and a relabelled suite.
    func testP256DeviceKeySealsTheP256SuiteAndSwiftCryptoExportsItsKeys() throws {
        let server = P256.KeyAgreement.PrivateKey()
        let device = P256.KeyAgreement.PrivateKey()
        let sealer = EnvelopeSealer(
            device: "t1",
            deviceKey: SealingPrivateKey.p256(device),
            serverKey: SealingPublicKey(server.publicKey)
        )
        XCTAssertEqual(sealer.suite, "HPKE-Auth-P256-SHA256-AES256GCM-Export")
        XCTAssertEqual(sealer.serverKeyID, SealingPublicKey(server.publicKey).keyID)
        let group = try sealer.group(sealedAtNanos: 1_800_000_000_000_000_000)
        let events = (1...3).map { Self.event(seq: $0) }
        let envelopes = try events.map { try group.seal($0) }
        XCTAssertEqual(Set(envelopes.map(\.enc)).count, 1)
        let enc = Data(base64Encoded: envelopes[0].enc)!
        XCTAssertEqual(enc.count, 65)
        let recipient = try HPKE.Recipient(
            privateKey: server,
            ciphersuite: SealSuite.p256Ciphersuite,
            info: SealSuite.info,
            encapsulatedKey: enc,
            authenticatedBy: device.publicKey
        )
        for (event, envelope) in zip(events, envelopes) {
            XCTAssertEqual(envelope.suite, SealSuite.p256Name)
            XCTAssertEqual(try openThroughExport(envelope, with: recipient), try event.jsonBytes())
        }

        // The server holds an X25519 and a P-256 key; the device is registered with an old
        // X25519 key and its P-256 key.
        let x25519Server = Curve25519.KeyAgreement.PrivateKey()
        let opener = EnvelopeOpener(serverKeys: [.x25519(x25519Server), .p256(server)])
        let registered = [
            SealingPublicKey(Curve25519.KeyAgreement.PrivateKey().publicKey), SealingPublicKey(device.publicKey),
        ]
        XCTAssertEqual(try opener.open(envelopes[1], deviceKeys: registered), events[1])
        XCTAssertThrowsError(
            try opener.open(envelopes[1], deviceKeys: [SealingPrivateKey.generate(.p256).publicKey])
        ) {
            XCTAssertEqual($0 as? EnvelopeOpener.OpenError, .authenticationFailed)
        }
        // Only the device's X25519 key registered: nothing of the P-256 suite opens.
        XCTAssertThrowsError(try opener.open(envelopes[1], deviceKeys: [registered[0]])) {
            XCTAssertEqual($0 as? EnvelopeOpener.OpenError, .authenticationFailed)
        }
        var relabelled = envelopes[1]
        relabelled.suite = SealSuite.name
        XCTAssertThrowsError(try opener.open(relabelled, deviceKeys: registered)) {
            XCTAssertEqual($0 as? EnvelopeOpener.OpenError, .authenticationFailed)
        }
        // The same opener still opens the X25519 suite.
        let x25519Device = Curve25519.KeyAgreement.PrivateKey()
        let x25519Envelope = try EnvelopeSealer(
            device: "t1",
            deviceKey: x25519Device,
            serverKey: x25519Server.publicKey
        )
        .seal(events[0], sealedAtNanos: 1)
        XCTAssertEqual(x25519Envelope.suite, SealSuite.name)
        XCTAssertEqual(
            try opener.open(x25519Envelope, deviceKeys: [SealingPublicKey(x25519Device.publicKey)] + registered),
            events[0]
        )
    }

    static func event(seq: Int) -> CaptureEvent {
        CaptureEvent(
            id: "e\(seq)",
            device: "t1",
            seq: UInt64(seq),
            scan: Scan(readerID: "r", bytes: Array("OBJ-\(seq)".utf8), wallNanos: 1, monotonicNanos: 1),
            tag: .unknown
        )
    }
}

extension HPKEP256Tests {
    /// A device key held elsewhere (the TPM's place): the sealer asks it for DH(skS, pkR) once
    /// per server key; while it is unavailable no group is made and the error says it is
    /// transient; a server key of the other KEM is a configuration error.
    func testAKeyHeldElsewhereIsAskedOncePerServerKeyAndItsFailuresAreTyped() throws {
        let key = HeldKey()
        let server = P256.KeyAgreement.PrivateKey()
        let next = P256.KeyAgreement.PrivateKey()
        let sealer = EnvelopeSealer(
            device: "t1",
            deviceKey: key,
            serverKey: SealingPublicKey(server.publicKey),
            next: .init(key: SealingPublicKey(next.publicKey), fromNanos: 100)
        )
        key.available.withLock { $0 = false }
        XCTAssertThrowsError(try sealer.group(sealedAtNanos: 1)) {
            let e = $0 as? EnvelopeSealer.SealError
            XCTAssertEqual(e, .deviceKeyUnavailable(detail: "TPM busy"))
            XCTAssertEqual(e?.isTransient, true)
        }
        key.available.withLock { $0 = true }
        let envelopes = try (1...3).map { try sealer.seal(Self.event(seq: $0), sealedAtNanos: Int64($0)) }
        XCTAssertEqual(key.asked.withLock { $0 }, 2, "one failed ask, then one for the server key")
        _ = try sealer.seal(Self.event(seq: 4), sealedAtNanos: 200)
        XCTAssertEqual(key.asked.withLock { $0 }, 3, "and one for the next server key")
        // Once asked, an unavailable key no longer matters for that server key.
        key.available.withLock { $0 = false }
        XCTAssertNoThrow(try sealer.group(sealedAtNanos: 2))
        let opener = EnvelopeOpener(serverKeys: [SealingPrivateKey.p256(server)])
        XCTAssertEqual(try opener.open(envelopes[2], deviceKeys: [SealingPublicKey(key.inner.publicKey)]).seq, 3)

        let mismatched = EnvelopeSealer(
            device: "t1",
            deviceKey: key,
            serverKey: SealingPublicKey(Curve25519.KeyAgreement.PrivateKey().publicKey),
            serverKeyID: "x"
        )
        XCTAssertThrowsError(try mismatched.group(sealedAtNanos: 1)) {
            guard case .unusableServerKey(keyID: "x", _)? = $0 as? EnvelopeSealer.SealError else {
                return XCTFail("\($0)")
            }
            XCTAssertEqual(($0 as? EnvelopeSealer.SealError)?.isTransient, false)
        }
    }

    /// Stands in for a TPM-held P-256 key: answers DH(skS, pkR) only while `available`.
    final class HeldKey: StaticKeyAgreement {
        let inner = P256.KeyAgreement.PrivateKey()
        let available = Mutex(true)
        let asked = Mutex(0)
        var kem: HPKEKEM { .p256 }
        var publicKeyRaw: [UInt8] { Array(inner.publicKey.x963Representation) }
        func sharedSecret(withRecipient pkR: [UInt8]) throws(StaticKeyAgreementError) -> [UInt8] {
            asked.withLock { $0 += 1 }
            guard available.withLock({ $0 }) else { throw .keyUnavailable(detail: "TPM busy") }
            return try SealingPrivateKey.p256(inner).sharedSecret(withRecipient: pkR)
        }
    }
}

extension HPKEP256Tests {
    /// P-256 keys in the PEM forms OpenSSL uses (PKCS#8, SubjectPublicKeyInfo), read back
    /// whichever KEM, also from a device file holding keys of both.
    func testP256KeysInPEM() throws {
        let p256 = SealingPrivateKey.generate(.p256)
        let x25519 = SealingPrivateKey.generate(.x25519)
        XCTAssertTrue(p256.pemRepresentation.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        XCTAssertTrue(p256.publicKey.pemRepresentation.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        XCTAssertEqual(try SealingPrivateKey(pemRepresentation: p256.pemRepresentation).publicKey, p256.publicKey)
        XCTAssertEqual(try SealingPrivateKey(pemRepresentation: x25519.pemRepresentation).publicKey, x25519.publicKey)
        XCTAssertEqual(try SealingPublicKey(pemRepresentation: p256.publicKey.pemRepresentation), p256.publicKey)
        XCTAssertEqual(
            SealingPublicKey.keys(
                fromPEMBundle: x25519.publicKey.pemRepresentation + p256.publicKey.pemRepresentation
            ),
            [x25519.publicKey, p256.publicKey]
        )
        // An X25519 key's PEM and id are what they always were.
        guard case .x25519(let k) = x25519 else { return XCTFail() }
        XCTAssertEqual(x25519.pemRepresentation, X25519KeyPEM.privateKeyPEM(k))
        XCTAssertEqual(x25519.publicKey.keyID, X25519KeyPEM.keyID(of: k.publicKey))
        XCTAssertEqual(p256.publicKey.keyID.count, 16)
        XCTAssertThrowsError(try SealingPublicKey(kem: .p256, raw: [0x04] + [UInt8](repeating: 1, count: 64)))
        XCTAssertThrowsError(try SealingPublicKey(pemRepresentation: "no key here")) {
            XCTAssertEqual($0 as? KeyFormatError, .notPEM(expectedLabel: "PUBLIC KEY"))
        }
    }
}
