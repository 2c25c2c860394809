import Foundation
import GatewayCore

/// `gatewayd keygen --tpm`: makes the device key inside the TPM and stores it at a persistent
/// handle, with tpm2-tools (Debian tpm2-tools) — OpenSSL's tpm2 provider can use a persistent
/// key but not make one persistent (TPM2_EvictControl). The key is an ECC P-256 key created by
/// the TPM under the owner hierarchy's ECC primary, `fixedtpm|fixedparent|sensitivedataorigin`:
/// the TPM will not export it, not even wrapped. It is usable for key agreement (`decrypt`: the
/// sealing DH) and for signatures (`sign`, no fixed scheme: ECDSA for TLS client
/// authentication).
///
/// tpm2-tools reach the TPM through `TPM2TOOLS_TCTI`; when only `TPM2OPENSSL_TCTI` (the
/// provider's) is set, it is used for both, so one setting names the TPM.
public enum TPMKeygen {
    public enum Failure: Error, CustomStringConvertible {
        case handleInUse(UInt32)
        case toolMissing(String)
        case toolFailed(command: String, output: String)
        case key(TPMKeyError)

        public var description: String {
            switch self {
            case .handleInUse(let h):
                return
                    "TPM handle \(TPMHandle.format(h)) holds a key already; pick another with --handle, or remove that one first (tpm2_evictcontrol -C o -c \(TPMHandle.format(h))) if nothing uses it"
            case .toolMissing(let tool):
                return "\(tool) is not installed; install tpm2-tools (apt-get install tpm2-tools)"
            case .toolFailed(let command, let output):
                return "\(command) failed: \(output.trimmingCharacters(in: .whitespacesAndNewlines))"
            case .key(let e):
                return "\(e)"
            }
        }
    }

    /// Creates the key at `handle` and returns it, opened through OpenSSL.
    public static func create(handle: UInt32) throws(Failure) -> TPMDeviceKey {
        if (try? TPMDeviceKey(handle: handle)) != nil { throw .handleInUse(handle) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gatewayd-keygen-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        do {
            try FileManager.default.createDirectory(
                at: dir,
                withIntermediateDirectories: false,
                attributes: [
                    .posixPermissions: 0o700
                ]
            )
        } catch {
            throw .toolFailed(command: "mkdir \(dir.path)", output: "\(error)")
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = dir.path
        let steps: [[String]] = [
            ["tpm2_createprimary", "-Q", "-C", "o", "-G", "ecc256", "-c", "\(p)/primary.ctx"],
            ["tpm2_flushcontext", "-t"],
            [
                "tpm2_create", "-Q", "-C", "\(p)/primary.ctx", "-G", "ecc256:null:null", "-a",
                "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|decrypt|sign", "-u", "\(p)/key.pub", "-r",
                "\(p)/key.priv",
            ],
            ["tpm2_flushcontext", "-t"],
            [
                "tpm2_load", "-Q", "-C", "\(p)/primary.ctx", "-u", "\(p)/key.pub", "-r", "\(p)/key.priv", "-c",
                "\(p)/key.ctx",
            ],
            ["tpm2_flushcontext", "-t"],
            ["tpm2_evictcontrol", "-Q", "-C", "o", "-c", "\(p)/key.ctx", TPMHandle.format(handle)],
            ["tpm2_flushcontext", "-t"],
        ]
        for step in steps { try run(step) }
        do {
            return try TPMDeviceKey(handle: handle)
        } catch {
            throw .key(error)
        }
    }

    private static func run(_ argv: [String]) throws(Failure) {
        guard
            let tool = ["/usr/bin", "/bin", "/usr/local/bin"].map({ "\($0)/\(argv[0])" })
                .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { throw .toolMissing(argv[0]) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = Array(argv.dropFirst())
        var env = ProcessInfo.processInfo.environment
        if env["TPM2TOOLS_TCTI"] == nil, let tcti = env["TPM2OPENSSL_TCTI"] { env["TPM2TOOLS_TCTI"] = tcti }
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        do {
            try process.run()
        } catch {
            throw .toolFailed(command: argv[0], output: "\(error)")
        }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw .toolFailed(command: argv.joined(separator: " "), output: text)
        }
    }
}
