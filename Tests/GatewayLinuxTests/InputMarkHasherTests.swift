import Crypto
import Foundation
import GatewayLinux
import Logging
import XCTest

final class InputMarkHasherTests: XCTestCase {
    func testKeyedPerRuntimeDirectoryAndNotAPlainHash() throws {
        let dir = NSTemporaryDirectory() + "mark-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let logger = Logger(label: "test")
        let label = Array("+8613800138000\n".utf8)[...]
        let a = InputMarkHasher(runtimeDirectory: dir, logger: logger)
        XCTAssertTrue(a.persisted)
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/input-mark.key")[.posixPermissions] as! Int
        XCTAssertEqual(mode, 0o600)
        // A restarted process in the same boot (same runtime directory) recognises its marks…
        XCTAssertEqual(InputMarkHasher(runtimeDirectory: dir, logger: logger).digest(label), a.digest(label))
        // …a plain hash of the label is not what is stored…
        XCTAssertNotEqual(a.digest(label), Array(SHA256.hash(data: label)))
        // …and another boot (another runtime directory, another key) cannot link them.
        let other = dir + "-other"
        defer { try? FileManager.default.removeItem(atPath: other) }
        XCTAssertNotEqual(InputMarkHasher(runtimeDirectory: other, logger: logger).digest(label), a.digest(label))
    }

    func testUnusableRuntimeDirectoryFallsBackToMemory() {
        let h = InputMarkHasher(runtimeDirectory: "/proc/no-such-dir", logger: Logger(label: "test"))
        XCTAssertFalse(h.persisted)
        XCTAssertEqual(h.digest([1, 2, 3]).count, 32)
    }
}
