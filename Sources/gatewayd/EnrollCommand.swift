import ArgumentParser
import GatewayCore
import GatewayLinux
import GatewaySystem

/// `gatewayd enroll --server URL --token T`: registers this terminal's public key at the case
/// server with a one-time token from `case-server enroll --device ID`, instead of copying its
/// PEM file there by hand.
struct EnrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Register this terminal's public key at the case server with a one-time enrollment token.",
        discussion: """
            Sends [device] id and the device key's public half (a file or a TPM key) over TLS, \
            trusting the server as the forwarder does ([server] ca, pin_sha256, client_cert). \
            The token comes from `case-server enroll --device ID` and works once.
            Exit status: 0 enrolled, 1 the server refused (used, expired or unknown token, bad \
            key: ask for a new token), 69 the server could not be reached, 78 configuration or \
            key error.
            """
    )

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The case server, https://host:port.",
            discussion: "Example: gatewayd enroll --server https://cases.example:8443 --token TOKEN"
        )
    )
    var server: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The one-time token case-server enroll printed.",
            discussion:
                "Example: gatewayd enroll --server https://cases.example:8443 --token TOKEN (what case-server enroll --device ID printed)"
        )
    )
    var token: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Configuration file (device id, device key, [server] trust).",
            discussion: "Example: gatewayd enroll --config /etc/gatewayd/gatewayd.toml --server URL --token TOKEN"
        )
    )
    var config: String = GatewayConfig.defaultPath

    func validate() throws {
        guard server.hasPrefix("https://") else {
            throw ValidationError("--server \(server): an https:// URL (enrollment goes over TLS only)")
        }
        guard !token.isEmpty else { throw ValidationError("--token is empty") }
    }

    func run() async throws {
        let cfg: GatewayConfig
        let key: SealingPublicKey
        do {
            cfg = try GatewayDaemon.loadConfig(path: config)
            key = try TerminalEnrollment.devicePublicKey(cfg)
        } catch {
            FileHandleStderr.write("gatewayd: \(error)\n")
            throw ExitCode(78)
        }
        let outcome: TerminalEnrollment.Outcome
        do {
            outcome = try await TerminalEnrollment.enroll(server: server, token: token, config: cfg, key: key)
        } catch {
            FileHandleStderr.write("gatewayd: \(error)\n")
            throw ExitCode(78)
        }
        switch outcome {
        case .enrolled(let keyID):
            print("\(cfg.device.id): enrolled at \(server) with \(key.kem) key id \(keyID)")
        case .refused(let status, let message):
            FileHandleStderr.write("gatewayd: enrollment refused (HTTP \(status)): \(message)\n")
            throw ExitCode(1)
        case .unreachable(let reason):
            FileHandleStderr.write(
                "gatewayd: cannot reach \(server) (\(reason)); check the URL and [server] ca / pin_sha256 (gatewayd --probe)\n"
            )
            throw ExitCode(69)
        }
    }
}
