import Foundation
import GatewayCore
import XCTest

@testable import CaseServerKit

/// The console pages' pure parts, without I/O: the change feed's watermark, the list's
/// filters, what a user may see of a case, the scan plot and the terminal chart.
final class ConsolePagePartsTests: XCTestCase {
    let s: Int64 = 1_000_000_000

    func change(
        _ ref: String,
        at: Int64,
        state: String = "opened",
        subject: String = "100234",
        final: Bool = false
    )
        -> CaseChange
    {
        CaseChange(
            ref: ref,
            subject: subject,
            schema: "acme",
            device: "term-1",
            state: state,
            final: final,
            openedAtNanos: 1,
            updatedAtNanos: at,
            insurers: [
                InsurerStatus(id: "north", name: "Northern Mutual", state: "notified", updatedAt: "", note: "n-note"),
                InsurerStatus(id: "harbour", name: "Harbour Re", state: "notified", updatedAt: "", note: "h-note"),
            ]
        )
    }

    // MARK: change feed

    func testTheFeedReadsAgainOverAnOverlapAndSendsEachVersionOnce() {
        var feed = CaseChangeFeed(watermarkNanos: 100 * s, overlapNanos: 5 * s)
        XCTAssertEqual(feed.next, .init(sinceNanos: 95 * s, afterRef: ""))
        // The first read sends what it finds in the overlap (the page may lack it).
        XCTAssertEqual(
            feed.accept([change("A", at: 99 * s), change("B", at: 101 * s)], limit: 10).map(\.ref),
            ["A", "B"]
        )
        XCTAssertEqual(feed.watermarkNanos, 101 * s)
        XCTAssertEqual(feed.next.sinceNanos, 96 * s)
        // Read again: nothing new; a slower transaction's change stamped before the watermark
        // shows up late and is sent; a new version of A is sent.
        XCTAssertEqual(feed.accept([change("A", at: 99 * s), change("B", at: 101 * s)], limit: 10), [])
        let late = feed.accept(
            [change("A", at: 99 * s), change("C", at: 100 * s), change("B", at: 101 * s)],
            limit: 10
        )
        XCTAssertEqual(late.map(\.ref), ["C"])
        XCTAssertEqual(feed.accept([change("A", at: 102 * s, state: "resolved")], limit: 10).map(\.state), ["resolved"])
        XCTAssertEqual(feed.watermarkNanos, 102 * s)
    }

    func testAFullReadIsContinuedFromItsLastRowBeforeOverlappingAgain() {
        var feed = CaseChangeFeed(watermarkNanos: 0, overlapNanos: 5 * s)
        // A drain: many cases with one stamp, more than a read takes.
        let batch = (0..<5).map { change("R\($0)", at: 50 * s) }
        XCTAssertEqual(feed.accept(Array(batch[0..<2]), limit: 2).map(\.ref), ["R0", "R1"])
        XCTAssertEqual(feed.next, .init(sinceNanos: 50 * s, afterRef: "R1"))
        XCTAssertEqual(feed.accept(Array(batch[2..<4]), limit: 2).map(\.ref), ["R2", "R3"])
        XCTAssertEqual(feed.next, .init(sinceNanos: 50 * s, afterRef: "R3"))
        XCTAssertEqual(feed.accept(Array(batch[4..<5]), limit: 2).map(\.ref), ["R4"])
        XCTAssertEqual(feed.next, .init(sinceNanos: 45 * s, afterRef: ""))
        XCTAssertEqual(feed.accept(batch, limit: 10), [], "all sent in this version")
    }

    // MARK: filters

    func testFiltersReadTheQueryAndMatchStateSiteOpenAndText() {
        let f = CaseListFilter(query: ["state": "opened", "open": "open", "q": " 0023 ", "site": "depot-a"])
        XCTAssertEqual(f, CaseListFilter(state: "opened", site: "depot-a", open: true, text: "0023"))
        XCTAssertEqual(CaseListFilter(query: f.query), f)
        XCTAssertTrue(f.matches(change("A", at: 1), siteID: "depot-a"))
        XCTAssertFalse(f.matches(change("A", at: 1), siteID: nil))
        XCTAssertFalse(f.matches(change("A", at: 1, state: "closed"), siteID: "depot-a"))
        XCTAssertFalse(f.matches(change("A", at: 1, final: true), siteID: "depot-a"))
        XCTAssertFalse(f.matches(change("A", at: 1, subject: "999"), siteID: "depot-a"))
        XCTAssertTrue(
            CaseListFilter(site: ConsolePageSites.unassigned).matches(change("A", at: 1), siteID: nil)
        )
        XCTAssertTrue(CaseListFilter(open: false).matches(change("A", at: 1, final: true), siteID: nil))
        // Unknown and empty values filter nothing.
        XCTAssertEqual(CaseListFilter(query: ["state": "teleported", "open": "", "q": ""]), CaseListFilter())
    }

    // MARK: scope

    func testAnInsurerSeesOnlyItsCasesAndOnlyItsOwnRowNotesAndDeliveries() {
        let north = ConsoleUser(name: "n", role: .insurer, insurer: "north")
        let other = ConsoleUser(name: "o", role: .insurer, insurer: "elsewhere")
        let handler = ConsoleUser(name: "h", role: .handler, sites: ["*"])
        let c = change("A", at: 1)
        XCTAssertTrue(ConsolePageScope.mayView(north, c, site: nil))
        XCTAssertFalse(ConsolePageScope.mayView(other, c, site: nil))
        XCTAssertFalse(
            ConsolePageScope.mayView(ConsoleUser(name: "x", role: .insurer), c, site: nil),
            "an insurer account without an insurer"
        )
        XCTAssertTrue(ConsolePageScope.mayView(handler, c, site: nil))
        let depotA = ConsoleUser(name: "a", role: .handler, sites: ["depot-a"])
        XCTAssertTrue(ConsolePageScope.mayView(depotA, c, site: "depot-a"))
        XCTAssertFalse(ConsolePageScope.mayView(depotA, c, site: "depot-b"), "another site's case")
        XCTAssertFalse(ConsolePageScope.mayView(depotA, c, site: nil), "a case of no site")
        XCTAssertEqual(ConsolePageScope.visibleInsurers(north, c.insurers).map(\.id), ["north"])
        XCTAssertEqual(ConsolePageScope.visibleInsurers(handler, c.insurers).map(\.id), ["north", "harbour"])
        let notes = [
            CaseNote(at: "", state: "opened", text: "opened"),
            CaseNote(at: "", state: "notified", text: "n", insurer: "north"),
            CaseNote(at: "", state: "notified", text: "h", insurer: "harbour"),
        ]
        XCTAssertEqual(ConsolePageScope.visibleNotes(north, notes).map(\.text), ["n"], "its own insurer's only")
        XCTAssertEqual(ConsolePageScope.visibleNotes(handler, notes).count, 3)
        XCTAssertFalse(ConsolePageScope.movesCases(north))
        XCTAssertTrue(ConsolePageScope.movesCases(handler))
        XCTAssertFalse(ConsolePageScope.promotesGuidance(handler))
        XCTAssertTrue(ConsolePageScope.promotesGuidance(ConsoleUser(name: "a", role: .admin)))
    }

    func testAnInsurersRowNeverCarriesAnotherInsurersState() {
        let north = ConsoleUser(name: "n", role: .insurer, insurer: "north", language: .simplifiedChinese)
        let html = CaseRowView.html(change("A", at: 1), user: north, sites: .init(), nowNanos: 3_700 * s)
        XCTAssertTrue(html.contains("Northern Mutual"), html)
        XCTAssertFalse(html.contains("Harbour"), html)
        XCTAssertTrue(html.contains("已通知"), html)
        XCTAssertTrue(html.contains("1 小时"), html)
    }

    // MARK: scan plot

    func testThePlotDrawsTheGeofenceAndTheScansInLocalMetresNorthUp() throws {
        let (lat, lon) = (31.2304, 121.4737)
        let north = ScanPlot.Point(lat: lat + 0.0009, lon: lon, label: "1")  // ~100 m north
        let east = ScanPlot.Point(lat: lat, lon: lon + 0.00105, anomalous: true, label: "2")  // ~100 m east
        let svg = try XCTUnwrap(
            ScanPlot.render(
                areas: [.circle(lat: lat, lon: lon, radiusM: 50)],
                points: [north, east],
                words: .init(title: "Scans <here>", scale: "{m} m")
            )
        )
        XCTAssertTrue(svg.hasPrefix("<svg"), svg)
        XCTAssertTrue(svg.contains(#"aria-label="Scans &lt;here&gt;""#), svg)
        XCTAssertFalse(svg.contains("<here>"))
        XCTAssertTrue(svg.contains(#"class="area""#))
        XCTAssertTrue(svg.contains(#"class="scan anomalous""#))
        // North is up (smaller y), east is right (larger x).
        func centre(_ label: String) throws -> (Double, Double) {
            let m = try XCTUnwrap(
                svg.firstMatch(
                    of: try Regex(#"<text class="scan-label" x="([-0-9.]+)" y="([-0-9.]+)"[^>]*>\#(label)<"#)
                )
            )
            return (Double(m.output[1].substring!)!, Double(m.output[2].substring!)!)
        }
        let (nx, ny) = try centre("1")
        let (ex, ey) = try centre("2")
        XCTAssertLessThan(ny, ey)
        XCTAssertGreaterThan(ex, nx)
        let local = ScanPlot.local(lat + 0.0009, lon + 0.00105, lat0: lat, lon0: lon)
        XCTAssertEqual(local.x, 100, accuracy: 2)
        XCTAssertEqual(local.y, 100, accuracy: 1)
        XCTAssertEqual(ScanPlot.roundLength(37), 20)
        XCTAssertEqual(ScanPlot.roundLength(730), 500)
        XCTAssertNil(ScanPlot.render(areas: [], points: [], words: .init(title: "", scale: "")))
    }

    func testAPlotLabelFromATerminalIsEscaped() throws {
        let svg = try XCTUnwrap(
            ScanPlot.render(
                areas: [.polygon([[1, 1], [1, 1.001], [1.001, 1.001]])],
                points: [.init(lat: 1, lon: 1, accuracyM: 30, label: "<script>&")],
                words: .init(title: "t", scale: "{m} 米")
            )
        )
        XCTAssertTrue(svg.contains("&lt;script&gt;&amp;"), svg)
        XCTAssertFalse(svg.contains("<script>"))
        XCTAssertTrue(svg.contains(#"class="accuracy""#))
        XCTAssertTrue(svg.contains("<polygon"))
        XCTAssertTrue(svg.contains(" 米</text>"), svg)

        // Two scans at one spot: one mark, both numbers.
        let twice = try XCTUnwrap(
            ScanPlot.render(
                areas: [],
                points: [.init(lat: 1, lon: 1, label: "1"), .init(lat: 1, lon: 1, anomalous: true, label: "2")],
                words: .init(title: "t", scale: "{m} m")
            )
        )
        XCTAssertEqual(twice.components(separatedBy: "<circle class=\"scan").count - 1, 1, twice)
        XCTAssertTrue(twice.contains(">1, 2</text>"), twice)
        XCTAssertTrue(twice.contains(#"class="scan anomalous""#))
    }

    // MARK: terminals

    func testActivityCountsScansPerHourAndSpoolDepthOverTheLastDay() throws {
        let now: Int64 = 100 * 3600 * s
        func stored(_ e: CaptureEvent, received: Int64) throws -> StoredEvent {
            StoredEvent(
                id: e.id,
                device: e.device,
                seq: Int64(e.seq),
                receivedAtNanos: received,
                eventJSON: String(decoding: try e.jsonBytes(), as: UTF8.self)
            )
        }
        func scanAt(_ wall: Int64, _ n: UInt64) -> CaptureEvent {
            CaptureEvent(
                id: "s\(n)",
                device: "t1",
                seq: n,
                scan: Scan(readerID: "r", bytes: [1], wallNanos: wall, monotonicNanos: 0),
                tag: .unknown
            )
        }
        let hb = Heartbeat(
            spoolDepth: 7,
            oldestAgeS: nil,
            deadLetters: 1,
            readers: [],
            fix: "3d",
            version: "2.1",
            uptimeS: 1,
            intervalS: 60
        )
        let events = [
            // Made an hour and a half ago, delivered now: counted when made.
            try stored(scanAt(now - 5400 * s, 1), received: now),
            try stored(scanAt(now - 60 * s, 2), received: now),
            try stored(scanAt(now - 30 * s, 3), received: now),
            // Older than the window.
            try stored(scanAt(now - 25 * 3600 * s, 4), received: now - 25 * 3600 * s),
            try stored(
                CaptureEvent.heartbeat(
                    id: "h",
                    device: "t1",
                    seq: 5,
                    wallNanos: now - 12 * 3600 * s,
                    monotonicNanos: 0,
                    status: hb,
                    location: nil
                ),
                received: now - 12 * 3600 * s
            ),
        ]
        let a = try XCTUnwrap(TerminalActivity.assess(events, nowNanos: now)["t1"])
        XCTAssertEqual(a.scansPerHour.count, 24)
        XCTAssertEqual(a.scansPerHour[23], 2)
        XCTAssertEqual(a.scansPerHour[22], 1)
        XCTAssertEqual(a.scansPerHour.reduce(0, +), 3)
        XCTAssertEqual(a.spool.map(\.depth), [7])
        XCTAssertEqual(a.spool[0].at, 0.5, accuracy: 0.001)

        let svg = TerminalChart.render(
            a,
            words: .init(title: "t1 <chart>", scansMax: "{n} scans/h", spoolMax: "spool {n}")
        )
        XCTAssertEqual(svg.components(separatedBy: #"<rect class="scans""#).count - 1, 2)
        XCTAssertTrue(svg.contains("<polyline"))
        XCTAssertTrue(svg.contains(">2 scans/h<"), svg)
        XCTAssertTrue(svg.contains("spool 7</text>"), svg)
        XCTAssertTrue(svg.contains("t1 &lt;chart&gt;"))

        let roster = [
            TerminalRoster(
                device: "a-ok",
                how: "add",
                health: .init(device: "a-ok", lastHeartbeatNanos: now, intervalS: 60, spoolDepth: 0, overdue: false)
            ),
            TerminalRoster(
                device: "t1",
                how: "add",
                health: .init(
                    device: "t1",
                    lastHeartbeatNanos: now - 12 * 3600 * s,
                    intervalS: 60,
                    spoolDepth: 7,
                    overdue: true
                )
            ),
        ]
        let beat = try stored(
            CaptureEvent.heartbeat(
                id: "h",
                device: "t1",
                seq: 5,
                wallNanos: 0,
                monotonicNanos: 0,
                status: hb,
                location: nil
            ),
            received: now - 12 * 3600 * s
        )
        let values = TerminalsPageView.values(
            roster: roster,
            latestHeartbeats: [beat],
            activity: ["t1": a],
            user: ConsoleUser(name: "h", role: .handler),
            nowNanos: now
        )
        let rows = try XCTUnwrap(values["terminals"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["device"] as? String }, ["t1", "a-ok"], "overdue first")
        XCTAssertEqual(rows[0]["stateLabel"] as? String, "Overdue")
        XCTAssertEqual(rows[0]["deadLetters"] as? String, "1")
        XCTAssertEqual(rows[0]["version"] as? String, "2.1")
        XCTAssertEqual(rows[0]["fix"] as? String, "3D fix")
        XCTAssertEqual(rows[0]["spool"] as? String, "7")
        XCTAssertEqual(rows[1]["spool"] as? String, "–", "no heartbeat event read for it")
    }
}
