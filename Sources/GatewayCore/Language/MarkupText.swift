/// Escapes text for HTML and XML (SVG) text and attribute values: how the pages put a word
/// or a value into markup they build themselves, so nothing a terminal or a person wrote
/// becomes markup.
public enum MarkupText {
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
