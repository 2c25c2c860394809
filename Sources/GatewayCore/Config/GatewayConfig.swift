import TOMLKit

/// gatewayd's configuration (TOML), validated completely at start so that a terminal with a
/// broken file fails at once with a message naming the key, not later at the first scan.
///
/// Relative paths are resolved against the directory of the config file.
/// `docs/configuration.md` documents every key; `gatewayd.example.toml` is a commented sample.
public struct GatewayConfig: Sendable, Equatable {
    public static let defaultPath = "/etc/gatewayd/gatewayd.toml"

    public struct Device: Sendable, Equatable {
        /// The id this terminal is registered under at the case server.
        public var id: String
        /// PKCS#8 PEM of this terminal's X25519 key; mode 0600, owned by the service user.
        public var privateKeyPath: String
    }

    public struct Server: Sendable, Equatable {
        /// Base URL; must be https.
        public var url: String
        /// SubjectPublicKeyInfo PEM of the case server's X25519 key.
        public var publicKeyPath: String
        /// Overrides the key id derived from the public key.
        public var keyID: String?
        /// PEM bundle of the CAs to trust for the server's TLS certificate; nil = system store.
        public var caPath: String?
    }

    public struct Spool: Sendable, Equatable {
        public var path: String
    }

    public struct Forward: Sendable, Equatable {
        public var batchMax: Int
        public var backoffBase: Duration
        public var backoffCap: Duration
        public var connectTimeout: Duration
        public var requestTimeout: Duration
    }

    public struct Reader: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// A FIFO, a pipe or stdin (`-`): one line is one scan.
            case line(path: String)
            /// A tty (USB CDC-ACM, FTDI, …) in raw mode at `baud`: one line is one scan.
            case serial(path: String, baud: Int)
        }
        public var id: String
        public var kind: Kind
        public var maxLine: Int

        public init(id: String, kind: Kind, maxLine: Int) {
            self.id = id
            self.kind = kind
            self.maxLine = maxLine
        }
    }

    public struct Schema: Sendable, Equatable {
        public var name: String
        public var pattern: String
        public var kind: TagClass
        public var subjectGroup: String
    }

    public var device: Device
    public var server: Server
    public var spool: Spool
    public var forward: Forward
    public var readers: [Reader]
    public var schemas: [Schema]

    public static let supportedBauds: [Int] = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600]

    /// - Parameter directory: where the file lives, for relative paths.
    public static func parse(toml text: String, directory: String) throws(ConfigError) -> GatewayConfig {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw .syntax(line: e.source.begin.line, column: e.source.begin.column, message: e.description)
        } catch {
            throw .syntax(line: 0, column: 0, message: "\(error)")
        }
        let top = ConfigSection(root, path: "")
        func resolve(_ p: String) -> String {
            p.hasPrefix("/") || p == "-" ? p : (directory.hasSuffix("/") ? directory : directory + "/") + p
        }

        guard let dev = try top.table("device") else {
            throw .invalid(key: "device", problem: "missing", fix: "add a [device] table with id = \"...\"")
        }
        let device = Device(
            id: try validID(dev, "id", example: "terminal-0001"),
            privateKeyPath: resolve(try dev.string("private_key", default: "/var/lib/gatewayd/device.key")))
        try dev.finish()

        guard let srv = try top.table("server") else {
            throw .invalid(key: "server", problem: "missing", fix: "add a [server] table with url = \"https://...\"")
        }
        let url = try srv.requiredString("url", example: "https://cases.example.net")
        guard url.lowercased().hasPrefix("https://") else {
            throw .invalid(key: srv.key("url"), problem: "'\(url)' is not an https URL", fix: "scans leave the terminal only over TLS: use https://")
        }
        let server = Server(
            url: url.hasSuffix("/") ? String(url.dropLast()) : url,
            publicKeyPath: resolve(try srv.string("public_key", default: "/etc/gatewayd/server.pub")),
            keyID: try srv.string("key_id"),
            caPath: try srv.string("ca").map(resolve))
        try srv.finish()

        var spool = Spool(path: "/var/lib/gatewayd/spool.db")
        if let sp = try top.table("spool") {
            spool.path = resolve(try sp.string("path", default: spool.path))
            try sp.finish()
        }

        var forward = Forward(batchMax: 100, backoffBase: .milliseconds(500), backoffCap: .seconds(60),
                              connectTimeout: .seconds(5), requestTimeout: .seconds(30))
        if let fw = try top.table("forward") {
            forward.batchMax = try fw.int("batch_max", default: 100, range: 1...10_000)
            let base = try fw.int("backoff_base_ms", default: 500, range: 1...600_000)
            let cap = try fw.int("backoff_cap_ms", default: 60_000, range: 1...3_600_000)
            guard cap >= base else {
                throw .invalid(key: fw.key("backoff_cap_ms"), problem: "smaller than backoff_base_ms", fix: "make the cap at least the base")
            }
            forward.backoffBase = .milliseconds(base)
            forward.backoffCap = .milliseconds(cap)
            forward.connectTimeout = .milliseconds(try fw.int("connect_timeout_ms", default: 5_000, range: 100...600_000))
            forward.requestTimeout = .milliseconds(try fw.int("request_timeout_ms", default: 30_000, range: 100...3_600_000))
            try fw.finish()
        }

        var readers: [Reader] = []
        var readerIDs = Set<String>()
        for r in try top.tableArray("reader") {
            let id = try validID(r, "id", example: "wedge0")
            guard readerIDs.insert(id).inserted else {
                throw .invalid(key: r.key("id"), problem: "'\(id)' is used by another reader", fix: "give every [[reader]] its own id")
            }
            let kindName = try r.requiredString("kind", example: "serial")
            let path = resolve(try r.requiredString("path", example: "/dev/ttyACM0"))
            let kind: Reader.Kind
            switch kindName {
            case "line":
                kind = .line(path: path)
            case "serial":
                let baud = try r.int("baud", default: 9600, range: 50...4_000_000)
                guard supportedBauds.contains(baud) else {
                    throw .invalid(key: r.key("baud"), problem: "\(baud) is not a standard rate", fix: "use one of \(supportedBauds.map(String.init).joined(separator: ", "))")
                }
                kind = .serial(path: path, baud: baud)
            default:
                throw .invalid(key: r.key("kind"), problem: "unknown reader kind '\(kindName)'", fix: "use \"line\" (FIFO, pipe, stdin) or \"serial\" (tty)")
            }
            let maxLine = try r.int("max_line", default: 4096, range: 16...1_048_576)
            try r.finish()
            readers.append(Reader(id: id, kind: kind, maxLine: maxLine))
        }

        var schemas: [Schema] = []
        for s in try top.tableArray("schema") {
            let name = try validID(s, "name", example: "acme-asset")
            let pattern = try s.requiredString("pattern", example: "ACME-(?<subject>[0-9]{8})")
            let className = try s.string("class", default: TagClass.subject.rawValue)
            guard let kind = TagClass(rawValue: className) else {
                throw .invalid(key: s.key("class"), problem: "unknown class '\(className)'", fix: "use one of \(TagClass.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let group = try s.string("subject_group", default: "subject")
            do {
                _ = try LabelSchema(name: name, pattern: pattern, kind: kind, subjectGroup: group)
            } catch {
                throw .invalid(key: s.key("pattern"), problem: "not a valid regular expression", fix: "check the pattern's syntax (\(error))")
            }
            try s.finish()
            schemas.append(Schema(name: name, pattern: pattern, kind: kind, subjectGroup: group))
        }

        try top.finish()
        return GatewayConfig(device: device, server: server, spool: spool, forward: forward, readers: readers, schemas: schemas)
    }

    /// Ids travel in envelopes, file names and metrics labels: keep them to a safe alphabet.
    private static func validID(_ s: ConfigSection, _ k: String, example: String) throws(ConfigError) -> String {
        let id = try s.requiredString(k, example: example)
        guard isValidID(id) else {
            throw .invalid(key: s.key(k), problem: "'\(id)' has characters other than letters, digits, '.', '_' and '-' or is longer than 64", fix: "use e.g. \(k) = \"\(example)\"")
        }
        return id
    }

    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.first != "." && id.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F
        }
    }

    /// The label schemas compiled for the classifier.
    public func makeClassifier() throws -> TagClassifier {
        TagClassifier(schemas: try schemas.map { try LabelSchema(name: $0.name, pattern: $0.pattern, kind: $0.kind, subjectGroup: $0.subjectGroup) })
    }
}
