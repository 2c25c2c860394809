import ArgumentParser
import GatewayCore
import GatewayLinux
import GatewaySystem

/// `gatewayd keygen --out PATH`: makes this terminal's key pair; `--site-key PATH` makes the
/// site's pseudonym key instead (once per site, then copied to every terminal).
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract:
            "Create the device key pair (private key mode 0600) and print the public key to register at the case server."
    )

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where to write the private key; the public key goes to PATH.pub.",
            discussion: "Example: gatewayd keygen --out /var/lib/gatewayd/device.key"
        )
    )
    var out: String = GatewayConfig.Device.defaultPrivateKeyPath

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Instead: write a new site key for redaction pseudonyms (mode 0600) to PATH.",
            discussion: "Example: gatewayd keygen --site-key /var/lib/gatewayd/site.key"
        )
    )
    var siteKey: String?

    func run() throws {
        do {
            if let siteKey {
                try KeyFile.generateSiteKey(path: siteKey)
                FileHandleStderr.write(
                    "gatewayd: wrote site key \(siteKey) (0600); copy this same file to every terminal of the site\n"
                )
                return
            }
            let key = try KeyFile.generate(privatePath: out, publicPath: out + ".pub")
            print(X25519KeyPEM.publicKeyPEM(key.publicKey), terminator: "")
            FileHandleStderr.write(
                "gatewayd: wrote \(out) (0600) and \(out).pub; key id \(X25519KeyPEM.keyID(of: key.publicKey))\n"
            )
        } catch {
            FileHandleStderr.write("gatewayd: \(error)\n")
            throw ExitCode(1)
        }
    }
}
