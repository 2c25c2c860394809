import Foundation
import GatewayCore

/// The kiosk page's message catalogues, compiled into the binary from Kiosk/Resources
/// (kiosk.<language>.toml), read once.
public enum KioskCatalogs {
    /// Every language's catalogue (`MessageCatalog.all`).
    public static let all = MessageCatalog.all(named: "kiosk", source: source)

    public static func catalog(_ language: UILanguage) -> MessageCatalog { all[language]! }

    /// The TOML text of a language's catalogue.
    public static func source(_ language: UILanguage) -> String {
        switch language {
        case .english: String(decoding: PackageResources.kiosk_en_toml, as: UTF8.self)
        case .simplifiedChinese: String(decoding: PackageResources.kiosk_zh_Hans_toml, as: UTF8.self)
        }
    }
}
