import GatewayCore

/// What of a case a console user may see, as the pages ask it: `ConsoleAccess`'s rules (sites,
/// insurers, roles) in the pages' terms, kept in this one place so no page asks anything else.
///
/// Insurers see a case only when their insurer is on it, and of it only their own insurer's row,
/// notes and webhook deliveries; handlers see the cases of their sites; admins every case.
public enum ConsolePageScope {
    /// `site`: the id of the case's site (nil: none).
    public static func mayView(_ user: ConsoleUser, _ c: CaseChange, site: String?) -> Bool {
        ConsoleAccess.mayView(user, insurers: c.insurers.map(\.id), site: site)
    }

    /// The insurer rows of a case the user may read.
    public static func visibleInsurers(_ user: ConsoleUser, _ insurers: [InsurerStatus]) -> [InsurerStatus] {
        ConsoleAccess.visibleInsurers(user, insurers)
    }

    /// The notes of a case the user may read: an insurer reads only its own insurer's.
    public static func visibleNotes(_ user: ConsoleUser, _ notes: [CaseNote]) -> [CaseNote] {
        ConsoleAccess.visibleNotes(user, notes)
    }

    /// The webhook deliveries of a case the user may read.
    public static func visibleDeliveries(_ user: ConsoleUser, _ records: [NotificationRecord]) -> [NotificationRecord] {
        guard user.role == .insurer else { return records }
        return records.filter { $0.insurer == user.insurer }
    }

    /// Whether the user may move the case itself (its state), rather than only its insurer's.
    public static func movesCases(_ user: ConsoleUser) -> Bool { ConsoleAccess.may(user, .moveCase) }

    /// Whether the user may turn a "similar" guidance link into configured guidance.
    public static func promotesGuidance(_ user: ConsoleUser) -> Bool { ConsoleAccess.may(user, .promoteGuidance) }

    /// Whether the user may see a terminal of site `site` (nil: none) on the terminals page: a
    /// handler those of its sites ("*": all), an admin all.
    public static func seesTerminal(_ user: ConsoleUser, site: String?) -> Bool {
        switch user.role {
        case .admin: true
        case .insurer: false
        case .handler: user.sites.contains("*") || site.map(user.sites.contains) ?? false
        }
    }

    /// Whether the user may see the terminals page (insurers have no business with the fleet).
    public static func seesTerminals(_ user: ConsoleUser) -> Bool { ConsoleAccess.may(user, .viewTerminals) }
}
