import Crypto
import Foundation
import GatewayCore
import GatewaySystem

/// `gatewayd-bench storm-fixtures`: the sealed backlogs of a fleet of simulated terminals, for
/// bench/storm.py's reconnect storm against a real case-server. Running hundreds of gatewayd
/// processes on one small machine would measure the machine, not the server; these files let one
/// Python process replay what those terminals would send, byte for byte as gatewayd sends it.
///
///     gatewayd-bench storm-fixtures --server-key server.key.pub --devices DIR --out DIR
///         [--terminals 500] [--backlog 200] [--batch 500]
///
/// For each terminal `storm-K` it makes an X25519 device key, writes the public half as
/// `DIR/storm-K.pem` (the case-server's `--devices` directory) and the backlog as
/// `OUT/storm-K.jsonl`: one `POST /v1/envelopes` body per line, at most `--batch` envelopes
/// each, in sequence order. Every scan names an object of its own (`ACME-KKKKKIIIIII`), so
/// each envelope opens a case, as in bench/run.py's drain.
enum StormFixtures {
    struct Options {
        var serverKey = ""
        var devices = ""
        var out = ""
        var terminals = 500
        var backlog = 200
        var batch = 500
    }

    /// A command line this subcommand cannot run with; the message says what to give.
    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    static let usage =
        "usage: gatewayd-bench storm-fixtures --server-key PUB.pem --devices DIR --out DIR "
        + "[--terminals N] [--backlog N] [--batch N]"

    static func parse(_ arguments: [String]) throws(UsageError) -> Options {
        var o = Options()
        var i = 0
        func value(_ name: String) throws(UsageError) -> String {
            guard i + 1 < arguments.count else { throw UsageError(description: "\(name) needs a value; \(usage)") }
            i += 1
            return arguments[i]
        }
        func count(_ name: String) throws(UsageError) -> Int {
            let v = try value(name)
            guard let n = Int(v), n > 0 else {
                throw UsageError(description: "\(name) takes a positive whole number, not \(v)")
            }
            return n
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--server-key": o.serverKey = try value("--server-key")
            case "--devices": o.devices = try value("--devices")
            case "--out": o.out = try value("--out")
            case "--terminals": o.terminals = try count("--terminals")
            case "--backlog": o.backlog = try count("--backlog")
            case "--batch": o.batch = try count("--batch")
            default: throw UsageError(description: "unknown option \(arguments[i]); \(usage)")
            }
            i += 1
        }
        guard !o.serverKey.isEmpty, !o.devices.isEmpty, !o.out.isEmpty else { throw UsageError(description: usage) }
        return o
    }

    static func run(_ arguments: [String]) throws {
        let o = try parse(arguments)
        let serverKey = try KeyFile.loadAgreementPublicKey(o.serverKey, role: "server")
        let fm = FileManager.default
        try fm.createDirectory(atPath: o.devices, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: o.out, withIntermediateDirectories: true)
        let config = try GatewayConfig.parse(
            toml: """
                [device]
                id = "storm"
                [server]
                url = "https://127.0.0.1"
                [[schema]]
                name = "acme"
                pattern = 'ACME-(?<subject>[0-9]+)'
                """,
            directory: "/"
        )
        let classifier = try config.makeClassifier()
        let siteKey = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let redactor = Redactor(rules: RedactionRule.builtIn, pseudonymizer: Pseudonymizer(keyBytes: siteKey))
        var rng = SystemRandomNumberGenerator()
        let start = Clocks.wallNanos()
        for k in 1...o.terminals {
            let device = "storm-\(k)"
            let deviceKey = Curve25519.KeyAgreement.PrivateKey()
            try X25519KeyPEM.publicKeyPEM(deviceKey.publicKey)
                .write(toFile: "\(o.devices)/\(device).pem", atomically: true, encoding: .utf8)
            let capture = CaptureSealer(
                classifier: classifier,
                sealer: EnvelopeSealer(
                    device: device,
                    deviceKey: SealingPrivateKey.x25519(deviceKey),
                    serverKey: serverKey
                ),
                redactor: redactor
            )
            var ids = UUIDv7Generator()
            var lines: [UInt8] = []
            var seq = 0
            while seq < o.backlog {
                let n = min(o.batch, o.backlog - seq)
                // One HPKE context per batch, as a reader's burst is sealed.
                let wall = start + Int64(seq) * 1_000_000
                let group = try capture.sealer.group(sealedAtNanos: wall)
                lines += Array(#"{"envelopes":["#.utf8)
                for j in 0..<n {
                    seq += 1
                    let scanWall = wall + Int64(j) * 1_000_000
                    let label = "ACME-" + String(format: "%05d%06d", k, seq)
                    let scan = Scan(
                        readerID: "fifo0",
                        bytes: Array(label.utf8),
                        wallNanos: scanWall,
                        monotonicNanos: UInt64(seq)
                    )
                    let id = ids.next(unixMillis: UInt64(scanWall / 1_000_000), using: &rng)
                    let event = capture.unredacted(scan, id: id, seq: UInt64(seq))
                    if j > 0 { lines.append(UInt8(ascii: ",")) }
                    lines += try capture.redactAndSeal(event, in: group).envelope.jsonBytes()
                }
                lines += Array("]}\n".utf8)
            }
            try Data(lines).write(to: URL(fileURLWithPath: "\(o.out)/\(device).jsonl"))
        }
        print("storm-fixtures: \(o.terminals) terminals × \(o.backlog) envelopes, batches of ≤ \(o.batch), in \(o.out)")
    }
}
