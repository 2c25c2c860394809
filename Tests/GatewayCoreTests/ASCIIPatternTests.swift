import Foundation
import XCTest

@testable import GatewayCore

/// ASCIIPattern must answer exactly as `Regex.wholeMatch` does wherever it answers at all.
final class ASCIIPatternTests: XCTestCase {
    func regexOutcome(_ regex: Regex<AnyRegexOutput>, _ names: [String], _ text: String) -> ASCIIPattern.Outcome {
        ASCIIPattern.outcome(of: regex, groups: names, in: text)
    }

    func assertSame(_ pattern: String, _ texts: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let fast = try XCTUnwrap(ASCIIPattern(pattern), "outside the subset: \(pattern)", file: file, line: line)
        let regex = try Regex(pattern)
        for t in texts {
            XCTAssertEqual(
                fast.wholeMatch(t),
                regexOutcome(regex, fast.groupNames, t),
                "pattern \(pattern) text \(t.debugDescription)",
                file: file,
                line: line
            )
        }
    }

    func testTheExampleSchemasMatchAsRegexDoes() throws {
        try assertSame(
            "ACME-(?<subject>[0-9]{8})",
            ["ACME-00012345", "ACME-0001234", "xACME-00012345", "ACME-000123456", "", "ACME-0001234a"]
        )
        try assertSame("OBJ-(?<subject>[0-9]{6})", ["OBJ-123456", "OBJ-12345", "OBJ-1234567"])
        try assertSame("(?s).*", ["", "anything", "a\u{1D}b"])
        try assertSame("A(?<subject>.*)", ["ABC", "A", "B"])
        XCTAssertEqual(
            ASCIIPattern("ACME-(?<subject>[0-9]{8})")?.wholeMatch("ACME-00012345"),
            .match(["subject": 5..<13])
        )
    }

    /// The schemas technicians copy (gatewayd.example.toml) and the demo's: each must take the
    /// fast path, and answer as Regex does on the demo's own scans and on every one-byte edit
    /// of them. Read from the files, so a pattern added there is checked without editing this.
    func testEveryShippedSchemaTakesTheFastPathAndAgreesWithRegex() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let example = try String(contentsOf: root.appendingPathComponent("gatewayd.example.toml"), encoding: .utf8)
        let script = try String(contentsOf: root.appendingPathComponent("scripts/demo.sh"), encoding: .utf8)
        let heredoc = try XCTUnwrap(
            script.range(of: "cat >gatewayd.toml <<TOML\n"),
            "demo.sh writes its config in a heredoc"
        )
        let demo = String(script[heredoc.upperBound...]).components(separatedBy: "\nTOML\n")[0]
            .replacingOccurrences(of: "$port", with: "8443")
        var patterns: [String] = []
        for text in [example, demo] {
            let config = try GatewayConfig.parse(toml: text, directory: "/etc/gatewayd")
            patterns += config.schemas.filter { $0.decodedFormat == nil }.map(\.pattern)
        }
        XCTAssertGreaterThanOrEqual(patterns.count, 4, "\(patterns)")
        let scans = [
            "OP-0042", "OBJ-100234", "OBJ-200017", "NOT A KNOWN LABEL", "]C10109506000134352\u{1D}10LOT42",
            "3074257BF7194E4000001A85", "OBJ-300001 owner 13812345678", "OP-", "OBJ-", "",
        ]
        var texts = Set(scans)
        for scan in scans {
            let b = Array(scan.utf8)
            for i in b.indices {
                texts.insert(String(decoding: b[..<i] + b[(i + 1)...], as: UTF8.self))
                for r: UInt8 in [0x30, 0x39, 0x41, 0x2D, 0x20, 0x00, 0x7F] {
                    var e = b
                    e[i] = r
                    texts.insert(String(decoding: e, as: UTF8.self))
                }
            }
            texts.insert(scan + "0")
        }
        for pattern in Set(patterns) {
            try assertSame(pattern, texts.sorted())
        }
    }

    func testGroupsAreTheOnesTheBacktrackingOrderGives() throws {
        // Greedy repeats take the most first; alternatives are tried left to right; a group on
        // a path that failed later is not reported.
        try assertSame("(?<subject>[0-9]+)(?<rest>[0-9]*)", ["12345", "1"])
        try assertSame("(?<a>[0-9]*)(?<b>[0-9]+)", ["12345", "1"])
        try assertSame("(?:(?<s>a)x|ay)", ["ay", "ax"])
        try assertSame("(?<x>a|ab)(?<y>c|bcd)(?<z>d*)", ["abcd", "abc", "acd"])
        try assertSame("(?<p>.*)-(?<q>.*)", ["a-b-c", "-", "abc"])
        try assertSame("^A$|(?<s>B)", ["A", "B", "AB"])
        XCTAssertEqual(ASCIIPattern("(?:(?<s>a)x|ay)")?.wholeMatch("ay"), .match([:]))
    }

    func testClassesAndEscapes() throws {
        try assertSame("[A-Z]{2}[^0-9]\\d\\D\\w\\W\\s\\S", ["AB-1x_- a", "AB01x_- a", "ab-1x_- a", "AB-1x_-\ta"])
        try assertSame("\\.\\-\\[\\]\\(\\)\\{\\}\\*\\+\\?\\|\\^\\$\\\\/", [".-[](){}*+?|^$\\/", "x"])
        try assertSame("[.*+?(){}|$ /]+", ["(.)", "a"])
        try assertSame("[\\d\\s_]{2,4}", ["1 _", "1", "12345", "1\t"])
        try assertSame("x{0}y{1,}z{2,3}", ["yzz", "xyzz", "yyzzz", "yzzzz"])
    }

    func testOtherTextIsLeftToRegex() throws {
        let p = try XCTUnwrap(ASCIIPattern("ACME-(?<subject>\\d{8})"))
        XCTAssertEqual(
            p.wholeMatch("ACME-\u{0660}\u{0661}\u{0662}\u{0663}\u{0664}\u{0665}\u{0666}\u{0667}"),
            .undecided,
            "non-ASCII digits"
        )
        XCTAssertEqual(p.wholeMatch("ACME-0001\r\n2345"), .undecided, "a newline")
        XCTAssertEqual(p.wholeMatch("ACME-é"), .undecided)
    }

    func testSyntaxOutsideTheSubsetIsLeftToRegex() {
        for pattern in [
            "a*?", "a++", "(ab)+", "(?i)abc", "(?=a)a", "(?<=a)b", "(a)\\1", "\\p{L}", "[[:alpha:]]", "[a-z&&b]",
            "a{,3}", "a{3,2}", "\\bword", "(?'n'a)", "(?P<n>a)", "\\x41", "é", "a\tb", "{", "}", "]", "*a", "[]",
            "[a-]", "(?<n>a)(?<n>b)", "(?<1n>a)", "\\Qa\\E", "a{1001}", "(unclosed", "x)", "(?#c)", "\\Z",
        ] {
            XCTAssertNil(ASCIIPattern(pattern), pattern)
            // Left to Regex, a schema still answers as Regex does, or is refused as Regex refuses it.
            guard let regex = try? Regex(pattern) else {
                XCTAssertThrowsError(try LabelSchema(name: "x", pattern: pattern, kind: .subject), pattern)
                continue
            }
            let schema = try? LabelSchema(name: "x", pattern: pattern, kind: .subject, subjectGroup: "n")
            for t in ["", "a", "aa", "ab", "abc", "word", "A", "é", "ab\tb", "{", "}", "]", "Ab", "a-", "x)"] {
                let want = (try? regex.wholeMatch(in: t)).map { m in m.output["n"]?.substring.map(String.init) ?? t }
                XCTAssertEqual(schema?.match(t)?.subject, want, "\(pattern) \(t.debugDescription)")
            }
        }
    }

    func testALongPatternIsLeftToRegex() throws {
        // The matcher recurses once per item; Regex's VM does not.
        try assertSame(String(repeating: "A", count: 256), [String(repeating: "A", count: 256), "A"])
        XCTAssertNil(ASCIIPattern(String(repeating: "A", count: 257)))
        let s = try LabelSchema(name: "long", pattern: String(repeating: "A", count: 5000), kind: .subject)
        XCTAssertNotNil(s.match(String(repeating: "A", count: 5000)))
    }

    /// LabelSchema against `Regex.wholeMatch` on the schema's own pattern, for text the fast
    /// matcher decides and text it leaves to Regex (non-ASCII digits, a newline), and for a
    /// pattern outside the subset. Each answer is checked against the engine directly, not
    /// against another schema that would take the same fallback.
    func testLabelSchemaAnswersAsRegexDoesOnEitherPath() throws {
        let texts = [
            "ACME-00012345", "ACME-0001234", "ACME-\u{0660}\u{0661}\u{0662}\u{0663}\u{0664}\u{0665}\u{0666}\u{0667}",
            "ACME-0001\r\n2345", "ACME-0001234\u{0665}", "ACME-é0001234", "",
        ]
        for pattern in ["ACME-(?<subject>\\d{8})", "ACME-(?<subject>\\d{8}?)"] {
            let schema = try LabelSchema(name: "acme", pattern: pattern, kind: .subject)
            let regex = try Regex(pattern)
            for t in texts {
                let want = try regex.wholeMatch(in: t).map { m in m.output["subject"]?.substring.map(String.init) ?? t }
                XCTAssertEqual(schema.match(t)?.subject, want, "\(pattern) \(t.debugDescription)")
            }
        }
        XCTAssertNotNil(ASCIIPattern("ACME-(?<subject>\\d{8})"))
        XCTAssertNil(ASCIIPattern("ACME-(?<subject>\\d{8}?)"), "the second pattern is Regex's alone")
        let schema = try LabelSchema(name: "acme", pattern: "ACME-(?<subject>\\d{8})", kind: .subject)
        XCTAssertEqual(
            schema.match("ACME-\u{0660}\u{0661}\u{0662}\u{0663}\u{0664}\u{0665}\u{0666}\u{0667}")?.subject,
            "\u{0660}\u{0661}\u{0662}\u{0663}\u{0664}\u{0665}\u{0666}\u{0667}",
            "Regex's Unicode digits, as before"
        )
        XCTAssertNil(schema.match("ACME-0001\r\n2345"))
    }

    /// Generated patterns of the subset (and some just outside it), each with texts drawn from
    /// the pattern and mutated: wherever ASCIIPattern accepts a pattern, Regex must compile it
    /// and give the same whole match and groups for every text.
    func testGeneratedPatternsAgreeWithRegex() throws {
        var rng = SplitMix64(seed: 0x6761_7465_7761_7964)
        var accepted = 0
        var matched = 0
        var compared = 0
        for _ in 0..<3000 {
            let tree = PatternGen.alternatives(&rng, depth: 0)
            var pattern = PatternGen.render(tree)
            if rng.below(8) == 0 {
                // A stray metacharacter: the parser must refuse what Regex refuses.
                let meta = Array("()[]{}?*+|\\^$-.,:<>&~!=#".utf8)
                var b = Array(pattern.utf8)
                b.insert(meta[rng.below(meta.count)], at: rng.below(b.count + 1))
                pattern = String(decoding: b, as: UTF8.self)
            }
            if rng.below(10) == 0 { pattern = "(?s)" + pattern }
            guard let fast = ASCIIPattern(pattern) else { continue }
            accepted += 1
            let regex: Regex<AnyRegexOutput>
            do { regex = try Regex(pattern) } catch {
                XCTFail("ASCIIPattern accepted \(pattern.debugDescription), which Regex refuses: \(error)")
                continue
            }
            for _ in 0..<12 {
                var text = PatternGen.sample(tree, &rng)
                if rng.below(3) == 0 { PatternGen.mutate(&text, &rng) }
                let t = String(decoding: text, as: UTF8.self)
                let got = fast.wholeMatch(t)
                XCTAssertEqual(
                    got,
                    regexOutcome(regex, fast.groupNames, t),
                    "pattern \(pattern.debugDescription) text \(t.debugDescription)"
                )
                compared += 1
                if case .match = got {
                    matched += 1
                    // The groups compared are all the named groups Regex sees, none dropped.
                    let names = (try? regex.wholeMatch(in: t))?.output.compactMap(\.name) ?? []
                    XCTAssertEqual(Set(names), Set(fast.groupNames), "pattern \(pattern.debugDescription)")
                }
            }
        }
        // The generator must exercise both answers, or the comparison proves little.
        XCTAssertGreaterThan(accepted, 2000)
        XCTAssertGreaterThan(matched, compared / 5)
        XCTAssertGreaterThan(compared - matched, compared / 5)
    }
}

extension SplitMix64 {
    /// 0..<n, deterministic for a seed, so a failure names a reproducible case.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Patterns of ASCIIPattern's subset as trees, rendered to syntax and sampled to texts.
enum PatternGen {
    indirect enum Node {
        /// One character out of `members`, written as `source`, repeated min...max.
        case item(source: String, members: [UInt8], min: Int, max: Int)
        case group(prefix: String, [[Node]])
        case anchor(String)
    }

    /// The bytes texts are drawn from: what label scans hold, a GS separator and a tab.
    /// Texts' bytes: pattern characters, GS1's separator, tab, controls, NUL and DEL (all decided).
    static let alphabet = Array("AB09az_- ./#$(!,\"".utf8) + [0x1D, 0x09, 0x01, 0x00, 0x7F]

    static func alternatives(_ rng: inout SplitMix64, depth: Int) -> [[Node]] {
        (0..<(rng.below(4) == 0 ? 2 : 1)).map { _ in sequence(&rng, depth: depth) }
    }

    static func sequence(_ rng: inout SplitMix64, depth: Int) -> [Node] {
        (0..<rng.below(5)).map { _ in node(&rng, depth: depth) }
    }

    static func node(_ rng: inout SplitMix64, depth: Int) -> Node {
        switch rng.below(depth < 2 ? 12 : 10) {
        case 0, 1, 2, 3:
            if rng.below(4) == 0 {
                // An escaped metacharacter.
                let meta = Array("\\^$.|?*+()[]{}-/".utf8)
                let c = meta[rng.below(meta.count)]
                return quantified("\\" + String(UnicodeScalar(c)), [c], &rng)
            }
            let c = alphabet[rng.below(alphabet.count - 4)]
            let escape =
                c == UInt8(ascii: ".") || c == UInt8(ascii: "$") || c == UInt8(ascii: "(")
                || c == UInt8(ascii: "-") && rng.below(2) == 0
            return quantified((escape ? "\\" : "") + String(UnicodeScalar(c)), [c], &rng)
        case 4: return quantified(".", Array(0...127).filter { !(0x0A...0x0D).contains($0) }, &rng)
        case 5:
            let escapes: [(String, [UInt8])] = [
                ("\\d", Array("0123456789".utf8)), ("\\w", Array("AZaz09_".utf8)), ("\\s", [0x20, 0x09]),
                ("\\D", Array("A-_ ".utf8)), ("\\W", Array("- .".utf8)), ("\\S", Array("A0-".utf8)),
            ]
            let e = escapes[rng.below(escapes.count)]
            return quantified(e.0, e.1, &rng)
        case 6, 7:
            let ranges: [(String, ClosedRange<UInt8>)] = [
                ("0-9", 0x30...0x39), ("A-Z", 0x41...0x5A), ("a-f", 0x61...0x66), ("_", 0x5F...0x5F),
                (" ", 0x20...0x20), (".", 0x2E...0x2E), ("\\-", 0x2D...0x2D), ("\\d", 0x30...0x39), ("#", 0x23...0x23),
                ("!-/", 0x21...0x2F), ("$|(){}*+?", 0x24...0x24), ("\\s", 0x20...0x20), ("\\w", 0x5F...0x5F),
                ("\\]", 0x5D...0x5D),
            ]
            var src = ""
            var members = Set<UInt8>()
            for _ in 0...rng.below(3) {
                let r = ranges[rng.below(ranges.count)]
                src += r.0
                members.formUnion(r.1)
            }
            if rng.below(4) == 0 {
                return quantified("[^" + src + "]", alphabet.filter { !members.contains($0) }, &rng)
            }
            return quantified("[" + src + "]", Array(members), &rng)
        case 8:
            return .anchor(rng.below(2) == 0 ? "^" : "$")
        case 9:
            return quantified("-", [UInt8(ascii: "-")], &rng)
        default:
            let prefix = ["(?<g\(rng.below(1000))>", "(?<_N\(rng.below(1000))>", "(?:", "("][rng.below(4)]
            return .group(prefix: prefix, alternatives(&rng, depth: depth + 1))
        }
    }

    static func quantified(_ src: String, _ members: [UInt8], _ rng: inout SplitMix64) -> Node {
        let q: [(String, Int, Int)] = [
            ("", 1, 1), ("", 1, 1), ("?", 0, 1), ("*", 0, 4), ("+", 1, 4), ("{2}", 2, 2), ("{1,3}", 1, 3),
            ("{2,}", 2, 5), ("{0}", 0, 0), ("{003}", 3, 3), ("{2,2}", 2, 2),
        ]
        let pick = q[rng.below(q.count)]
        return .item(source: src + pick.0, members: members.isEmpty ? [0x21] : members, min: pick.1, max: pick.2)
    }

    static func render(_ alts: [[Node]]) -> String {
        alts.map { $0.map(render).joined() }.joined(separator: "|")
    }

    static func render(_ node: Node) -> String {
        switch node {
        case .item(let src, _, _, _): return src
        case .group(let prefix, let alts): return prefix + render(alts) + ")"
        case .anchor(let a): return a
        }
    }

    static func sample(_ alts: [[Node]], _ rng: inout SplitMix64) -> [UInt8] {
        alts[rng.below(alts.count)].flatMap { sample($0, &rng) }
    }

    static func sample(_ node: Node, _ rng: inout SplitMix64) -> [UInt8] {
        switch node {
        case .item(_, let members, let min, let max):
            return (0..<(min + rng.below(max - min + 1))).map { _ in members[rng.below(members.count)] }
        case .group(_, let alts): return sample(alts, &rng)
        case .anchor: return []
        }
    }

    static func mutate(_ text: inout [UInt8], _ rng: inout SplitMix64) {
        let c = alphabet[rng.below(alphabet.count)]
        switch rng.below(4) {
        case 0 where !text.isEmpty: text.remove(at: rng.below(text.count))
        case 1 where !text.isEmpty: text[rng.below(text.count)] = c
        case 2: text.append(c)
        default: text.insert(c, at: rng.below(text.count + 1))
        }
    }
}
