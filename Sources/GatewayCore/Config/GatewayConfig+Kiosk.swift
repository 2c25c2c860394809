extension GatewayConfig {
    /// `[kiosk]`: the feedback page for the person at the terminal (docs/kiosk.md).
    public struct Kiosk: Sendable, Equatable {
        /// Loopback: the kiosk's own browser.
        public static let defaultListen = HostPort(host: "127.0.0.1", port: 8470)
        public static let defaultRecent = 20
        public static let defaultFollowCases = true
        public static let defaultFollowCapSeconds = 30

        /// Where the page is served; off loopback it is reachable from the network (a warning).
        public var listen: HostPort
        /// How many recent scans the page shows (kept in memory only).
        public var recent = Kiosk.defaultRecent
        /// Follow the cases shown (`GET /v1/cases/{ref}`) while a page is open.
        public var followCases = Kiosk.defaultFollowCases
        /// The longest wait between two looks at an unchanged case.
        public var followCapSeconds = Kiosk.defaultFollowCapSeconds
        /// The language the kiosk and technician pages speak (`KioskCatalogs`), and write times in.
        public var language = UILanguage.english

        public init(host: String = Kiosk.defaultListen.host, port: Int = Kiosk.defaultListen.port) {
            listen = HostPort(host: host, port: port)
        }

        public var host: String {
            get { listen.host }
            set { listen.host = newValue }
        }
        public var port: Int {
            get { listen.port }
            set { listen.port = newValue }
        }
        public var isLoopback: Bool { listen.isLoopback }

        /// nil when `listen = "off"`.
        public static func parse(_ s: ConfigSection) throws(ConfigError) -> Kiosk? {
            let listen = try s.hostPortOrOff(
                "listen",
                default: defaultListen,
                rules: .init(bracketedIPv6: true),
                fix: "use \"\(defaultListen)\" (or \"off\")"
            )
            guard let listen else {
                try s.finish()
                return nil
            }
            var k = Kiosk(host: listen.host, port: listen.port)
            k.recent = try s.int("recent", default: defaultRecent, range: 1...200)
            k.followCases = try s.bool("follow_cases", default: defaultFollowCases)
            k.followCapSeconds = try s.int("follow_cap_s", default: defaultFollowCapSeconds, range: 2...3600)
            if let tag = try s.string("language") {
                guard let language = UILanguage(tag: tag) else {
                    throw .invalid(
                        key: s.key("language"),
                        problem: "'\(tag)' is not a language the kiosk page is written in",
                        fix: "use language = \(UILanguage.accepted)"
                    )
                }
                k.language = language
            }
            try s.finish()
            return k
        }
    }
}
