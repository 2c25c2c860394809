import GatewayCore

/// What of a case a console user may see, for the pages: kept in this one place so the pages
/// ask nothing else, and so it can give way to the console core's `ConsoleAccess` (the same
/// rules, with sites) without touching a page.
///
/// Insurers see a case only when their insurer is on it, and of it only their own insurer's row,
/// notes and webhook deliveries; handlers and admins see every case (handlers' sites narrow this
/// once the policy has sites).
public enum ConsolePageScope {
    public static func mayView(_ user: ConsoleUser, _ c: CaseChange) -> Bool {
        mayView(user, insurers: c.insurers.map(\.id))
    }

    public static func mayView(_ user: ConsoleUser, insurers: [String]) -> Bool {
        switch user.role {
        case .admin, .handler: true
        case .insurer: user.insurer.map { insurers.contains($0) } ?? false
        }
    }

    /// The insurer rows of a case the user may read.
    public static func visibleInsurers(_ user: ConsoleUser, _ insurers: [InsurerStatus]) -> [InsurerStatus] {
        guard user.role == .insurer else { return insurers }
        return insurers.filter { $0.id == user.insurer }
    }

    /// The notes of a case the user may read: an insurer reads the case's own notes and its
    /// insurer's, never another insurer's.
    public static func visibleNotes(_ user: ConsoleUser, _ notes: [CaseNote]) -> [CaseNote] {
        guard user.role == .insurer else { return notes }
        return notes.filter { $0.insurer == nil || $0.insurer == user.insurer }
    }

    /// The webhook deliveries of a case the user may read.
    public static func visibleDeliveries(_ user: ConsoleUser, _ records: [NotificationRecord]) -> [NotificationRecord] {
        guard user.role == .insurer else { return records }
        return records.filter { $0.insurer == user.insurer }
    }

    /// Whether the user may move the case itself (its state), rather than only its insurer's.
    public static func movesCases(_ user: ConsoleUser) -> Bool { user.role != .insurer }

    /// Whether the user may turn a "similar" guidance link into configured guidance.
    public static func promotesGuidance(_ user: ConsoleUser) -> Bool { user.role == .admin }

    /// Whether the user may see the terminals page (insurers have no business with the fleet).
    public static func seesTerminals(_ user: ConsoleUser) -> Bool { user.role != .insurer }
}
