import Foundation
import GatewayCore
import GatewaySystem
import XCTest

final class KeyFileTests: XCTestCase {
    var dir: String!

    override func setUp() {
        dir = NSTemporaryDirectory() + "key-test-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testGeneratedKeyIsPrivateAndLoads() throws {
        let key = try KeyFile.generate(privatePath: dir + "/k", publicPath: dir + "/k.pub")
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/k")[.posixPermissions] as! Int
        XCTAssertEqual(mode, 0o600)
        XCTAssertEqual(try KeyFile.loadPrivate(dir + "/k", role: "device").rawRepresentation, key.rawRepresentation)
        XCTAssertEqual(
            try KeyFile.loadPublic(dir + "/k.pub", role: "server").rawRepresentation,
            key.publicKey.rawRepresentation
        )
    }

    func testKeygenNeverOverwrites() throws {
        _ = try KeyFile.generate(privatePath: dir + "/k", publicPath: dir + "/k.pub")
        XCTAssertThrowsError(try KeyFile.generate(privatePath: dir + "/k", publicPath: dir + "/k.pub")) {
            XCTAssertTrue("\($0)".contains("never overwrites"))
        }
    }

    func testGroupReadableKeyIsRefusedWithTheFix() throws {
        _ = try KeyFile.generate(privatePath: dir + "/k", publicPath: dir + "/k.pub")
        chmod(dir + "/k", 0o640)
        XCTAssertThrowsError(try KeyFile.loadPrivate(dir + "/k", role: "device")) {
            XCTAssertTrue("\($0)".contains("chmod 600"), "\($0)")
        }
    }

    func testMissingDeviceKeySaysHowToMakeOne() {
        XCTAssertThrowsError(try KeyFile.loadPrivate(dir + "/none", role: "device")) {
            XCTAssertTrue("\($0)".contains("gatewayd keygen --out \(dir!)/none"), "\($0)")
        }
    }
}

extension KeyFileTests {
    /// `gatewayd keygen --p256`: a P-256 pair with the same file modes, read back by the loaders
    /// of either KEM; the X25519 loaders refuse it rather than misread it.
    func testP256KeyPairIsPrivateAndLoads() throws {
        let key = try KeyFile.generate(privatePath: dir + "/p", publicPath: dir + "/p.pub", kem: .p256)
        XCTAssertEqual(key.kem, .p256)
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/p")[.posixPermissions] as! Int
        XCTAssertEqual(mode, 0o600)
        XCTAssertEqual(try KeyFile.loadAgreementKey(dir + "/p", role: "device").publicKey, key.publicKey)
        XCTAssertEqual(try KeyFile.loadAgreementPublicKey(dir + "/p.pub", role: "server"), key.publicKey)
        XCTAssertThrowsError(try KeyFile.loadPrivate(dir + "/p", role: "device"))
        let x = try KeyFile.generate(privatePath: dir + "/x", publicPath: dir + "/x.pub", kem: .x25519)
        XCTAssertEqual(
            try KeyFile.loadPrivate(dir + "/x", role: "device").publicKey.rawRepresentation,
            Data(x.publicKeyRaw)
        )
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: dir + "/p")
        XCTAssertThrowsError(try KeyFile.loadAgreementKey(dir + "/p", role: "device"))
    }
}
