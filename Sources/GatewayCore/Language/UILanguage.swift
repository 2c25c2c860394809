import Foundation

/// A language the pages people read are written in: the kiosk page (`[kiosk] language`) and the
/// console (each user's own). English and Simplified Chinese, the languages of the deployments
/// this serves; a page takes every string from the catalogue of its language (`MessageCatalog`).
public enum UILanguage: String, Sendable, CaseIterable, Codable {
    case english = "en"
    case simplifiedChinese = "zh-Hans"

    /// Reads a language tag as people write it: "en", "en-GB", "zh", "zh-CN", "zh-Hans", "zh_Hans_CN"
    /// (case-insensitive). Nil for any other language, so a caller can say which ones exist.
    public init?(tag: String) {
        let t = tag.lowercased().replacingOccurrences(of: "_", with: "-")
        if t == "en" || t.hasPrefix("en-") {
            self = .english
        } else if t == "zh" || t == "zh-cn" || t == "zh-sg" || t.hasPrefix("zh-hans") {
            self = .simplifiedChinese
        } else {
            return nil
        }
    }

    /// The tags `init(tag:)` takes, for error messages.
    public static let accepted = "\"en\" or \"zh-Hans\""

    /// The ICU locale dates and times are written in: day-month-year English as in the UK and
    /// Chinese as on the mainland.
    public var locale: Locale {
        switch self {
        case .english: Locale(identifier: "en_GB")
        case .simplifiedChinese: Locale(identifier: "zh_Hans_CN")
        }
    }

    /// A moment as a person of this language writes it, to the second, in `timeZone`:
    /// "7 Dec 2026 at 09:05:31" or "2026年12月7日 09:05:31".
    public func dateTime(_ date: Date, timeZone: TimeZone) -> String {
        let f = DateFormatter()
        f.locale = locale
        f.timeZone = timeZone
        f.setLocalizedDateFormatFromTemplate("yMMMdHHmmss")
        return f.string(from: date)
    }

    /// A time of day, to the second, in `timeZone`: "09:05:31".
    public func time(_ date: Date, timeZone: TimeZone) -> String {
        let f = DateFormatter()
        f.locale = locale
        f.timeZone = timeZone
        f.setLocalizedDateFormatFromTemplate("HHmmss")
        return f.string(from: date)
    }
}
