import ArgumentParser
import GatewayCore
import GatewayLinux

/// `gatewayd keygen --out PATH`: makes this terminal's key pair.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create the device key pair (private key mode 0600) and print the public key to register at the case server.")

    @Option(name: .long, help: "Where to write the private key; the public key goes to PATH.pub.")
    var out: String = "/var/lib/gatewayd/device.key"

    func run() throws {
        do {
            let key = try KeyFile.generate(privatePath: out, publicPath: out + ".pub")
            print(X25519KeyPEM.publicKeyPEM(key.publicKey), terminator: "")
            FileHandleStderr.write("gatewayd: wrote \(out) (0600) and \(out).pub; key id \(X25519KeyPEM.keyID(of: key.publicKey))\n")
        } catch {
            FileHandleStderr.write("gatewayd: \(error)\n")
            throw ExitCode(1)
        }
    }
}
