import GatewayCore

/// The notes the server writes itself, in one place: their English text, which the store
/// keeps (and the CLI shows), and their form and values, which pages in another language say
/// in their own words (`CaseNote.form`, `args`; the kiosk and console catalogues' `notes`).
public enum CaseNoteForm {
    /// "opened by a scan at DEVICE", and "; no insurer on record for this object" when none.
    public static func opened(device: String, insured: Bool) -> String {
        "opened by a scan at \(device)" + (insured ? "" : noInsurer)
    }

    /// "scanned again at DEVICE".
    public static func scannedAgain(device: String) -> String { "scanned again at \(device)" }

    /// "NAME notified", an insurer's note.
    public static func notified(insurerName: String) -> String { "\(insurerName) notified" }

    static let noInsurer = "; no insurer on record for this object"

    /// `note` with its form and values when it is one of the server's own; as it is otherwise.
    public static func recognize(_ note: CaseNote) -> CaseNote {
        var n = note
        let t = note.text
        func after(_ prefix: String, _ suffix: String = "") -> String? {
            guard t.hasPrefix(prefix), t.hasSuffix(suffix), t.count > prefix.count + suffix.count else { return nil }
            let value = String(t.dropFirst(prefix.count).dropLast(suffix.count))
            return value.contains(";") ? nil : value
        }
        if note.insurer == nil, let device = after("opened by a scan at ", noInsurer) {
            (n.form, n.args) = ("opened_no_insurer", ["device": device])
        } else if note.insurer == nil, let device = after("opened by a scan at ") {
            (n.form, n.args) = ("opened", ["device": device])
        } else if note.insurer == nil, let device = after("scanned again at ") {
            (n.form, n.args) = ("scanned_again", ["device": device])
        } else if note.insurer != nil, note.state == "notified", let name = after("", " notified") {
            (n.form, n.args) = ("insurer_notified", ["insurer": name])
        }
        return n
    }

    /// Every note of `status` recognized.
    public static func recognize(_ status: CaseStatus) -> CaseStatus {
        var s = status
        s.notes = s.notes.map(recognize)
        return s
    }
}
