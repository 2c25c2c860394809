import Crypto

/// The `Gatewayd-Signature` header of a notification (docs/insurers.md):
///
///     Gatewayd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
///
/// The timestamp is the time of sending, inside the MAC, so a receiver can refuse a replayed
/// request outside its window; the body is signed byte for byte as sent. `v1` names the scheme,
/// so a later one can be sent beside it while receivers move over.
public enum WebhookSignature {
    public static let headerName = "Gatewayd-Signature"

    /// The header's value for `body` sent at `unixSeconds`.
    public static func header(secret: [UInt8], unixSeconds: Int64, body: String) -> String {
        "t=\(unixSeconds),v1=\(mac(secret: secret, unixSeconds: unixSeconds, body: body))"
    }

    /// Hex HMAC-SHA256 of "<t>.<body>".
    public static func mac(secret: [UInt8], unixSeconds: Int64, body: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(
            for: Array("\(unixSeconds).\(body)".utf8),
            using: SymmetricKey(data: secret)
        )
        return code.map { hexDigits[Int($0 >> 4)] + hexDigits[Int($0 & 15)] }.joined()
    }

    private static let hexDigits = (0..<16).map { String($0, radix: 16) }

    /// What a receiver does (the Python in docs/insurers.md is the same): true when `header`
    /// carries a `v1` MAC of `body` under `secret` with a timestamp within `window` seconds of
    /// `nowSeconds`.
    public static func verify(
        header: String,
        body: String,
        secret: [UInt8],
        nowSeconds: Int64,
        window: Int64 = 300
    ) -> Bool {
        var t: Int64?
        var macs: [String] = []
        for part in header.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { continue }
            if kv[0] == "t" { t = Int64(kv[1]) }
            if kv[0] == "v1" { macs.append(kv[1]) }
        }
        guard let t, abs(nowSeconds - t) <= window else { return false }
        let expected = Array(mac(secret: secret, unixSeconds: t, body: body).utf8)
        // Compared in constant time: a difference anywhere costs the same.
        return macs.contains { m in
            let got = Array(m.utf8)
            return got.count == expected.count && zip(got, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
        }
    }
}
