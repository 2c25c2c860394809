import Foundation
import GatewayCore

/// The words and times the pages write, each from the user's catalogue and in the user's
/// time zone: one place, so every page says a state or an age the same way.
enum ConsolePageText {
    /// A case state's label (`states.<state>`); the state itself when the catalogue has none (a
    /// state a newer server wrote).
    static func caseState(_ state: String, _ t: MessageCatalog) -> String { label("states.\(state)", state, t) }

    /// An insurer state's label (`insurer_states.<state>`).
    static func insurerState(_ state: String, _ t: MessageCatalog) -> String {
        label("insurer_states.\(state)", state, t)
    }

    static func label(_ key: String, _ fallback: String, _ t: MessageCatalog) -> String {
        t.strings[key] ?? fallback
    }

    static func dateTime(_ nanos: Int64, _ user: ConsoleUser) -> String {
        user.language.dateTime(Date(timeIntervalSince1970: Double(nanos) / 1e9), timeZone: user.timeZone)
    }

    /// An RFC 3339 stamp as `dateTime` writes it; the stamp itself when it does not parse.
    static func dateTime(_ rfc3339: String, _ user: ConsoleUser) -> String {
        RFC3339.parseUnixNanos(rfc3339).map { dateTime($0, user) } ?? rfc3339
    }

    /// How long ago, in the largest whole unit: "4 min", "3 h", "2 d".
    static func age(_ nanos: Int64, now: Int64, _ t: MessageCatalog) -> String {
        let s = max(0, (now - nanos) / 1_000_000_000)
        if s < 60 { return t.format("pages.age_seconds", ["n": String(s)]) }
        if s < 3600 { return t.format("pages.age_minutes", ["n": String(s / 60)]) }
        if s < 86400 { return t.format("pages.age_hours", ["n": String(s / 3600)]) }
        return t.format("pages.age_days", ["n": String(s / 86400)])
    }

    /// An object as the pages show it: schema and subject, as redaction left them.
    static func object(schema: String?, subject: String?, _ t: MessageCatalog) -> String {
        let s = (schema ?? "").isEmpty ? t["pages.no_schema"] : schema!
        return "\(s) · \(subject ?? "")"
    }
}
