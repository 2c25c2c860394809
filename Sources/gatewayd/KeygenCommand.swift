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

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Make a P-256 device key (in a file) instead of X25519; the server key must then be P-256 too.",
            discussion:
                "For terminals without a TPM that register with a P-256 case server. Example: gatewayd keygen --p256 --out /var/lib/gatewayd/device.key"
        )
    )
    var p256 = false

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Instead: create the device key inside the TPM 2.0 (ECC P-256, not exportable) at --handle.",
            discussion:
                "Needs tpm2-tools and tpm2-openssl; then set private_key = \"tpm:HANDLE\". Example: gatewayd keygen --tpm"
        )
    )
    var tpm = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The TPM persistent handle for --tpm (0x81000000–0x81ffffff).",
            discussion: "Example: gatewayd keygen --tpm --handle 0x81000003"
        )
    )
    var handle: String = TPMHandle.format(TPMHandle.defaultHandle)

    func run() throws {
        do {
            if tpm {
                let h = try TPMHandle.parse(handle)
                let key = try TPMKeygen.create(handle: h)
                print(key.publicKey.pemRepresentation)
                FileHandleStderr.write(
                    "gatewayd: created an ECC P-256 device key in the TPM at handle \(TPMHandle.format(h)) (not exportable); set private_key = \"tpm:\(TPMHandle.format(h))\" in [device] and register the public key above at the case server\n"
                )
                return
            }
            if let siteKey {
                try KeyFile.generateSiteKey(path: siteKey)
                FileHandleStderr.write(
                    "gatewayd: wrote site key \(siteKey) (0600); copy this same file to every terminal of the site\n"
                )
                return
            }
            let key = try KeyFile.generate(privatePath: out, publicPath: out + ".pub", kem: p256 ? .p256 : .x25519)
            print(key.publicKey.pemRepresentation, terminator: "")
            FileHandleStderr.write("gatewayd: wrote \(out) (0600) and \(out).pub; key id \(key.publicKey.keyID)\n")
        } catch {
            FileHandleStderr.write("gatewayd: \(error)\n")
            throw ExitCode(1)
        }
    }
}
