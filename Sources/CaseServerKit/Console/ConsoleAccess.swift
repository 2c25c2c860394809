import GatewayCore

/// What a console user may see and do (docs/console.md, "Roles"); pure, so every page and
/// answer about a case asks the same questions and the tests answer them without a server.
///
/// - handler: the cases of its sites ("*": every site, and the cases of no site); every
///   insurer's row and every note; moves cases, writes notes, messages the terminal.
/// - insurer: only cases its insurer is on, and of those only its own insurer's row and notes
///   (never another insurer's, nor the desk's); it may change its own insurer's state and add
///   notes under it, nothing else.
/// - admin: everything, and the accounts and the audit log.
///
/// A case the user may not view is answered 404 (references cannot be probed); an action the
/// user's role may not do on a case it may view is answered 403.
public enum ConsoleAccess {
    /// What a user may do besides reading.
    public enum Action: Sendable, Equatable {
        /// Change a case's own state.
        case moveCase
        /// Change one insurer's state on a case.
        case moveInsurer(String)
        /// Write a note; `insurer`: under that insurer (nil: the desk's own).
        case addNote(insurer: String?)
        /// Send a question or instruction to the case's terminal.
        case messageTerminal
        /// See the terminals' health page.
        case viewTerminals
        /// Make a "similar" guidance link configured guidance.
        case promoteGuidance
        /// Accounts and the audit log.
        case administer
    }

    /// Whether `user` may see a case whose insurers are `insurers` (ids) and whose site is
    /// `site` (nil or `CaseSite.unassigned`: no site).
    public static func mayView(_ user: ConsoleUser, insurers: [String], site: String?) -> Bool {
        switch user.role {
        case .admin: return true
        case .handler:
            if user.sites.contains("*") { return true }
            guard let site, site != CaseSite.unassigned else { return false }
            return user.sites.contains(site)
        case .insurer:
            guard let own = user.insurer else { return false }
            return insurers.contains(own)
        }
    }

    /// `mayView` for a case as the case list has it.
    public static func mayView(_ user: ConsoleUser, _ c: CaseSummary, site: String?) -> Bool {
        mayView(user, insurers: c.insurers.map(\.id), site: site)
    }

    /// The insurer rows of a case `user` may see: an insurer's own only.
    public static func visibleInsurers(_ user: ConsoleUser, _ rows: [InsurerStatus]) -> [InsurerStatus] {
        guard user.role == .insurer else { return rows }
        return rows.filter { $0.id == user.insurer }
    }

    /// The notes of a case `user` may see: an insurer's own only.
    public static func visibleNotes(_ user: ConsoleUser, _ notes: [CaseNote]) -> [CaseNote] {
        guard user.role == .insurer else { return notes }
        return notes.filter { $0.insurer != nil && $0.insurer == user.insurer }
    }

    /// Whether `user`'s role allows `action` (on a case it may view).
    public static func may(_ user: ConsoleUser, _ action: Action) -> Bool {
        switch (user.role, action) {
        case (.admin, _): return true
        case (.handler, .promoteGuidance), (.handler, .administer): return false
        case (.handler, _): return true
        case (.insurer, .moveInsurer(let id)): return user.insurer != nil && id == user.insurer
        case (.insurer, .addNote(let id)): return user.insurer != nil && id == user.insurer
        case (.insurer, _): return false
        }
    }
}
