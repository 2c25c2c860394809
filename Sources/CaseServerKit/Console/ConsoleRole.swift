/// What a console account may do (docs/console.md):
/// - `handler`: works every case of its sites (moves cases, writes notes, talks with the person
///   on site);
/// - `insurer`: sees only the cases its insurer covers, and of those only its own state and
///   notes — another insurer's stay hidden;
/// - `admin`: accounts, devices and policy.
public enum ConsoleRole: String, Sendable, Codable, CaseIterable {
    case handler
    case insurer
    case admin
}
