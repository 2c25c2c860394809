import COpenSSL
import Crypto
import Foundation
import GatewayCore
import Glibc
import Synchronization

/// The device's ECC P-256 key, held in a TPM 2.0 at a persistent handle and used through
/// OpenSSL 3's tpm2 provider (Sources/COpenSSL): the private half never leaves the TPM, so a
/// copy of the terminal's disk is not a copy of its identity (docs/threat-model.md).
///
/// Two operations run in the TPM: ECDH with the server's key (the static DH of HPKE
/// AuthEncap, once per server key and sealing group) and ECDSA over a SHA-256 digest (the TLS
/// client signature). Each blocks for a TPM round trip, so callers keep them off event loops.
/// They are serialised here: the TPM does one command at a time anyway, and OpenSSL's key
/// object is not meant for concurrent use.
///
/// When the TPM goes away (a resource manager restart, a firmware TPM reset) the open key stops
/// working; the next call after a failure opens it again, so the key comes back when the TPM
/// does without anyone restarting gatewayd.
public final class TPMDeviceKey: Sendable {
    public let handle: UInt32
    /// The public key, uncompressed SEC1 (65 bytes), read when the key was first opened.
    public let publicKeyX963: [UInt8]

    private struct Open: @unchecked Sendable {
        // Only touched with the lock held.
        var key: OpaquePointer?
    }
    private let state: Mutex<Open>

    private static let opened = Mutex<[UInt32: TPMDeviceKey]>([:])

    /// The process's one open key at `handle` (opened on first use): sealing and TLS share it,
    /// so the process holds one connection to the TPM per key, not one per user.
    public static func shared(handle: UInt32) throws(TPMKeyError) -> TPMDeviceKey {
        if let k = opened.withLock({ $0[handle] }) { return k }
        let k = try TPMDeviceKey(handle: handle)
        return opened.withLock { o in
            if let other = o[handle] { return other }
            o[handle] = k
            return k
        }
    }

    /// Opens the key at `handle`, checking that it is an ECC P-256 key.
    public init(handle: UInt32) throws(TPMKeyError) {
        self.handle = handle
        let key = try Self.open(handle)
        var group = [CChar](repeating: 0, count: 64)
        let curve = gw_ossl_key_group(key, &group, group.count) == 0 ? Self.string(group) : "unknown curve"
        guard curve == "prime256v1" || curve == "P-256" else {
            gw_ossl_key_free(key)
            throw .wrongKind(handle: handle, curve: curve)
        }
        var out = [UInt8](repeating: 0, count: 133)
        var why = [CChar](repeating: 0, count: 1024)
        let n = gw_ossl_key_public(key, &out, out.count, &why, why.count)
        guard n == 65 else {
            gw_ossl_key_free(key)
            throw .cannotOpen(handle: handle, reason: n < 0 ? Self.string(why) : "a public key of \(n) bytes")
        }
        publicKeyX963 = Array(out.prefix(65))
        state = Mutex(Open(key: key))
    }

    deinit {
        state.withLock { s in
            if let k = s.key { gw_ossl_key_free(k) }
            s.key = nil
        }
    }

    /// The public key as swift-crypto's P-256 key-agreement key (what the server registers).
    public var publicKey: P256.KeyAgreement.PublicKey {
        // A point the TPM made on its own curve: parsing it cannot fail.
        try! P256.KeyAgreement.PublicKey(x963Representation: publicKeyX963)
    }

    /// ECDH in the TPM with `peer` (uncompressed SEC1): the shared x-coordinate (32 bytes).
    public func sharedSecret(with peer: [UInt8]) throws(TPMKeyError) -> [UInt8] {
        try withKey("ECDH") { key, why in
            var z = [UInt8](repeating: 0, count: 66)
            let n = gw_ossl_key_derive(key, peer, peer.count, &z, z.count, &why, why.count)
            return n == 32 ? Array(z.prefix(32)) : nil
        }
    }

    /// ECDSA in the TPM over a SHA-256 digest: the DER signature.
    public func signature(forSHA256Digest digest: [UInt8]) throws(TPMKeyError) -> [UInt8] {
        precondition(digest.count == 32, "a SHA-256 digest is 32 bytes")
        return try withKey("ECDSA") { key, why in
            var sig = [UInt8](repeating: 0, count: 80)
            let n = gw_ossl_key_sign_sha256(key, digest, &sig, sig.count, &why, why.count)
            return n > 0 ? Array(sig.prefix(Int(n))) : nil
        }
    }

    /// Runs `body` on the open key (opening it again first if the last call failed); a failure
    /// closes it, so the next call starts from a fresh TPM connection.
    private func withKey(
        _ operation: String,
        _ body: (OpaquePointer, inout [CChar]) -> [UInt8]?
    ) throws(TPMKeyError) -> [UInt8] {
        let result: Result<[UInt8], TPMKeyError> = state.withLock { s in
            if s.key == nil {
                do {
                    s.key = try Self.open(handle)
                } catch {
                    return .failure(.operationFailed(handle: handle, operation: operation, reason: "\(error)"))
                }
            }
            var why = [CChar](repeating: 0, count: 1024)
            if let out = body(s.key!, &why) { return .success(out) }
            gw_ossl_key_free(s.key)
            s.key = nil
            return .failure(.operationFailed(handle: handle, operation: operation, reason: Self.string(why)))
        }
        return try result.get()
    }

    private static func open(_ handle: UInt32) throws(TPMKeyError) -> OpaquePointer {
        do {
            try LibraryUnavailable.load("OpenSSL 3's libcrypto", packages: "libssl3") { gw_ossl_load($0, $1) }
        } catch {
            throw .library(error)
        }
        var why = [CChar](repeating: 0, count: 1024)
        var providerMissing: Int32 = 0
        guard let key = gw_ossl_key_open("handle:" + TPMHandle.format(handle), &providerMissing, &why, why.count)
        else {
            throw providerMissing != 0
                ? .providerMissing(reason: string(why))
                : .cannotOpen(
                    handle: handle,
                    reason: [deviceProblem(), string(why)].compactMap { $0 }.joined(separator: "; ")
                )
        }
        return key
    }

    /// What is wrong with the kernel's TPM node, when the provider uses it (no TPM2OPENSSL_TCTI
    /// naming another TPM): OpenSSL's words do not say "no TPM" or "no permission".
    private static func deviceProblem() -> String? {
        guard getenv("TPM2OPENSSL_TCTI") == nil else { return nil }
        let node = "/dev/tpmrm0"
        var st = stat()
        guard stat(node, &st) == 0 else { return "this terminal has no TPM 2.0 (\(node) does not exist)" }
        // open, not access(2): only an open meets the unit's device policy (EPERM).
        let fd = Glibc.open(node, O_RDWR | O_CLOEXEC)
        if fd >= 0 { close(fd) }
        guard fd >= 0 else {
            let e = errno
            return e == EPERM
                ? "\(node) is blocked by the service's sandbox (the unit must allow char-tpm rw)"
                : "no permission on \(node) (mode \(String(st.st_mode & 0o777, radix: 8)), gid \(st.st_gid)): the service user must be in its group (tss; gatewayd.sysusers adds it)"
        }
        return nil
    }

    private static func string(_ c: [CChar]) -> String {
        String(decoding: c.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
