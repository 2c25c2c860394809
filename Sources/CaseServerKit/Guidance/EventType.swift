import GatewayCore

/// The type of an event, as guidance is chosen by: the tag's class, the label schema that
/// matched it and whether an operator was signed in at the terminal. Written
/// `class=subject schema=acme scanner=operator` (schema `-` when none matched).
public struct EventType: Hashable, Sendable, CustomStringConvertible {
    public enum Scanner: String, Sendable, CaseIterable {
        case operatorSignedIn = "operator"
        /// Nobody was signed in (or the terminal tracks no sessions): a bystander, perhaps.
        case unidentified
    }

    public var kind: TagClass
    /// nil when no schema matched.
    public var schema: String?
    public var scanner: Scanner

    public init(kind: TagClass, schema: String?, scanner: Scanner) {
        self.kind = kind
        self.schema = schema
        self.scanner = scanner
    }

    /// The type of a stored event, from its header.
    public init(header: EventHeader) {
        kind = header.tag?.kind ?? .unknown
        schema = header.tag?.schema
        scanner = header.operatorID != nil ? .operatorSignedIn : .unidentified
    }

    public var description: String { "class=\(kind.rawValue) schema=\(schema ?? "-") scanner=\(scanner.rawValue)" }

    /// Parses `description`'s form (the order of the three is free).
    public init?(_ text: String) {
        var kind: TagClass?
        var schema: String??
        var scanner: Scanner?
        for part in text.split(separator: " ") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { return nil }
            switch kv[0] {
            case "class": kind = TagClass(rawValue: kv[1])
            case "schema": schema = .some(kv[1] == "-" ? nil : kv[1])
            case "scanner": scanner = Scanner(rawValue: kv[1])
            default: return nil
            }
        }
        guard let kind, let schema, let scanner else { return nil }
        self.init(kind: kind, schema: schema, scanner: scanner)
    }

    /// How alike two types are: the attributes they share, weighted so that a shared class
    /// counts more than a shared schema, and a schema more than the scanner (4, 2, 1) — between
    /// two types that share as many attributes, the one sharing the weightier ones is nearer.
    public func similarity(to other: EventType) -> Int {
        (kind == other.kind ? 4 : 0) + (schema == other.schema ? 2 : 0) + (scanner == other.scanner ? 1 : 0)
    }

    /// How many attributes two types share (0…3).
    public func shared(with other: EventType) -> [String] {
        [
            kind == other.kind ? "class" : nil, schema == other.schema ? "schema" : nil,
            scanner == other.scanner ? "scanner" : nil,
        ].compactMap { $0 }
    }
}
