/// One line of `case-server terminals`: what the store says of a terminal's enrollment and
/// revocation, the PEM directory whether it holds a file for it, and its heartbeats how it is.
/// Pure: the caller reads the three sources.
public struct TerminalRoster: Sendable, Equatable {
    public var device: String
    public var enrolledAtNanos: Int64?
    /// "token", "add" (the store), "directory" (a PEM file only), or "-" (heard from, but not
    /// registered now: removed, or revoked with no key).
    public var how: String
    public var revokedAtNanos: Int64?
    public var revokeReason: String?
    public var health: TerminalHealth?

    /// Overdue and not revoked: a revoked terminal is expected to fall silent.
    public var needsAttention: Bool { revokedAtNanos == nil && health?.overdue == true }

    public init(
        device: String,
        enrolledAtNanos: Int64? = nil,
        how: String,
        revokedAtNanos: Int64? = nil,
        revokeReason: String? = nil,
        health: TerminalHealth? = nil
    ) {
        self.device = device
        self.enrolledAtNanos = enrolledAtNanos
        self.how = how
        self.revokedAtNanos = revokedAtNanos
        self.revokeReason = revokeReason
        self.health = health
    }

    /// Every device any source names, by id. The store's enrollment wins over a PEM file, as
    /// in `DeviceKeyring`.
    public static func build(
        health: [TerminalHealth],
        records: [DeviceRecord],
        directoryDevices: Set<String>
    ) -> [TerminalRoster] {
        let byHealth = Dictionary(health.map { ($0.device, $0) }, uniquingKeysWith: { a, _ in a })
        let byRecord = Dictionary(records.map { ($0.device, $0) }, uniquingKeysWith: { a, _ in a })
        let ids = Set(byHealth.keys).union(byRecord.keys).union(directoryDevices)
        return ids.sorted().map { id in
            let r = byRecord[id]
            let stored = r.flatMap { r in r.keys.contains { $0.retiredAtNanos == nil } ? r.enrolledHow : nil }
            return TerminalRoster(
                device: id,
                enrolledAtNanos: stored == nil ? nil : r?.enrolledAtNanos,
                how: stored ?? (directoryDevices.contains(id) ? "directory" : "-"),
                revokedAtNanos: r?.revokedAtNanos,
                revokeReason: r?.revokeReason,
                health: byHealth[id]
            )
        }
    }
}
