import GatewayCore
import XCTest

final class DeviceMatchTests: XCTestCase {
    let scanner = DeviceDescription(
        devnode: "/dev/input/event3",
        subsystem: "input",
        vendor: 0x05E0,
        product: 0x1200,
        serial: "SN0001",
        name: "FakeScan Inc Virtual Barcode Scanner"
    )

    func testEveryGivenPartMustHold() {
        XCTAssertTrue(DeviceMatch(vendor: 0x05E0, product: 0x1200).matches(scanner))
        XCTAssertTrue(DeviceMatch(serial: "SN0001", name: "*Barcode*").matches(scanner))
        XCTAssertEqual(DeviceMatch(vendor: 0x05E0, product: 0x1300).mismatch(scanner), "product 1200 is not 1300")
        XCTAssertEqual(DeviceMatch(vendor: 0x0403).mismatch(scanner), "vendor 05e0 is not 0403")
        XCTAssertNotNil(DeviceMatch(serial: "SN0002").mismatch(scanner))
        XCTAssertNotNil(DeviceMatch(name: "*Keyboard*").mismatch(scanner))
    }

    func testUnknownIDsNeverMatchARule() {
        let bare = DeviceDescription(devnode: "/dev/ttyS0", subsystem: "tty")
        XCTAssertFalse(DeviceMatch(vendor: 0x0403).matches(bare))
        XCTAssertTrue(DeviceMatch(name: "*").matches(bare))
    }

    func testGlob() {
        XCTAssertTrue(Glob.matches("*Scan?er*", "Virtual Barcode Scanner"))
        XCTAssertTrue(Glob.matches("a*b*c", "aXXbYYc"))
        XCTAssertFalse(Glob.matches("a*b*c", "aXXbYY"))
        XCTAssertTrue(Glob.matches("", ""))
        XCTAssertFalse(Glob.matches("", "x"))
        XCTAssertFalse(Glob.matches(String(repeating: "*a", count: 50) + "b", String(repeating: "a", count: 200)))
        // `?` is one character, also where characters are not bytes.
        XCTAssertTrue(Glob.matches("payload.?名", "payload.姓名"))
        XCTAssertFalse(Glob.matches("payload.??名", "payload.姓名"))
        XCTAssertTrue(Glob.matches("a?b", "a\r\nb"), "CR LF is one character")
        XCTAssertTrue(Glob.matches("gs1.725?", "gs1.7251"))
        XCTAssertFalse(Glob.matches("gs1.725?", "gs1.72511"))
    }
}
