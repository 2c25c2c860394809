import ArgumentParser
import Foundation
import GatewayCore
import GatewayLinux
import GatewaySystem

/// `gatewayd redact --explain [FILE]`: shows a technician what the configured redaction rules
/// do to a sample — a scan as text, or a capture event as JSON — rule by rule, and the event
/// that would be sealed. It prints the sample's values back on purpose (the technician typed
/// them); it writes nothing to disk and logs nothing.
struct RedactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact",
        abstract: "Show what the redaction rules do to a sample scan (text) or capture event (JSON)."
    )

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Explain each rule's effect (the only mode for now).",
            discussion: "Example: echo 'owner 13812345678' | gatewayd redact --explain"
        )
    )
    var explain = false

    @Argument(
        help: ArgumentHelp(
            "File with the sample; - or nothing reads standard input.",
            discussion: "Example: gatewayd redact --explain sample-event.json"
        )
    )
    var sample: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Configuration file (its [redact] rules, schemas and reader hints). Without it: the built-in rules.",
            discussion: "Example: gatewayd redact --explain --config /etc/gatewayd/gatewayd.toml label.txt"
        )
    )
    var config: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Reader id the sample text came from (for its role and decode hint).",
            discussion: "Example: gatewayd redact --explain --config site.toml --reader door-badge badge.txt"
        )
    )
    var reader: String = "sample"

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Print JSON: {\"steps\": [...], \"event\": {...}}.",
            discussion: "Example: gatewayd redact --explain --json sample.txt"
        )
    )
    var json = false

    func run() throws {
        guard explain else { throw ValidationError("say --explain: `gatewayd redact --explain sample.txt`") }
        let cfg: GatewayConfig?
        do {
            if let config {
                cfg = try GatewayDaemon.loadConfig(path: config)
            } else if FileManager.default.fileExists(atPath: GatewayConfig.defaultPath) {
                cfg = try GatewayDaemon.loadConfig(path: GatewayConfig.defaultPath)
            } else {
                cfg = nil
            }
        } catch {
            FileHandleStderr.write("gatewayd: \(error)\n")
            throw ExitCode(78)
        }
        let input: Data
        if let sample, sample != "-" {
            guard let d = FileManager.default.contents(atPath: sample) else {
                throw ValidationError("cannot read \(sample)")
            }
            input = d
        } else {
            input = FileHandle.standardInput.readDataToEndOfFile()
        }

        let redactor: Redactor
        do {
            if let cfg {
                redactor = try GatewayDaemon.makeRedactor(cfg)
            } else if Redactor.needsSiteKey(RedactionRule.builtIn),
                FileManager.default.fileExists(atPath: GatewayConfig.defaultSiteKeyPath)
            {
                redactor = Redactor(
                    rules: RedactionRule.builtIn,
                    pseudonymizer: Pseudonymizer(keyBytes: try KeyFile.loadSiteKey(GatewayConfig.defaultSiteKeyPath))
                )
            } else {
                FileHandleStderr.write(
                    "gatewayd: no config and no site key: pseudonyms below use a throw-away key and will not match the site's\n"
                )
                redactor = Redactor(
                    rules: RedactionRule.builtIn,
                    pseudonymizer: Pseudonymizer(keyBytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
                )
            }
        } catch {
            FileHandleStderr.write("gatewayd: \(error)\n")
            throw ExitCode(78)
        }

        let event = try Self.sampleEvent(input, config: cfg, reader: reader)
        let result = redactor.redact(event)
        if json {
            print(try Self.jsonReport(result))
        } else {
            print(Self.report(result, rules: redactor.rules, original: event))
        }
    }

    /// A JSON capture event as is; anything else is the bytes of one scan from `reader`.
    static func sampleEvent(_ input: Data, config: GatewayConfig?, reader: String) throws -> CaptureEvent {
        if let e = try? CaptureEvent.decode(input) { return e }
        var bytes = Array(input)
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        let scan = Scan(readerID: reader, bytes: bytes, wallNanos: now, monotonicNanos: 0)
        let classifier = try config?.makeClassifier() ?? TagClassifier(schemas: [], readerRoles: [:])
        let (decoded, misread, tag) = CaptureSealer.interpret(
            scan,
            classifier: classifier,
            hints: config?.decodeHints ?? [:]
        )
        var ids = UUIDv7Generator()
        var rng = SystemRandomNumberGenerator()
        return CaptureEvent(
            id: ids.next(unixMillis: UInt64(now / 1_000_000), using: &rng),
            device: config?.device.id ?? "sample",
            seq: 0,
            scan: scan,
            tag: tag,
            decoded: decoded,
            misread: misread
        )
    }

    static func report(_ r: Redaction, rules: [RedactionRule], original: CaptureEvent) -> String {
        var lines: [String] = []
        let kind =
            original.decoded.map { "decoded as \($0.format.rawValue)" }
            ?? (original.misread.map { "misread (\($0))" } ?? "not decoded")
        lines.append(
            "sample: \(original.text.map { "\($0.count) characters of text" } ?? "binary"), \(kind), class \(original.tag.kind.rawValue)"
        )
        lines.append("rules, in order: \(rules.map(\.name).joined(separator: ", "))")
        if r.steps.isEmpty {
            lines.append("no rule changed anything")
        }
        for (i, s) in r.steps.enumerated() {
            let what = s.kind.map { " (\($0.rawValue))" } ?? ""
            let after = s.after.isEmpty ? "(removed)" : "\"\(s.after)\""
            lines.append("\(i + 1). \(s.rule) — \(s.action) — \(s.field)\(what): \"\(s.before)\" → \(after)")
        }
        let quiet = rules.map(\.name).filter { n in !r.steps.contains { $0.rule == n } }
        if !quiet.isEmpty { lines.append("did nothing here: \(quiet.joined(separator: ", "))") }
        if original.raw != nil && r.event.raw == nil {
            lines.append("raw bytes: withheld (a binary scan whose content changed)")
        }
        lines.append("event as it would be sealed:")
        lines.append((try? prettyJSON(r.event)) ?? "?")
        return lines.joined(separator: "\n")
    }

    static func jsonReport(_ r: Redaction) throws -> String {
        struct Step: Encodable {
            var rule, field, action, before, after: String
            var kind: String?
        }
        struct Report: Encodable {
            var steps: [Step]
            var event: CaptureEvent
        }
        let report = Report(
            steps: r.steps.map {
                Step(
                    rule: $0.rule,
                    field: $0.field,
                    action: $0.action,
                    before: $0.before,
                    after: $0.after,
                    kind: $0.kind?.rawValue
                )
            },
            event: r.event
        )
        return try prettyJSON(report)
    }

    static func prettyJSON(_ v: some Encodable) throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try enc.encode(v), as: UTF8.self)
    }
}
