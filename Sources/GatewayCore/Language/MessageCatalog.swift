import Foundation
import TOMLKit

/// The strings of a page in one language, read from a TOML catalogue: a table per part of the
/// page, a string per key (`[cases] title = "Cases"`), so every word a person reads is in one
/// file per language that a translator edits, and none is left in code. Keys are looked up as
/// "table.key". `{name}` in a string is a placeholder `format` fills.
public struct MessageCatalog: Sendable, Equatable {
    public let language: UILanguage
    /// Every string by its dotted key.
    public let strings: [String: String]

    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case syntax(String)
        case notAString(key: String)

        public var description: String {
            switch self {
            case .syntax(let m): "the message catalogue is not valid TOML: \(m)"
            case .notAString(let k): "the message catalogue's \(k) is not a string: quote it"
            }
        }
    }

    public init(language: UILanguage, toml: String) throws(LoadError) {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: toml)
        } catch {
            throw .syntax("\(error)")
        }
        var strings: [String: String] = [:]
        try Self.flatten(table, prefix: "", into: &strings)
        self.language = language
        self.strings = strings
    }

    public init(language: UILanguage, strings: [String: String]) {
        self.language = language
        self.strings = strings
    }

    private static func flatten(_ t: TOMLTable, prefix: String, into out: inout [String: String]) throws(LoadError) {
        for (k, v) in t {
            let key = prefix.isEmpty ? k : "\(prefix).\(k)"
            if let s = v.string {
                out[key] = s
            } else if let sub = v.table {
                try flatten(sub, prefix: key, into: &out)
            } else {
                throw .notAString(key: key)
            }
        }
    }

    /// One catalogue per language from `source` (a language's TOML text, e.g. a resource
    /// compiled into the binary). A catalogue that does not parse stops the process: the
    /// catalogue tests make sure none reaches a release. `name` says which in that message.
    public static func all(named name: String, source: (UILanguage) -> String) -> [UILanguage: MessageCatalog] {
        var out: [UILanguage: MessageCatalog] = [:]
        for language in UILanguage.allCases {
            do {
                out[language] = try MessageCatalog(language: language, toml: source(language))
            } catch {
                fatalError("\(name).\(language.rawValue).toml: \(error)")
            }
        }
        return out
    }

    /// The string for `key`; the key itself when the catalogue lacks it (the catalogue test
    /// makes sure both languages have every key, so a page never shows one).
    public subscript(_ key: String) -> String { strings[key] ?? key }

    /// The string for `key` with each `{name}` replaced by `values[name]`.
    public func format(_ key: String, _ values: [String: String]) -> String {
        var s = self[key]
        for (name, value) in values { s = s.replacingOccurrences(of: "{\(name)}", with: value) }
        return s
    }

    /// The catalogue as nested tables, for a template: `{{t.cases.title}}`.
    public var nested: [String: Any] {
        var root: [String: Any] = [:]
        for (key, value) in strings {
            Self.insert(value, at: key.split(separator: ".").map(String.init)[...], into: &root)
        }
        return root
    }

    private static func insert(_ value: String, at path: ArraySlice<String>, into d: inout [String: Any]) {
        guard let head = path.first else { return }
        if path.count == 1 {
            d[head] = value
        } else {
            var sub = d[head] as? [String: Any] ?? [:]
            insert(value, at: path.dropFirst(), into: &sub)
            d[head] = sub
        }
    }

    /// The keys one catalogue has and the other lacks, both ways: empty when they match.
    public func keysDiffering(from other: MessageCatalog) -> (missing: [String], extra: [String]) {
        let mine = Set(strings.keys)
        let theirs = Set(other.strings.keys)
        return (theirs.subtracting(mine).sorted(), mine.subtracting(theirs).sorted())
    }
}
