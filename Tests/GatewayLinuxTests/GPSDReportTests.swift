import CGPS
import Foundation
import GatewayCore
import XCTest

@testable import GatewayLinux

/// The mapping from libgps's `gps_data_t` to plain values, on structs built here (no gpsd), and
/// the libgps session against a port where no gpsd listens.
final class GPSDReportTests: XCTestCase {
    private var data: UnsafeMutablePointer<gps_data_t>!

    override func setUp() {
        data = calloc(1, MemoryLayout<gps_data_t>.size)!.bindMemory(to: gps_data_t.self, capacity: 1)
    }

    override func tearDown() { free(data) }

    private func put(_ text: String, into field: inout some Any) {
        withUnsafeMutableBytes(of: &field) { raw in
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            raw.copyBytes(from: text.utf8.prefix(raw.count - 1))
        }
    }

    private func report(sharedMemory: Bool = false) -> GPSDReport {
        GPSDReport(UnsafePointer(data), sharedMemory: sharedMemory)
    }

    /// A TPV as libgps leaves it: the position gated on LATLON_SET, NaN as "not reported", the
    /// horizontal error from epx/epy when gpsd gives no eph, the time from the timespec.
    func testATPVBecomesAFix() {
        data.pointee.set = PACKET_SET | MODE_SET | LATLON_SET | TIME_SET | ALTITUDE_SET
        data.pointee.fix.mode = 3
        data.pointee.fix.latitude = 31.2304
        data.pointee.fix.longitude = 121.4737
        data.pointee.fix.altMSL = 12.5
        data.pointee.fix.eph = .nan
        data.pointee.fix.epx = 3
        data.pointee.fix.epy = 4
        data.pointee.fix.epv = .nan
        data.pointee.fix.time = timespec(tv_sec: 1_795_428_000, tv_nsec: 250_000_000)
        XCTAssertEqual(
            report(),
            GPSDReport(
                fix: GPSFix(
                    mode: 3,
                    timeUnixNanos: 1_795_428_000_250_000_000,
                    lat: 31.2304,
                    lon: 121.4737,
                    alt: 12.5,
                    eph: 5
                )
            )
        )
        let policy = FixPolicy(maxAgeSeconds: 10).location(
            last: .init(fix: report().fix!, receivedMonotonicNanos: 0),
            captureMonotonicNanos: 0
        )
        XCTAssertEqual(policy.fixTime, "2026-11-23T10:00:00.250Z")

        // Before the first RMC: time 0 (no time, none made up).
        data.pointee.fix.time = timespec(tv_sec: 0, tv_nsec: 0)
        XCTAssertNil(report().fix?.timeUnixNanos)
        // A TPV without LATLON_SET: whatever numbers the struct still holds are no position.
        data.pointee.set = PACKET_SET | MODE_SET
        data.pointee.fix.mode = 1
        XCTAssertEqual(report().fix, GPSFix(mode: 1, lat: nil, lon: nil, alt: 12.5, eph: 5))
        // Nothing complete read: nothing reported.
        data.pointee.set = MODE_SET | LATLON_SET
        XCTAssertTrue(report().isEmpty)
    }

    /// A SKY after a TPV: the fix fields still hold the TPV's values, and without clearing `set`
    /// before the read MODE_SET would still be there too; with it cleared only SATELLITE_SET is,
    /// so the old fix is not taken for a new one.
    func testASKYIsSatellitesOnly() {
        data.pointee.fix.mode = 3
        data.pointee.fix.latitude = 31.2304
        data.pointee.fix.longitude = 121.4737
        data.pointee.satellites_used = 8
        data.pointee.set = PACKET_SET | SATELLITE_SET
        XCTAssertEqual(report(), GPSDReport(satellitesUsed: 8))
    }

    func testVersionAndDevices() {
        data.pointee.set = PACKET_SET | VERSION_SET
        put("3.22", into: &data.pointee.version.release)
        XCTAssertEqual(report(), GPSDReport(release: "3.22"))

        data.pointee.set = PACKET_SET | DEVICELIST_SET
        data.pointee.devices.ndevices = 2
        put("/dev/ttyACM0", into: &data.pointee.devices.list.0.path)
        put("/dev/ttyUSB1", into: &data.pointee.devices.list.1.path)
        put("/dev/never", into: &data.pointee.devices.list.2.path)
        XCTAssertEqual(report(), GPSDReport(devices: ["/dev/ttyACM0", "/dev/ttyUSB1"]))
        data.pointee.devices.ndevices = 99  // never past the array
        XCTAssertEqual(report().devices?.count, Int(MAXUSERDEVS))
    }

    /// gpsd's shared-memory export: its `set` lacks MODE_SET, PACKET_SET and LATLON_SET (seen
    /// with gpsd 3.22), so each snapshot is read from fix.mode and the finite fields.
    func testSharedMemorySnapshot() {
        data.pointee.set = STATUS_SET
        data.pointee.fix.mode = 2
        data.pointee.fix.latitude = 52.2163
        data.pointee.fix.longitude = 6.8850
        data.pointee.fix.altMSL = .nan
        data.pointee.fix.eph = 54.7
        data.pointee.fix.epv = .nan
        data.pointee.satellites_used = 3
        XCTAssertEqual(
            report(sharedMemory: true),
            GPSDReport(fix: GPSFix(mode: 2, lat: 52.2163, lon: 6.8850, eph: 54.7), satellitesUsed: 3)
        )
        data.pointee.fix.mode = 1
        data.pointee.fix.latitude = .nan
        data.pointee.fix.longitude = .nan
        XCTAssertEqual(report(sharedMemory: true).fix, GPSFix(mode: 1, eph: 54.7))
    }

    /// libgps is loaded on demand (gatewayd does not link it) and says why it cannot reach gpsd.
    func testSessionLoadsLibGPSAndReportsAnUnreachableGPSD() throws {
        try LibGPS.load()
        let session = LibGPS(source: .socket(host: "127.0.0.1", port: 1))
        let why = try XCTUnwrap(session.open())
        XCTAssertFalse(why.isEmpty)
    }
}
