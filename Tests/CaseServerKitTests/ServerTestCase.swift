import Crypto
import Foundation
import GatewayCore
import Logging
import XCTest

@testable import CaseServerKit

/// What the receiver, route and case book tests start from: the server's key, one registered
/// terminal (`term-1`, with `device`'s public key in `dir/devices`), in a fresh temporary
/// directory removed after each test.
class ServerTestCase: XCTestCase {
    var dir: String!
    let server = Curve25519.KeyAgreement.PrivateKey()
    let device = Curve25519.KeyAgreement.PrivateKey()

    override func setUp() {
        super.setUp()
        dir = NSTemporaryDirectory() + "case-server-test-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir + "/devices", withIntermediateDirectories: true)
        try! X25519KeyPEM.publicKeyPEM(device.publicKey).write(
            toFile: dir + "/devices/term-1.pem",
            atomically: true,
            encoding: .utf8
        )
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
        super.tearDown()
    }

    /// The receiver `serve` builds, over `store`, with this test's keys and devices.
    func receiver(_ store: any CaseRepository, policy: CasePolicy = .builtIn) -> EnvelopeReceiver {
        EnvelopeReceiver(
            opener: EnvelopeOpener(serverKeys: [server]),
            devices: DeviceRegistry(directory: dir + "/devices"),
            repository: store,
            policy: policy,
            logger: Logger(label: "test")
        )
    }
}

/// Policies the tests share.
enum TestPolicies {
    /// Two insurers covering objects `1002*`; guidance configured for operators' scans of acme
    /// labels (everything else takes the similar or built-in entries).
    static let twoInsurersTOML = """
        [[insurer]]
        id = "north"
        name = "Northern Mutual"
        [[insurer]]
        id = "harbour"
        name = "Harbour Re"
        [[coverage]]
        subjects = ["1002*"]
        insurers = ["north", "harbour"]
        [[guidance]]
        id = "acme-op"
        class = "subject"
        schema = "acme"
        scanner = "operator"
        title = "Case opened"
        text = "Secure the site"

        """

    static let twoInsurers = try! CasePolicy.parse(toml: twoInsurersTOML)
}
