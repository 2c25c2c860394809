/// How an account's sites are kept in one column: ids joined by ',' (ids hold no comma).
enum ConsoleSites {
    static func join(_ sites: [String]) -> String { sites.joined(separator: ",") }
    static func split(_ text: String) -> [String] { text.split(separator: ",").map(String.init) }
}
