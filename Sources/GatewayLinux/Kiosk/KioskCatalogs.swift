import Foundation
import GatewayCore

/// The kiosk page's message catalogues, compiled into the binary from Kiosk/Resources
/// (kiosk.<language>.toml), read once.
public enum KioskCatalogs {
    /// Every language's catalogue; a catalogue that does not parse stops the process at its first
    /// use, which the catalogue tests make sure never reaches a release.
    public static let all: [UILanguage: MessageCatalog] = {
        var out: [UILanguage: MessageCatalog] = [:]
        for language in UILanguage.allCases {
            do {
                out[language] = try MessageCatalog(language: language, toml: source(language))
            } catch {
                fatalError("kiosk.\(language.rawValue).toml: \(error)")
            }
        }
        return out
    }()

    public static func catalog(_ language: UILanguage) -> MessageCatalog { all[language]! }

    /// The TOML text of a language's catalogue.
    public static func source(_ language: UILanguage) -> String {
        switch language {
        case .english: String(decoding: PackageResources.kiosk_en_toml, as: UTF8.self)
        case .simplifiedChinese: String(decoding: PackageResources.kiosk_zh_Hans_toml, as: UTF8.self)
        }
    }
}
