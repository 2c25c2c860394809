import TOMLKit

/// Reads one TOML table key by key, remembering which keys it read, so that every error names
/// the full key path (`reader[2].baud`) and a misspelt key is reported instead of ignored.
public final class ConfigSection {
    public let path: String
    private let table: TOMLTable
    private var read: Set<String> = []

    init(_ table: TOMLTable, path: String) {
        self.table = table
        self.path = path
    }

    /// The top table of a TOML document; a syntax error names its line and column.
    public static func parse(_ text: String) throws(ConfigError) -> ConfigSection {
        do {
            return ConfigSection(try TOMLTable(string: text), path: "")
        } catch let e as TOMLParseError {
            throw .syntax(line: e.source.begin.line, column: e.source.begin.column, message: e.description)
        } catch {
            throw .syntax(line: 0, column: 0, message: "\(error)")
        }
    }

    public func key(_ k: String) -> String { path.isEmpty ? k : "\(path).\(k)" }

    private func value(_ k: String) -> TOMLValueConvertible? {
        read.insert(k)
        return table[k]
    }

    public func string(_ k: String) throws(ConfigError) -> String? {
        guard let v = value(k) else { return nil }
        guard let s = v.string else {
            throw .invalid(
                key: key(k),
                problem: "expected a string, found \(v.type)",
                fix: "quote the value, e.g. \(k) = \"...\""
            )
        }
        return s
    }

    public func string(_ k: String, default d: String) throws(ConfigError) -> String {
        try string(k) ?? d
    }

    public func requiredString(_ k: String, example: String) throws(ConfigError) -> String {
        guard let s = try string(k), !s.isEmpty else {
            throw .invalid(key: key(k), problem: "missing", fix: "set it, e.g. \(k) = \"\(example)\"")
        }
        return s
    }

    /// An id that travels in envelopes, file names and metrics labels: kept to a safe alphabet.
    public func id(_ k: String, example: String) throws(ConfigError) -> String {
        let id = try requiredString(k, example: example)
        guard GatewayConfig.isValidID(id) else {
            throw .invalid(
                key: key(k),
                problem: "'\(id)' has characters other than letters, digits, '.', '_' and '-' or is longer than 64",
                fix: "use e.g. \(k) = \"\(example)\""
            )
        }
        return id
    }

    /// A file path, relative ones taken from `directory` (the config file's); "-" is stdin.
    public func filePath(_ k: String, relativeTo directory: String) throws(ConfigError) -> String? {
        try string(k).map { Self.resolve($0, relativeTo: directory) }
    }

    public func filePath(_ k: String, default d: String, relativeTo directory: String) throws(ConfigError) -> String {
        Self.resolve(try string(k, default: d), relativeTo: directory)
    }

    static func resolve(_ p: String, relativeTo directory: String) -> String {
        p.hasPrefix("/") || p == "-" ? p : (directory.hasSuffix("/") ? directory : directory + "/") + p
    }

    /// `k = "host:port"` by `HostPort`'s rules.
    /// - Parameter fix: what to write instead, e.g. the default address.
    public func hostPort(
        _ k: String,
        default d: HostPort,
        rules: HostPort.Rules = .init(),
        fix: String
    ) throws(ConfigError) -> HostPort {
        guard let text = try string(k) else { return d }
        do {
            return try HostPort.parse(text, rules: rules)
        } catch {
            let what = rules.loopbackOnly ? "a loopback host:port" : "host:port"
            throw .invalid(key: key(k), problem: "'\(text)' is not \(what)", fix: fix)
        }
    }

    /// `k = "host:port"`, or "off" (nil) for a feature that can be turned off.
    public func hostPortOrOff(
        _ k: String,
        default d: HostPort,
        rules: HostPort.Rules = .init(),
        fix: String
    ) throws(ConfigError) -> HostPort? {
        if try string(k) == "off" { return nil }
        return try hostPort(k, default: d, rules: rules, fix: fix)
    }

    public func int(_ k: String, default d: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let v = value(k) else { return d }
        guard let i = v.int else {
            throw .invalid(
                key: key(k),
                problem: "expected an integer, found \(v.type)",
                fix: "write a whole number in \(range.lowerBound)...\(range.upperBound)"
            )
        }
        guard range.contains(i) else {
            throw .invalid(
                key: key(k),
                problem: "\(i) is out of range",
                fix: "use a value in \(range.lowerBound)...\(range.upperBound)"
            )
        }
        return i
    }

    public func bool(_ k: String, default d: Bool) throws(ConfigError) -> Bool {
        guard let v = value(k) else { return d }
        guard let b = v.bool else {
            throw .invalid(
                key: key(k),
                problem: "expected true or false, found \(v.type)",
                fix: "write \(k) = true or \(k) = false"
            )
        }
        return b
    }

    public func stringArray(_ k: String) throws(ConfigError) -> [String]? {
        guard let v = value(k) else { return nil }
        guard let a = v.array, let strings = Optional(a.compactMap(\.string)), strings.count == a.count else {
            throw .invalid(
                key: key(k),
                problem: "expected an array of strings, found \(v.type)",
                fix: "write it as \(k) = [\"...\", \"...\"]"
            )
        }
        return strings
    }

    public func double(_ k: String) throws(ConfigError) -> Double? {
        guard let v = value(k) else { return nil }
        if let d = v.double { return d }
        if let i = v.int { return Double(i) }
        throw .invalid(
            key: key(k),
            problem: "expected a number, found \(v.type)",
            fix: "write a number, e.g. \(k) = 31.2304"
        )
    }

    /// `[[lat, lon], ...]`.
    public func pairs(_ k: String) throws(ConfigError) -> [[Double]]? {
        guard let v = value(k) else { return nil }
        guard let outer = v.array else {
            throw .invalid(
                key: key(k),
                problem: "expected an array of [lat, lon] pairs, found \(v.type)",
                fix: "write \(k) = [[31.23, 121.47], [31.24, 121.47], ...]"
            )
        }
        var out: [[Double]] = []
        for item in outer {
            guard let a = item.array, a.count == 2 else {
                throw .invalid(
                    key: key(k),
                    problem: "every point must be [lat, lon]",
                    fix: "write \(k) = [[31.23, 121.47], [31.24, 121.47], ...]"
                )
            }
            var p: [Double] = []
            for x in a {
                if let d = x.double {
                    p.append(d)
                } else if let i = x.int {
                    p.append(Double(i))
                } else {
                    throw .invalid(
                        key: key(k),
                        problem: "a coordinate is not a number",
                        fix: "write degrees as numbers"
                    )
                }
            }
            out.append(p)
        }
        return out
    }

    public func table(_ k: String) throws(ConfigError) -> ConfigSection? {
        guard let v = value(k) else { return nil }
        guard let t = v.table else {
            throw .invalid(key: key(k), problem: "expected a table, found \(v.type)", fix: "write it as [\(key(k))]")
        }
        return ConfigSection(t, path: key(k))
    }

    public func tableArray(_ k: String) throws(ConfigError) -> [ConfigSection] {
        guard let v = value(k) else { return [] }
        guard let a = v.array else {
            throw .invalid(
                key: key(k),
                problem: "expected an array of tables, found \(v.type)",
                fix: "write each entry as [[\(k)]]"
            )
        }
        var out: [ConfigSection] = []
        for (i, element) in a.enumerated() {
            guard let t = element.table else {
                throw .invalid(
                    key: "\(key(k))[\(i)]",
                    problem: "expected a table, found \(element.type)",
                    fix: "write each entry as [[\(k)]]"
                )
            }
            out.append(ConfigSection(t, path: "\(key(k))[\(i)]"))
        }
        return out
    }

    /// Throws for any key that was never read.
    public func finish() throws(ConfigError) {
        for k in table.keys where !read.contains(k) {
            throw .unknownKey(key: key(k), known: read.sorted())
        }
    }
}
