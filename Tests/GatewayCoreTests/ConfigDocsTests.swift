import Foundation
import GatewayCore
import XCTest

/// docs/configuration.md lists exactly the keys the section parsers read, table by table, so
/// the page cannot miss a key or keep one that is gone.
final class ConfigDocsTests: XCTestCase {
    static let base = "[device]\nid = \"t\"\n[server]\nurl = \"https://x\"\n"

    /// Configurations with an unknown key `zz` in one table each, taking every branch that reads
    /// keys of its own (reader kinds, framings, redaction actions, area shapes). The unknown-key
    /// error lists the keys the parser read in that table.
    static let probes: [String] = [
        "zz = 1\n" + base,
        "[device]\nid = \"t\"\nzz = 1\n[server]\nurl = \"https://x\"\n",
        "[device]\nid = \"t\"\n[server]\nurl = \"https://x\"\nzz = 1\n",
        base + "[spool]\nzz = 1\n",
        base + "[forward]\nzz = 1\n",
        base + "[[reader]]\nid = \"l\"\nkind = \"line\"\npath = \"-\"\nzz = 1\n",
        base + "[[reader]]\nid = \"s\"\nkind = \"serial\"\npath = \"/dev/x\"\nzz = 1\n",
        base + "[[reader]]\nid = \"s\"\nkind = \"serial\"\npath = \"/dev/x\"\nframing = \"stx-etx\"\nzz = 1\n",
        base + "[[reader]]\nid = \"e\"\nkind = \"evdev\"\npath = \"/dev/x\"\nzz = 1\n",
        base + "[[reader]]\nid = \"h\"\nkind = \"hidraw\"\npath = \"/dev/x\"\nzz = 1\n",
        base + "[[reader]]\nid = \"c\"\nkind = \"camera\"\npath = \"/dev/x\"\nzz = 1\n",
        base + "[[reader]]\nid = \"n\"\nkind = \"nfc\"\nzz = 1\n",
        base + "[[reader]]\nid = \"n\"\nkind = \"nfc\"\nbackend = \"usb\"\nzz = 1\n",
        base + "[[reader]]\nid = \"h\"\nkind = \"hidraw\"\n[reader.match]\nname = \"x\"\nzz = 1\n",
        base + "[[schema]]\nname = \"s\"\npattern = \"x\"\nzz = 1\n",
        base + "[redact]\nzz = 1\n",
        base + "[[redact.rule]]\nname = \"m\"\ndetect = [\"email\"]\naction = \"mask\"\nzz = 1\n",
        base + "[[redact.rule]]\nname = \"t\"\nfields = [\"captured_at\"]\naction = \"coarsen\"\nzz = 1\n",
        base + "[[redact.rule]]\nname = \"l\"\nfields = [\"location\"]\naction = \"coarsen\"\ngrid_m = 500\nzz = 1\n",
        base + "[metrics]\nzz = 1\n",
        base + "[kiosk]\nzz = 1\n",
        base + "[gps]\nzz = 1\n",
        base + "[operator]\nzz = 1\n",
        base + "[geofence]\nzz = 1\n",
        base + "[[geofence.area]]\nlat = 1\nlon = 2\nradius_m = 3\nzz = 1\n",
        base + "[heartbeat]\nzz = 1\n",
    ]

    /// Table name ("" for the top) to the keys its parser reads.
    static func keysRead() throws -> [String: Set<String>] {
        var keys: [String: Set<String>] = [:]
        for text in probes {
            do {
                _ = try GatewayConfig.parse(toml: text, directory: "/")
                XCTFail("accepted an unknown key: \(text)")
            } catch .unknownKey(let key, let known) {
                let table = key.replacingOccurrences(of: #"\[[0-9]+\]"#, with: "", options: .regularExpression)
                    .split(separator: ".").dropLast().joined(separator: ".")
                keys[table, default: []].formUnion(known)
            } catch {
                XCTFail("\(error) in \(text)")
            }
        }
        return keys
    }

    /// Table name to the keys its section of the page lists (first column, in backquotes).
    static func keysDocumented(_ doc: String) -> [String: Set<String>] {
        var keys: [String: Set<String>] = [:]
        var table: String?
        for line in doc.split(separator: "\n") {
            if line.hasPrefix("## ") {
                let name = line.split(separator: "`").dropFirst().first.map { $0.trimmingCharacters(in: ["[", "]"]) }
                table = name
                if let name { keys[name, default: []] = [] }
            } else if let table, line.hasPrefix("| `") {
                keys[table, default: []].insert(String(line.dropFirst(3).prefix { $0 != "`" }))
            }
        }
        return keys
    }

    func testTheConfigurationPageListsEveryKeyTheParsersRead() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let documented = Self.keysDocumented(doc)
        var read = try Self.keysRead()
        let tables = try XCTUnwrap(read.removeValue(forKey: ""), "\(read.keys)")
        XCTAssertEqual(Set(documented.keys.filter { !$0.contains(".") }), tables, "top-level tables")
        XCTAssertEqual(Set(documented.keys), Set(read.keys), "tables")
        for (table, keys) in read {
            // `[reader.match]` is a table of its own on the page, not a key of `[[reader]]`.
            let subtables = Set(keys.filter { read["\(table).\($0)"] != nil })
            let expected = keys.subtracting(subtables)
            let listed = documented[table] ?? []
            XCTAssertEqual(expected.subtracting(listed).sorted(), [], "[\(table)]: read, but not on the page")
            XCTAssertEqual(listed.subtracting(expected).sorted(), [], "[\(table)]: on the page, but no parser reads it")
        }
    }
}
