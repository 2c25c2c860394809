import CaseServerKit
import GatewayCore
import XCTest

/// `ConsoleAccess` and the policy's `[[site]]`: who sees which case, which insurer rows and
/// notes, and may do what; and a case's site from its device.
final class ConsoleAccessTests: XCTestCase {
    let handlerA = ConsoleUser(name: "li", role: .handler, sites: ["depot-a"])
    let handlerAll = ConsoleUser(name: "chen", role: .handler, sites: ["*"])
    let north = ConsoleUser(name: "north-desk", role: .insurer, insurer: "north")
    let harbour = ConsoleUser(name: "harbour-desk", role: .insurer, insurer: "harbour")
    let admin = ConsoleUser(name: "root", role: .admin)

    let rows = [
        InsurerStatus(id: "north", name: "Northern Mutual", state: "notified", updatedAt: "t"),
        InsurerStatus(id: "harbour", name: "Harbour Re", state: "assessing", updatedAt: "t"),
    ]
    let notes = [
        CaseNote(at: "t1", state: "open", text: "desk note"),
        CaseNote(at: "t2", state: "assessing", text: "north's note", insurer: "north"),
        CaseNote(at: "t3", state: "assessing", text: "harbour's note", insurer: "harbour"),
    ]

    func testHandlersSeeTheirSitesAndStarSeesEveryCaseAdminsAll() {
        XCTAssertTrue(ConsoleAccess.mayView(handlerA, insurers: [], site: "depot-a"))
        XCTAssertFalse(ConsoleAccess.mayView(handlerA, insurers: ["north"], site: "depot-b"))
        XCTAssertFalse(ConsoleAccess.mayView(handlerA, insurers: [], site: nil))
        XCTAssertFalse(ConsoleAccess.mayView(handlerA, insurers: [], site: CaseSite.unassigned))
        XCTAssertTrue(ConsoleAccess.mayView(handlerAll, insurers: [], site: nil))
        XCTAssertTrue(ConsoleAccess.mayView(handlerAll, insurers: [], site: "depot-b"))
        XCTAssertTrue(ConsoleAccess.mayView(admin, insurers: [], site: nil))
        let noSites = ConsoleUser(name: "new", role: .handler)
        XCTAssertFalse(ConsoleAccess.mayView(noSites, insurers: [], site: "depot-a"))
    }

    /// An insurer sees only the cases its insurer is on, whatever the site, and of those only
    /// its own row and notes: never the other insurer's, nor the desk's.
    func testAnInsurerSeesOnlyItsCasesAndOnlyItsOwnRowAndNotes() {
        let c = CaseSummary(ref: "R1", subject: "1002", schema: "acme", state: "open", insurers: rows, openedAt: "t")
        XCTAssertTrue(ConsoleAccess.mayView(north, c, site: "depot-b"))
        XCTAssertFalse(ConsoleAccess.mayView(north, insurers: ["harbour"], site: "depot-a"))
        XCTAssertFalse(ConsoleAccess.mayView(north, insurers: [], site: nil))
        let orphan = ConsoleUser(name: "x", role: .insurer)
        XCTAssertFalse(
            ConsoleAccess.mayView(orphan, c, site: "depot-a"),
            "an insurer account without insurer sees nothing"
        )

        XCTAssertEqual(ConsoleAccess.visibleInsurers(north, rows).map(\.id), ["north"])
        XCTAssertEqual(ConsoleAccess.visibleInsurers(harbour, rows).map(\.id), ["harbour"])
        XCTAssertEqual(ConsoleAccess.visibleNotes(north, notes).map(\.text), ["north's note"])
        XCTAssertEqual(ConsoleAccess.visibleNotes(harbour, notes).map(\.text), ["harbour's note"])
        XCTAssertEqual(ConsoleAccess.visibleInsurers(handlerA, rows), rows)
        XCTAssertEqual(ConsoleAccess.visibleNotes(handlerA, notes), notes)
        XCTAssertEqual(ConsoleAccess.visibleNotes(admin, notes), notes)
    }

    func testActionsByRole() {
        for user in [handlerA, admin] {
            XCTAssertTrue(ConsoleAccess.may(user, .moveCase))
            XCTAssertTrue(ConsoleAccess.may(user, .addNote(insurer: nil)))
            XCTAssertTrue(ConsoleAccess.may(user, .messageTerminal))
            XCTAssertTrue(ConsoleAccess.may(user, .moveInsurer("north")))
            XCTAssertTrue(ConsoleAccess.may(user, .viewTerminals))
        }
        XCTAssertFalse(ConsoleAccess.may(handlerA, .administer))
        XCTAssertFalse(ConsoleAccess.may(handlerA, .promoteGuidance))
        XCTAssertTrue(ConsoleAccess.may(admin, .administer))
        XCTAssertTrue(ConsoleAccess.may(admin, .promoteGuidance))

        XCTAssertTrue(ConsoleAccess.may(north, .moveInsurer("north")))
        XCTAssertTrue(ConsoleAccess.may(north, .addNote(insurer: "north")))
        XCTAssertFalse(ConsoleAccess.may(north, .moveInsurer("harbour")))
        XCTAssertFalse(ConsoleAccess.may(north, .addNote(insurer: "harbour")))
        XCTAssertFalse(ConsoleAccess.may(north, .addNote(insurer: nil)))
        XCTAssertFalse(ConsoleAccess.may(north, .moveCase))
        XCTAssertFalse(ConsoleAccess.may(north, .messageTerminal))
        XCTAssertFalse(ConsoleAccess.may(north, .viewTerminals))
        XCTAssertFalse(ConsoleAccess.may(north, .administer))
    }

    func testSitesAreReadFromThePolicyAndTheFirstMatchingOneIsTheCasesSite() throws {
        let policy = try CasePolicy.parse(
            toml: """
                [[site]]
                id = "depot-a"
                name = "Depot A"
                devices = ["term-a-*", "term-x"]
                [[site.area]]
                lat = 31.23
                lon = 121.47
                radius_m = 300
                [[site]]
                id = "all-terms"
                devices = ["term-*"]
                [[site.area]]
                polygon = [[31.0, 121.0], [31.1, 121.0], [31.1, 121.1]]

                """
        )
        XCTAssertEqual(policy.sites.map(\.id), ["depot-a", "all-terms"])
        XCTAssertEqual(policy.sites[1].name, "all-terms")
        XCTAssertEqual(policy.sites[0].geofence.areas, [.circle(lat: 31.23, lon: 121.47, radiusM: 300)])
        XCTAssertEqual(policy.site(forDevice: "term-a-7")?.id, "depot-a")
        XCTAssertEqual(policy.site(forDevice: "term-x")?.id, "depot-a")
        XCTAssertEqual(policy.site(forDevice: "term-b-1")?.id, "all-terms")
        XCTAssertNil(policy.site(forDevice: "kiosk-1"))
        XCTAssertEqual(CasePolicy.builtIn.sites, [])
    }

    func testABadSiteIsRefusedWithWhatToDo() {
        let cases: [(String, String)] = [
            ("[[site]]\nid = \"a\"\n", "devices"),
            ("[[site]]\nid = \"a b\"\ndevices = [\"t\"]\n", "not a site id"),
            ("[[site]]\nid = \"unassigned\"\ndevices = [\"t\"]\n", "not a site id"),
            ("[[site]]\nid = \"a\"\ndevices = [\"t\"]\n[[site]]\nid = \"a\"\ndevices = [\"u\"]\n", "another site"),
            ("[[site]]\nid = \"a\"\ndevices = [\"t\"]\ncolour = \"red\"\n", "colour"),
            ("[[site]]\nid = \"a\"\ndevices = [\"t\"]\nmax_speed_kmh = 5.0\n", "speed"),
            ("[[site]]\nid = \"a\"\ndevices = [\"t\"]\n[[site.area]]\nlat = 1.0\n", "neither a polygon nor a circle"),
        ]
        for (toml, says) in cases {
            XCTAssertThrowsError(try CasePolicy.parse(toml: toml), toml) {
                XCTAssertTrue("\($0)".contains(says), "\($0) should say \(says)")
            }
        }
    }

    /// What `users add` and the accounts page check before an account is stored.
    func testAccountFieldsAreCheckedAsTheCommandAndThePageTakeThem() throws {
        let li = try ConsoleAccountFields(
            role: "handler",
            sites: "depot-a, depot-b",
            language: "zh",
            timeZone: "Asia/Shanghai"
        ).account(name: "li", passwordHash: "h")
        XCTAssertEqual(li.sites, ["depot-a", "depot-b"])
        XCTAssertEqual(li.language, "zh-Hans")
        XCTAssertEqual(li.role, .handler)
        let desk = try ConsoleAccountFields(role: "insurer", insurer: "north").account(name: "n", passwordHash: "h")
        XCTAssertEqual(desk.insurer, "north")
        XCTAssertEqual(
            try ConsoleAccountFields(role: "handler", sites: "*").account(name: "c", passwordHash: "").sites,
            ["*"]
        )

        let refused: [(ConsoleAccountFields, String, ConsoleAccountFields.Problem)] = [
            (.init(role: "boss"), "x", .role("boss")),
            (.init(role: "handler"), "li wang", .name("li wang")),
            (.init(role: "insurer"), "x", .insurerMissing),
            (.init(role: "handler", insurer: "north"), "x", .insurerNotForRole),
            (.init(role: "handler", sites: "a/b"), "x", .site("a/b")),
            (.init(role: "handler", language: "fr"), "x", .language("fr")),
            (.init(role: "handler", timeZone: "Mars/Olympus"), "x", .timeZone("Mars/Olympus")),
        ]
        for (fields, name, problem) in refused {
            XCTAssertThrowsError(try fields.account(name: name, passwordHash: "")) {
                XCTAssertEqual($0 as? ConsoleAccountFields.Problem, problem)
            }
            XCTAssertFalse(problem.description.isEmpty)
            XCTAssertNotEqual(ConsoleCatalogs.catalog(.english)[problem.catalogKey], problem.catalogKey)
        }
    }

    func testShortAndOverlongPasswordsAreRefused() {
        XCTAssertThrowsError(try ConsolePasswords.check("short")) {
            XCTAssertEqual($0 as? ConsolePasswords.Problem, .tooShort(minimum: 12))
            XCTAssertTrue("\($0)".contains("at least 12"))
        }
        XCTAssertThrowsError(try ConsolePasswords.check(String(repeating: "é", count: 40))) {
            XCTAssertEqual($0 as? ConsolePasswords.Problem, .tooLong(maximumBytes: 72))
        }
        XCTAssertNoThrow(try ConsolePasswords.check("correct horse battery"))
    }
}
