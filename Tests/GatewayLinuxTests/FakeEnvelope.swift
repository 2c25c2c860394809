import GatewayCore

/// An envelope that carries the scan's bytes as its "ciphertext": the spool tests count and
/// compare what comes back, and sealing for real would only slow them down.
func fakeEnvelope(_ scan: Scan, _ seq: UInt64) -> Envelope {
    Envelope(
        id: "id-\(seq)",
        device: "d",
        seq: seq,
        sealedAt: "",
        suite: "s",
        keyID: "k",
        enc: "",
        ct: String(decoding: scan.bytes, as: UTF8.self)
    )
}
