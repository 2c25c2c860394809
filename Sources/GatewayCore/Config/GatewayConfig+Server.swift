import Foundation

extension GatewayConfig {
    /// `[server]`: the case server scans are sealed to and sent to.
    public struct Server: Sendable, Equatable {
        public static let defaultPublicKeyPath = "/etc/gatewayd/server.pub"

        /// Base URL, https only, without a trailing slash.
        public var url: String
        /// SubjectPublicKeyInfo PEM of the case server's X25519 key.
        public var publicKeyPath: String = Server.defaultPublicKeyPath
        /// Overrides the key id derived from the public key.
        public var keyID: String?
        /// Server key rotation: the key to seal to from a given moment on.
        public var next: NextKey?
        /// PEM bundle of the CAs to trust for the server's TLS certificate; nil = system store.
        public var caPath: String?
        /// SPKI pins (RFC 7469 pin-sha256: base64 of SHA-256 of a SubjectPublicKeyInfo): when
        /// set, the server's chain must hold one of these keys as well as verify.
        public var pins: [String] = []
        /// Mutual TLS: this terminal's client certificate chain and key (PEM).
        public var clientCertPath: String?
        public var clientKeyPath: String?
        /// Mutual TLS with the key in the TPM (`client_key = "tpm:0x81000002"`): its handle;
        /// `clientKeyPath` is then the value as written.
        public var clientKeyTPMHandle: UInt32?

        public init(url: String) {
            self.url = url
        }

        /// - Parameter directory: the config file's, for relative key and certificate paths.
        public static func parse(_ s: ConfigSection, directory: String) throws(ConfigError) -> Server {
            let url = try s.requiredString("url", example: "https://cases.example.net")
            guard url.lowercased().hasPrefix("https://") else {
                throw .invalid(
                    key: s.key("url"),
                    problem: "'\(url)' is not an https URL",
                    fix: "scans leave the terminal only over TLS: use https://"
                )
            }
            var server = Server(url: url.hasSuffix("/") ? String(url.dropLast()) : url)
            server.publicKeyPath = try s.filePath("public_key", default: defaultPublicKeyPath, relativeTo: directory)
            server.keyID = try s.string("key_id")
            server.caPath = try s.filePath("ca", relativeTo: directory)
            server.next = try NextKey.parse(s, directory: directory)
            server.pins = try s.stringArray("pin_sha256") ?? []
            for pin in server.pins where Data(base64Encoded: pin)?.count != 32 {
                throw .invalid(
                    key: s.key("pin_sha256"),
                    problem: "'\(pin)' is not base64 of 32 bytes",
                    fix: "compute it with: openssl x509 -in server.pem -pubkey -noout"
                        + " | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"
                )
            }
            server.clientCertPath = try s.filePath("client_cert", relativeTo: directory)
            if let raw = try s.string("client_key"), raw.hasPrefix("tpm:") {
                do {
                    server.clientKeyTPMHandle = try TPMHandle.parse(configValue: raw)
                } catch {
                    throw .invalid(
                        key: s.key("client_key"),
                        problem: "\"\(error.text)\" is not a TPM persistent handle (0x81000000 to 0x81ffffff)",
                        fix: "write e.g. client_key = \"tpm:0x81000002\", the handle `gatewayd keygen --tpm` printed"
                    )
                }
                server.clientKeyPath = raw
            } else {
                server.clientKeyPath = try s.filePath("client_key", relativeTo: directory)
            }
            guard (server.clientCertPath == nil) == (server.clientKeyPath == nil) else {
                throw .invalid(
                    key: s.key(server.clientCertPath == nil ? "client_cert" : "client_key"),
                    problem: "missing",
                    fix: "mutual TLS needs both client_cert and client_key"
                )
            }
            try s.finish()
            return server
        }
    }
}
