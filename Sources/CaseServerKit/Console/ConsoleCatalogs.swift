import Foundation
import GatewayCore

/// The console's message catalogues, compiled into the binary from Console/Resources
/// (console.<language>.toml), read once.
public enum ConsoleCatalogs {
    /// Every language's catalogue (`MessageCatalog.all`).
    public static let all = MessageCatalog.all(named: "console", source: source)

    public static func catalog(_ language: UILanguage) -> MessageCatalog { all[language]! }

    /// The TOML text of a language's catalogue.
    public static func source(_ language: UILanguage) -> String {
        switch language {
        case .english: String(decoding: PackageResources.console_en_toml, as: UTF8.self)
        case .simplifiedChinese: String(decoding: PackageResources.console_zh_Hans_toml, as: UTF8.self)
        }
    }
}
