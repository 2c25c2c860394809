/// Which `Host` the kiosk answers: an IP address or `localhost`, with any port, never another
/// name. A page of another site whose name is made to resolve to this terminal's address (DNS
/// rebinding) sends its own name as `Host`: refusing it keeps that page from reading the
/// kiosk's state or posting a reply, which the browser would otherwise allow as same-origin.
enum KioskHost {
    static func isDirect(_ host: String?) -> Bool {
        guard let host, !host.isEmpty else { return true }  // HTTP/1.0 names none; a browser always does
        var name = Substring(host)
        if name.hasPrefix("[") {
            // [IPv6] or [IPv6]:port
            guard let close = name.firstIndex(of: "]") else { return false }
            let rest = name[name.index(after: close)...]
            guard rest.isEmpty || (rest.first == ":" && isPort(rest.dropFirst())) else { return false }
            return name[name.index(after: name.startIndex)..<close].allSatisfy {
                $0.isHexDigit || $0 == ":" || $0 == "."
            }
        }
        if let colon = name.lastIndex(of: ":") {
            guard isPort(name[name.index(after: colon)...]) else { return false }
            name = name[..<colon]
        }
        if name.lowercased() == "localhost" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCIIDigit) && Int(p)! <= 255 }
    }

    private static func isPort(_ s: Substring) -> Bool { !s.isEmpty && s.count <= 5 && s.allSatisfy(\.isASCIIDigit) }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
