import Foundation
import GatewayCore

/// The person a console request is made by, as their session resolved them: what the pages
/// need to scope what they show and to speak the person's language.
public struct ConsoleUser: Sendable, Equatable {
    /// The account's login name (unique).
    public var name: String
    public var role: ConsoleRole
    /// A handler's sites (`[[site]] id` in the policy); "*" is every site.
    public var sites: [String]
    /// An insurer account's insurer (`[[insurer]] id` in the policy).
    public var insurer: String?
    public var language: UILanguage
    /// Where dates and times on the pages are written for.
    public var timeZone: TimeZone

    public init(
        name: String,
        role: ConsoleRole,
        sites: [String] = [],
        insurer: String? = nil,
        language: UILanguage = .english,
        timeZone: TimeZone = TimeZone(identifier: "UTC")!
    ) {
        self.name = name
        self.role = role
        self.sites = sites
        self.insurer = insurer
        self.language = language
        self.timeZone = timeZone
    }

    /// The message catalogue of the user's language.
    public var catalog: MessageCatalog { ConsoleCatalogs.catalog(language) }
}
