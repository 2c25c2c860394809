import Crypto
import Foundation

@testable import GatewayCore

/// Opens one envelope of a sealing group the way the wire format defines it, through
/// swift-crypto's own HPKE recipient rather than ours: the context's secret export gives
/// key ‖ nonce for the envelope's AAD, then AES-256-GCM (docs/wire-format.md).
func openThroughExport(_ envelope: Envelope, with recipient: HPKE.Recipient) throws -> [UInt8] {
    let aad = SealSuite.aad(id: envelope.id, device: envelope.device, seq: envelope.seq)
    let okm = try recipient.exportSecret(context: SealSuite.exporterContext(aad: aad), outputByteCount: 44)
        .withUnsafeBytes { Array($0) }
    let ct = Data(base64Encoded: envelope.ct)!
    let box = try AES.GCM.SealedBox(
        nonce: AES.GCM.Nonce(data: okm[32..<44]),
        ciphertext: ct.dropLast(16),
        tag: ct.suffix(16)
    )
    return Array(try AES.GCM.open(box, using: SymmetricKey(data: okm[0..<32]), authenticating: aad))
}
