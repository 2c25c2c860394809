import Foundation
import GatewayCore
import XCTest

/// The fix policy, operator sessions and the geofence (issue 7's pure core).
final class ContextTests: XCTestCase {
    func testFixPolicyNeverPassesOffAStaleOrEmptyFix() throws {
        let policy = FixPolicy(maxAgeSeconds: 10)
        let good = GPSFix(
            mode: 3,
            timeUnixNanos: RFC3339.parseUnixNanos("2026-11-23T10:00:00.000Z"),
            lat: 31.23,
            lon: 121.47,
            alt: 12,
            eph: 4,
            epv: 8
        )
        let fresh = policy.location(
            last: .init(fix: good, satellitesUsed: 9, receivedMonotonicNanos: 1_000_000_000),
            captureMonotonicNanos: 3_500_000_000
        )
        XCTAssertEqual(fresh.fix, .fix3D)
        XCTAssertEqual(fresh.ageMs, 2500)
        XCTAssertEqual(fresh.satellites, 9)
        XCTAssertEqual(fresh.alt, 12)
        XCTAssertEqual(fresh.fixTime, "2026-11-23T10:00:00.000Z")
        XCTAssertEqual(fresh.verticalAccuracyM, 8)
        let stale = policy.location(
            last: .init(fix: good, receivedMonotonicNanos: 1_000_000_000),
            captureMonotonicNanos: 12_000_000_000
        )
        XCTAssertEqual(stale.fix, .none)
        XCTAssertTrue(stale.reason?.contains("11 s old") == true, stale.reason ?? "")
        let twoD = GPSFix(mode: 2, lat: 31.23, lon: 121.47, alt: 12)
        let l2 = policy.location(last: .init(fix: twoD, receivedMonotonicNanos: 0), captureMonotonicNanos: 0)
        XCTAssertEqual(l2.fix, .fix2D)
        XCTAssertNil(l2.alt, "a 2D fix has no altitude")
        XCTAssertNil(l2.fixTime, "no time before the receiver's first RMC: none made up")
        for bad in [
            GPSFix(mode: 1, lat: 31.23, lon: 121.47), GPSFix(mode: 3, lat: 0, lon: 0), GPSFix(mode: 3),
            GPSFix(mode: 0, lat: 31.23, lon: 121.47), GPSFix(mode: 3, lat: 91, lon: 121.47),
        ] {
            XCTAssertEqual(
                policy.location(last: .init(fix: bad, receivedMonotonicNanos: 0), captureMonotonicNanos: 0).fix,
                .none,
                "\(bad)"
            )
        }
        XCTAssertEqual(policy.location(last: nil, captureMonotonicNanos: 0).fix, .none)
        // No coordinates in the JSON of a missing fix: nobody can read it as 0,0.
        let json = String(decoding: try JSONEncoder().encode(Location.noFix(reason: "x")), as: UTF8.self)
        XCTAssertFalse(json.contains("lat") || json.contains("lon"), json)
        XCTAssertThrowsError(try JSONDecoder().decode(Location.self, from: Data(#"{"fix":"3d"}"#.utf8)))
    }

    func testOperatorSessionStartsRenewsExpiresAndLogsOut() {
        var s = OperatorSession(timeoutSeconds: 60, logoutSubject: "LOGOUT")
        let sec: UInt64 = 1_000_000_000
        XCTAssertNil(s.operatorID(at: 0), "nobody signed in: unidentified")
        XCTAssertEqual(
            s.observe(TagClassification(kind: .operatorBadge, subject: "0042"), at: 10 * sec),
            .signedIn("0042")
        )
        XCTAssertEqual(s.operatorID(at: 20 * sec), "0042")
        XCTAssertEqual(s.observe(TagClassification(kind: .subject, subject: "OBJ-1"), at: 60 * sec), .none)
        XCTAssertEqual(s.operatorID(at: 110 * sec), "0042", "each scan renews the session")
        XCTAssertNil(s.operatorID(at: 121 * sec))
        XCTAssertEqual(s.expire(at: 121 * sec), .signedOut("0042", reason: "timeout"))
        _ = s.observe(TagClassification(kind: .operatorBadge, subject: "0042"), at: 200 * sec)
        XCTAssertEqual(
            s.observe(TagClassification(kind: .operatorBadge, subject: "0077"), at: 201 * sec),
            .signedIn("0077"),
            "a new badge replaces the operator"
        )
        XCTAssertEqual(
            s.observe(TagClassification(kind: .configuration, subject: "LOGOUT"), at: 202 * sec),
            .signedOut("0077", reason: "logout tag")
        )
        XCTAssertNil(s.operatorID(at: 202 * sec))
    }

    func testGeofenceCirclesPolygonsAndSpeed() {
        // The Bund, Shanghai: a 500 m circle and a small square polygon around People's Square.
        let fence = Geofence(
            areas: [
                .circle(lat: 31.2400, lon: 121.4900, radiusM: 500),
                .polygon([[31.228, 121.470], [31.228, 121.480], [31.236, 121.480], [31.236, 121.470]]),
            ],
            maxSpeedMps: 50
        )
        XCTAssertTrue(fence.contains(lat: 31.2420, lon: 121.4910), "≈ 240 m from the centre")
        XCTAssertFalse(fence.contains(lat: 31.2500, lon: 121.4900), "≈ 1.1 km from the centre")
        XCTAssertTrue(fence.contains(lat: 31.232, lon: 121.475))
        XCTAssertFalse(fence.contains(lat: 31.240, lon: 121.475))
        XCTAssertEqual(
            Geofence.distanceM((31.24, 121.49), (31.25, 121.49)),
            1112,
            accuracy: 2,
            "0.01° of latitude ≈ 1.11 km"
        )
        var here = Location(lat: 31.232, lon: 121.475, accuracyM: 5)
        here.fix = .fix3D
        let sec: UInt64 = 1_000_000_000
        XCTAssertEqual(
            fence.anomalies(here, previous: (31.2325, 121.4752, 0), nowNanos: 10 * sec),
            [],
            "60 m in 10 s: walking"
        )
        XCTAssertEqual(
            fence.anomalies(here, previous: (31.2420, 121.4910, 0), nowNanos: 10 * sec),
            ["implausible_speed"],
            "≈ 1.9 km in 10 s"
        )
        var away = here
        away.lat = 31.30
        XCTAssertEqual(fence.anomalies(away, previous: nil, nowNanos: 0), ["outside_geofence"])
        XCTAssertEqual(
            fence.anomalies(.noFix(reason: "x"), previous: nil, nowNanos: 0),
            [],
            "no fix, no location anomaly"
        )
    }
}

final class ContextConfigTests: XCTestCase {
    func testGPSOperatorAndGeofenceTables() throws {
        let c = try GatewayConfig.parse(
            toml: """
                [device]
                id = "t"
                [server]
                url = "https://x"
                [gps]
                gpsd = "127.0.0.1:2947"
                max_age_s = 5
                [operator]
                timeout_s = 600
                [geofence]
                max_speed_kmh = 180
                [[geofence.area]]
                lat = 31.24
                lon = 121.49
                radius_m = 500
                [[geofence.area]]
                polygon = [[31.228, 121.470], [31.228, 121.480], [31.236, 121.480]]
                """,
            directory: "/"
        )
        XCTAssertEqual(c.gps?.host, "127.0.0.1")
        XCTAssertEqual(c.gps?.port, 2947)
        XCTAssertEqual(c.gps?.maxAgeSeconds, 5)
        XCTAssertEqual(c.gps?.maxClockSkewMs, 2000)
        XCTAssertEqual(c.operatorSessions?.timeoutSeconds, 600)
        XCTAssertEqual(c.operatorSessions?.logoutSubject, "LOGOUT")
        XCTAssertEqual(c.geofence?.areas.count, 2)
        XCTAssertEqual(c.geofence?.maxSpeedMps ?? 0, 50, accuracy: 1e-9)
        XCTAssertThrowsError(
            try GatewayConfig.parse(
                toml: "[device]\nid = \"t\"\n[server]\nurl = \"https://x\"\n[[geofence.area]]\nlat = 1\n",
                directory: "/"
            )
        ) {
            XCTAssertTrue("\($0)".contains("geofence.area[0]") && "\($0)".contains("radius_m"), "\($0)")
        }
        XCTAssertThrowsError(
            try GatewayConfig.parse(
                toml: "[device]\nid = \"t\"\n[server]\nurl = \"https://x\"\n[gps]\ngpsd = \"nowhere\"\n",
                directory: "/"
            )
        ) {
            XCTAssertTrue("\($0)".contains("gps.gpsd"), "\($0)")
        }
    }
}
