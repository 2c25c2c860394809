import GatewayCore

/// Text and numbers for the SVG the renderers write: text escaped (`MarkupText`), the renderers'
/// only way to put a word or a value in their output, so nothing a terminal or a person wrote
/// becomes markup; numbers as SVG reads them in any locale.
enum SVGText {
    static func escape(_ s: String) -> String { MarkupText.escape(s) }

    /// A coordinate with one decimal, as SVG reads it in any locale.
    static func n(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}
