import Foundation
import Hummingbird

/// A console form as posted (`application/x-www-form-urlencoded`): field values by name, the
/// first of each name. The body is read once, up to `maxBytes`; the request keeps it, so the
/// CSRF check and the route both read it.
public struct ConsoleForm: Sendable {
    public static let maxBytes = 64 << 10
    public var fields: [String: String]

    public init(_ text: String) {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            guard out[name] == nil else { continue }
            out[name] = parts.count > 1 ? Self.decode(parts[1]) : ""
        }
        fields = out
    }

    /// Reads `request`'s body as a form (empty for another content type).
    public static func read(_ request: inout Request) async throws -> ConsoleForm {
        let type = request.headers[.contentType] ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else { return ConsoleForm("") }
        let body = try await request.collectBody(upTo: maxBytes)
        return ConsoleForm(String(decoding: body.readableBytesView, as: UTF8.self))
    }

    public subscript(_ name: String) -> String? { fields[name] }

    private static func decode(_ s: Substring) -> String {
        let plus = s.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }
}
