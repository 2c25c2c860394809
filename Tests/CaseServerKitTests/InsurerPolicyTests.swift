import Foundation
import GatewayCore
import XCTest

@testable import CaseServerKit

/// The policy's webhook keys and the secrets they name: what is accepted, and errors that say
/// the key and the fix.
final class InsurerPolicyTests: XCTestCase {
    func parse(_ toml: String) throws(ConfigError) -> CasePolicy {
        try CasePolicy.parse(toml: toml, relativeTo: "/etc/case-server")
    }

    func assertInvalid(_ toml: String, key: String, problem: String, file: StaticString = #filePath, line: UInt = #line)
    {
        do {
            _ = try parse(toml)
            XCTFail("accepted", file: file, line: line)
        } catch {
            guard case .invalid(let k, let p, let fix) = error else {
                return XCTFail("\(error)", file: file, line: line)
            }
            XCTAssertEqual(k, key, file: file, line: line)
            XCTAssertTrue(p.contains(problem), p, file: file, line: line)
            XCTAssertFalse(fix.isEmpty, file: file, line: line)
        }
    }

    func testAnInsurersWebhookSecretAndTokenFilesAreReadRelativeToThePolicy() throws {
        let policy = try parse(
            """
            [[insurer]]
            id = "north"
            webhook_url = "https://claims.north.example/gatewayd"
            secret_file = "north.secret"
            token_file = "/run/secrets/north.token"
            [[insurer]]
            id = "harbour"
            [[insurer]]
            id = "relay"
            webhook_url = "http://127.0.0.1:9000/hook"
            secret_file = "relay.secret"
            """
        )
        XCTAssertEqual(
            policy.insurers[0].webhook,
            InsurerWebhook(url: "https://claims.north.example/gatewayd", secretFile: "/etc/case-server/north.secret")
        )
        XCTAssertEqual(policy.insurers[0].tokenFile, "/run/secrets/north.token")
        XCTAssertNil(policy.insurers[1].webhook, "no webhook_url: recorded, nothing sent")
        XCTAssertNil(policy.insurers[1].tokenFile)
        XCTAssertEqual(policy.insurers[2].webhook?.url, "http://127.0.0.1:9000/hook")
        XCTAssertEqual(policy.webhooks, WebhookSettings())
    }

    func testWebhookURLsMustBeHTTPSOrLoopbackAndCarryASecret() {
        let head = "[[insurer]]\nid = \"north\"\n"
        assertInvalid(
            head + "webhook_url = \"http://claims.example/x\"\nsecret_file = \"s\"",
            key: "insurer[0].webhook_url",
            problem: "only to a loopback host"
        )
        assertInvalid(
            head + "webhook_url = \"ftp://claims.example/x\"\nsecret_file = \"s\"",
            key: "insurer[0].webhook_url",
            problem: "not https"
        )
        assertInvalid(
            head + "webhook_url = \"claims\"\nsecret_file = \"s\"",
            key: "insurer[0].webhook_url",
            problem: "not an absolute URL"
        )
        assertInvalid(
            head + "webhook_url = \"https://u:p@claims.example/x\"\nsecret_file = \"s\"",
            key: "insurer[0].webhook_url",
            problem: "credentials"
        )
        assertInvalid(
            head + "webhook_url = \"https://claims.example/x\"",
            key: "insurer[0].secret_file",
            problem: "missing"
        )
        assertInvalid(head + "secret_file = \"s\"", key: "insurer[0].secret_file", problem: "without webhook_url")
        XCTAssertThrowsError(try parse(head + "secret = \"inline\"")) {
            guard case .unknownKey(let key, let known) = $0 as? ConfigError else { return XCTFail("\($0)") }
            XCTAssertEqual(key, "insurer[0].secret")
            XCTAssertTrue(known.contains("secret_file"), "the error names the key to use")
        }
    }

    func testTheWebhooksTableSetsTimeoutBackoffAndBound() throws {
        let policy = try parse(
            """
            [webhooks]
            timeout_ms = 1500
            backoff_base_ms = 100
            backoff_cap_ms = 1000
            max_attempts = 6
            """
        )
        XCTAssertEqual(
            policy.webhooks,
            WebhookSettings(
                timeout: .milliseconds(1500),
                backoff: Backoff(base: .milliseconds(100), cap: .milliseconds(1000)),
                maxAttempts: 6
            )
        )
        XCTAssertEqual(policy.webhooks.lease, .milliseconds(8000))
        assertInvalid(
            "[webhooks]\nbackoff_base_ms = 5000\nbackoff_cap_ms = 1000",
            key: "webhooks.backoff_cap_ms",
            problem: "below"
        )
        assertInvalid("[webhooks]\nmax_attempts = 0", key: "webhooks.max_attempts", problem: "out of range")
        XCTAssertThrowsError(try parse("[webhooks]\nretries = 3")) {
            guard case .unknownKey(let key, let known) = $0 as? ConfigError else { return XCTFail("\($0)") }
            XCTAssertEqual(key, "webhooks.retries")
            XCTAssertTrue(known.contains("max_attempts"))
        }
    }

    let withFiles = try! CasePolicy.parse(
        toml: """
            [[insurer]]
            id = "north"
            webhook_url = "https://n.example/h"
            secret_file = "n.secret"
            token_file = "n.token"
            [[insurer]]
            id = "harbour"
            token_file = "h.token"
            """,
        relativeTo: "/p"
    )

    func load(_ files: [String: String], staff: String? = nil) throws(InsurerCredentialsError) -> InsurerCredentials {
        try InsurerCredentials.load(withFiles, staffToken: staff) { path in
            guard let text = files[path] else { throw CocoaError(.fileNoSuchFile) }
            return Data(text.utf8)
        }
    }

    func testSecretsAndTokensAreLoadedAndCheckedWithTheFileAndTheFixNamed() throws {
        let secret = String(repeating: "k", count: 32)
        let ok = try load([
            "/p/n.secret": secret + "\n", "/p/n.token": "north-token-0123456789\n",
            "/p/h.token": "harbour-token-0123456789",
        ])
        XCTAssertEqual(ok.signingKeys, ["north": Array(secret.utf8)])
        XCTAssertEqual(ok.insurer(token: "north-token-0123456789"), "north")
        XCTAssertEqual(ok.insurer(token: "harbour-token-0123456789"), "harbour")
        XCTAssertNil(ok.insurer(token: "north-token-012345678"))
        XCTAssertTrue(ok.hasTokens)

        XCTAssertThrowsError(
            try load([
                "/p/n.secret": "short", "/p/n.token": "north-token-0123456789", "/p/h.token": "harbour-token-01234",
            ])
        ) {
            XCTAssertEqual(
                $0 as? InsurerCredentialsError,
                .tooShort(insurer: "north", key: "secret_file", path: "/p/n.secret", need: "32 bytes")
            )
        }
        XCTAssertThrowsError(try load(["/p/n.secret": secret, "/p/n.token": "north-token-0123456789"])) {
            XCTAssertEqual(
                $0 as? InsurerCredentialsError,
                .unreadable(key: "insurer harbour token_file", path: "/p/h.token")
            )
            XCTAssertTrue("\($0)".contains("relative to the policy file"))
        }
        XCTAssertThrowsError(
            try load([
                "/p/n.secret": secret, "/p/n.token": "same-token-0123456789", "/p/h.token": "same-token-0123456789",
            ])
        ) {
            XCTAssertEqual($0 as? InsurerCredentialsError, .sharedToken(insurer: "harbour", path: "/p/h.token"))
        }
        XCTAssertThrowsError(
            try load(
                [
                    "/p/n.secret": secret, "/p/n.token": "staff-token-0123456789",
                    "/p/h.token": "harbour-token-0123456789",
                ],
                staff: "staff-token-0123456789"
            )
        ) {
            XCTAssertEqual($0 as? InsurerCredentialsError, .sharedToken(insurer: "north", path: "/p/n.token"))
        }
    }
}
