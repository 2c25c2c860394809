import Crypto
import GatewayCore
import XCTest

/// `[redact]` and server key rotation in the config, and what rotation does to sealing.
final class RedactConfigTests: XCTestCase {
    let minimal = """
        [device]
        id = "term-1"
        [server]
        url = "https://cases.example.net/"

        """

    func parse(_ s: String) throws -> GatewayConfig {
        try GatewayConfig.parse(toml: minimal + s, directory: "/etc/gatewayd")
    }

    func expectError(_ s: String, mentions: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(s), file: file, line: line) { error in
            let text = "\(error)"
            for m in mentions { XCTAssertTrue(text.contains(m), "\(m) not in: \(text)", file: file, line: line) }
        }
    }

    func testDefaultsAreTheBuiltInRulesAndSiteKeyPath() throws {
        let c = try parse("")
        XCTAssertEqual(c.redact.rules, RedactionRule.builtIn)
        XCTAssertEqual(c.redact.siteKeyPath, "/var/lib/gatewayd/site.key")
    }

    func testConfiguredRulesRunBeforeBuiltInOnesOrAlone() throws {
        let c = try parse(
            """
            [redact]
            site_key = "site.key"
            [[redact.rule]]
            name = "owner"
            fields = ["payload.owner.*", "gs1.91"]
            action = "drop"
            [[redact.rule]]
            name = "id-mask"
            detect = ["prc_id"]
            action = "mask"
            keep_first = 6
            keep_last = 0
            [[redact.rule]]
            name = "grid"
            fields = ["location"]
            action = "coarsen"
            grid_m = 500
            [[redact.rule]]
            name = "quarter"
            fields = ["captured_at"]
            action = "coarsen"
            bucket_s = 900
            """
        )
        XCTAssertEqual(c.redact.siteKeyPath, "/etc/gatewayd/site.key")
        XCTAssertEqual(
            Array(c.redact.rules.prefix(4)),
            [
                RedactionRule(name: "owner", fields: ["payload.owner.*", "gs1.91"], action: .drop),
                RedactionRule(name: "id-mask", detect: [.prcID], action: .mask(keepFirst: 6, keepLast: 0)),
                RedactionRule(name: "grid", fields: ["location"], action: .coarsenLocation(decimals: nil, gridM: 500)),
                RedactionRule(name: "quarter", fields: ["captured_at"], action: .coarsenTime(bucketS: 900)),
            ]
        )
        XCTAssertEqual(Array(c.redact.rules.dropFirst(4)), RedactionRule.builtIn)

        let alone = try parse(
            "[redact]\nbuiltin = false\n[[redact.rule]]\nname = \"e\"\ndetect = [\"email\"]\naction = \"hash\"\n"
        )
        XCTAssertEqual(alone.redact.rules.map(\.name), ["e"])
    }

    func testRuleErrorsNameTheRuleAndTheFix() {
        expectError(
            "[[redact.rule]]\nname = \"x\"\ndetect = [\"ssn\"]\naction = \"drop\"\n",
            mentions: ["redact.rule[0].detect", "ssn", "prc_id"]
        )
        expectError("[[redact.rule]]\nname = \"x\"\naction = \"drop\"\n", mentions: ["selects nothing"])
        expectError(
            "[[redact.rule]]\nname = \"x\"\ndetect = [\"email\"]\nfields = [\"text\"]\naction = \"drop\"\n",
            mentions: ["both"]
        )
        expectError(
            "[[redact.rule]]\nname = \"x\"\nfields = [\"text\"]\naction = \"coarsen\"\n",
            mentions: ["location or captured_at"]
        )
        expectError(
            "[[redact.rule]]\nname = \"x\"\nfields = [\"location\"]\naction = \"hash\"\n",
            mentions: ["cannot be masked or hashed"]
        )
        expectError(
            "[[redact.rule]]\nname = \"x\"\nfields = [\"location\"]\naction = \"coarsen\"\n",
            mentions: ["decimals", "grid_m"]
        )
        expectError(
            "[[redact.rule]]\nname = \"x\"\nfields = [\"text\"]\naction = \"blur\"\n",
            mentions: ["blur", "mask, hash, drop or coarsen"]
        )
        expectError(
            "[[redact.rule]]\nname = \"x\"\nfields = [\"text\"]\naction = \"drop\"\n[[redact.rule]]\nname = \"x\"\nfields = [\"subject\"]\naction = \"drop\"\n",
            mentions: ["redact.rule[1].name", "own name"]
        )
        expectError(
            "[[redact.rule]]\nname = \"x\"\nfields = [\"text\"]\naction = \"drop\"\ncolour = 1\n",
            mentions: ["redact.rule[0].colour"]
        )
    }

    func testNextServerKeyNeedsATime() throws {
        let c = try GatewayConfig.parse(
            toml: """
                [device]
                id = "t"
                [server]
                url = "https://x"
                public_key = "a.pub"
                next_public_key = "b.pub"
                next_key_id = "k2027"
                next_from = "2027-01-01T00:00:00Z"
                """,
            directory: "/etc/gatewayd"
        )
        XCTAssertEqual(
            c.server.next,
            GatewayConfig.NextKey(
                publicKeyPath: "/etc/gatewayd/b.pub",
                keyID: "k2027",
                fromNanos: 1_798_761_600_000_000_000
            )
        )
        XCTAssertThrowsError(
            try GatewayConfig.parse(
                toml: "[device]\nid = \"t\"\n[server]\nurl = \"https://x\"\nnext_public_key = \"b.pub\"\n",
                directory: "/"
            )
        ) {
            XCTAssertTrue("\($0)".contains("server.next_from"), "\($0)")
        }
        XCTAssertThrowsError(
            try GatewayConfig.parse(
                toml:
                    "[device]\nid = \"t\"\n[server]\nurl = \"https://x\"\nnext_public_key = \"b.pub\"\nnext_from = \"soon\"\n",
                directory: "/"
            )
        ) {
            XCTAssertTrue("\($0)".contains("RFC 3339"), "\($0)")
        }
        XCTAssertThrowsError(
            try GatewayConfig.parse(
                toml: "[device]\nid = \"t\"\n[server]\nurl = \"https://x\"\nnext_key_id = \"k\"\n",
                directory: "/"
            )
        ) {
            XCTAssertTrue("\($0)".contains("next_public_key"), "\($0)")
        }
    }

    func testSealerSwitchesToTheNextKeyAtItsTimeAndTheServerOpensBoth() throws {
        let current = Curve25519.KeyAgreement.PrivateKey()
        let next = Curve25519.KeyAgreement.PrivateKey()
        let device = Curve25519.KeyAgreement.PrivateKey()
        let from: Int64 = 1_798_761_600_000_000_000
        let sealer = EnvelopeSealer(
            device: "t",
            deviceKey: device,
            serverKey: current.publicKey,
            serverKeyID: "k2026",
            next: .init(key: next.publicKey, keyID: "k2027", fromNanos: from)
        )
        let scan = Scan(readerID: "r", bytes: Array("A".utf8), wallNanos: 0, monotonicNanos: 0)
        let ev = CaptureEvent(id: "i", device: "t", seq: 1, scan: scan, tag: .unknown)
        let before = try sealer.seal(ev, sealedAtNanos: from - 1)
        let after = try sealer.seal(ev, sealedAtNanos: from)
        XCTAssertEqual(before.keyID, "k2026")
        XCTAssertEqual(after.keyID, "k2027")
        let opener = EnvelopeOpener(namedServerKeys: ["k2026": current, "k2027": next])
        XCTAssertEqual(try opener.open(before, deviceKey: device.publicKey), ev)
        XCTAssertEqual(try opener.open(after, deviceKey: device.publicKey), ev)
        XCTAssertThrowsError(
            try EnvelopeOpener(namedServerKeys: ["k2026": current]).open(after, deviceKey: device.publicKey)
        ) {
            XCTAssertEqual($0 as? EnvelopeOpener.OpenError, .unknownKeyID("k2027"))
        }
    }

    func testDeviceKeyRotationOpensWithEitherRegisteredKey() throws {
        let server = Curve25519.KeyAgreement.PrivateKey()
        let old = Curve25519.KeyAgreement.PrivateKey()
        let new = Curve25519.KeyAgreement.PrivateKey()
        let scan = Scan(readerID: "r", bytes: Array("A".utf8), wallNanos: 0, monotonicNanos: 0)
        let ev = CaptureEvent(id: "i", device: "t", seq: 1, scan: scan, tag: .unknown)
        let a = try EnvelopeSealer(device: "t", deviceKey: old, serverKey: server.publicKey).seal(ev, sealedAtNanos: 0)
        let b = try EnvelopeSealer(device: "t", deviceKey: new, serverKey: server.publicKey).seal(ev, sealedAtNanos: 0)
        let bundle = X25519KeyPEM.publicKeyPEM(old.publicKey) + X25519KeyPEM.publicKeyPEM(new.publicKey)
        let registered = X25519KeyPEM.publicKeys(fromPEMBundle: bundle)
        XCTAssertEqual(registered.count, 2)
        let opener = EnvelopeOpener(serverKeys: [server])
        XCTAssertEqual(try opener.open(a, deviceKeys: registered), ev)
        XCTAssertEqual(try opener.open(b, deviceKeys: registered), ev)
        XCTAssertThrowsError(try opener.open(b, deviceKeys: [old.publicKey])) {
            XCTAssertEqual(
                $0 as? EnvelopeOpener.OpenError,
                .authenticationFailed,
                "a retired key no longer opens the new key's envelopes"
            )
        }
    }
}
