import Foundation

/// The case list's filters, as the page's form sends them (`?state=&site=&open=&q=`) and the
/// change feed receives them again, so a live row is shown under the same filters as the page.
public struct CaseListFilter: Sendable, Equatable {
    /// A case state (`CaseStates.ofCase`), or nil for every state.
    public var state: String?
    /// A site id, `ConsolePageSites.unassigned`, or nil for every site.
    public var site: String?
    /// Open (true), ended (false), or both (nil).
    public var open: Bool?
    /// Text the subject must contain (case-insensitive), or nil.
    public var text: String?

    public init(state: String? = nil, site: String? = nil, open: Bool? = nil, text: String? = nil) {
        self.state = state
        self.site = site
        self.open = open
        self.text = text
    }

    /// Reads the query's parameters; empty and unknown values filter nothing.
    public init(query: [String: String]) {
        func value(_ k: String) -> String? {
            guard let v = query[k]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        state = value("state").flatMap { CaseStates.ofCase.contains($0) ? $0 : nil }
        site = value("site")
        open =
            switch value("open") {
            case "open": true
            case "final": false
            default: nil
            }
        text = value("q").map { String($0.prefix(200)) }
    }

    /// The parameters that give this filter back (for the feed's URL and the form's values).
    public var query: [String: String] {
        var q: [String: String] = [:]
        if let state { q["state"] = state }
        if let site { q["site"] = site }
        if let open { q["open"] = open ? "open" : "final" }
        if let text { q["q"] = text }
        return q
    }

    /// Whether a case (of site `siteID`, nil when unassigned) passes.
    public func matches(_ c: CaseChange, siteID: String?) -> Bool {
        if let state, c.state != state { return false }
        if let site, site != (siteID ?? ConsolePageSites.unassigned) { return false }
        if let open, open == c.final { return false }
        if let text, !c.subject.localizedCaseInsensitiveContains(text) { return false }
        return true
    }
}
