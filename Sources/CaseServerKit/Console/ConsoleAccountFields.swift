import Foundation
import GatewayCore

/// A new account's settings as a person typed them (`case-server users add` or the accounts
/// page), checked in one place so both refuse the same things.
public struct ConsoleAccountFields: Sendable {
    public var role: String
    /// Site ids separated by commas (or given one by one); "*" is every site.
    public var sites: String
    public var insurer: String
    public var language: String
    public var timeZone: String

    public init(
        role: String,
        sites: String = "",
        insurer: String = "",
        language: String = "en",
        timeZone: String = "UTC"
    ) {
        self.role = role
        self.sites = sites
        self.insurer = insurer
        self.language = language
        self.timeZone = timeZone
    }

    /// Why the fields do not make an account: `description` for the command line,
    /// `catalogKey` for the console.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case name(String)
        case role(String)
        case site(String)
        case insurerMissing
        case insurerNotForRole
        case insurer(String)
        case language(String)
        case timeZone(String)

        public var description: String {
            switch self {
            case .name(let n): ConsoleDirectoryError.invalidName(n).description
            case .role(let r): "'\(r)' is not a role: use handler, insurer or admin"
            case .site(let s): "'\(s)' is not a site id: use the [[site]] ids of the policy, or * for every site"
            case .insurerMissing: "an insurer account needs --insurer ID (an [[insurer]] id of the policy)"
            case .insurerNotForRole: "--insurer is for insurer accounts only"
            case .insurer(let i): "'\(i)' is not an insurer id (letters, digits, '.', '_', '-')"
            case .language(let l): "'\(l)' is not a console language: use \(UILanguage.accepted)"
            case .timeZone(let z): "'\(z)' is not a time zone: use an IANA name such as Asia/Shanghai or UTC"
            }
        }

        public var catalogKey: String {
            switch self {
            case .name: "accounts.error_name"
            case .role: "accounts.error_role"
            case .site: "accounts.error_site"
            case .insurerMissing, .insurerNotForRole, .insurer: "accounts.error_insurer"
            case .language: "accounts.error_language"
            case .timeZone: "accounts.error_time_zone"
            }
        }
    }

    /// The account these fields describe (not yet stored; enabled, no failures).
    public func account(name: String, passwordHash: String) throws(Problem) -> ConsoleAccount {
        guard ConsoleAccount.isValidName(name) else { throw .name(name) }
        guard let role = ConsoleRole(rawValue: role) else { throw .role(role) }
        let siteList = sites.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
        for s in siteList where s != "*" && !GatewayConfig.isValidID(s) { throw .site(s) }
        let insurer = insurer.trimmingCharacters(in: .whitespaces)
        switch role {
        case .insurer:
            guard !insurer.isEmpty else { throw .insurerMissing }
            guard GatewayConfig.isValidID(insurer) else { throw .insurer(insurer) }
        case .handler, .admin:
            guard insurer.isEmpty else { throw .insurerNotForRole }
        }
        guard let language = UILanguage(tag: language) else { throw .language(language) }
        guard TimeZone(identifier: timeZone) != nil else { throw .timeZone(timeZone) }
        return ConsoleAccount(
            name: name,
            passwordHash: passwordHash,
            role: role,
            sites: siteList,
            insurer: insurer.isEmpty ? nil : insurer,
            language: language.rawValue,
            timeZone: timeZone
        )
    }
}

extension ConsoleAccount {
    /// What the audit log says of a new account (no secret in it).
    public var auditDetail: String {
        var parts = ["role=\(role.rawValue)"]
        if !sites.isEmpty { parts.append("sites=\(sites.joined(separator: ","))") }
        if let insurer { parts.append("insurer=\(insurer)") }
        parts.append("language=\(language)")
        parts.append("time_zone=\(timeZone)")
        return parts.joined(separator: " ")
    }
}
