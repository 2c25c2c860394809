import Crypto
import Foundation
import GatewayCore
import Glibc

/// Key files on disk: loading with checks a technician can act on, and writing new ones with
/// the right mode from the first byte (O_CREAT with 0600, never chmod afterwards).
public enum KeyFile {
    /// Loads a private key, refusing one that others could read: a device key readable by
    /// group or others, or owned by another user, is a key that may already have leaked.
    public static func loadPrivate(
        _ path: String,
        role: String
    ) throws(KeyFileError) -> Curve25519.KeyAgreement.PrivateKey {
        try checkSecret(path, role: role)
        let text = try read(path)
        do {
            return try X25519KeyPEM.privateKey(fromPEM: text)
        } catch {
            throw .badFormat(path: path, detail: error.description)
        }
    }

    /// Loads a private key of either sealing KEM — X25519 or P-256, PKCS#8 PEM — with the same
    /// checks as `loadPrivate`: a device key kept in a file, or a server key.
    public static func loadAgreementKey(_ path: String, role: String) throws(KeyFileError) -> SealingPrivateKey {
        try checkSecret(path, role: role)
        let text = try read(path)
        do {
            return try SealingPrivateKey(pemRepresentation: text)
        } catch {
            throw .badFormat(path: path, detail: error.description)
        }
    }

    /// Loads a public key of either sealing KEM (SubjectPublicKeyInfo PEM).
    public static func loadAgreementPublicKey(_ path: String, role: String) throws(KeyFileError) -> SealingPublicKey {
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path: path, role: role) }
        let text = try read(path)
        do {
            return try SealingPublicKey(pemRepresentation: text)
        } catch {
            throw .badFormat(path: path, detail: error.description)
        }
    }

    /// The site key for redaction pseudonyms: base64 of at least 32 bytes, same checks as a
    /// private key (whoever reads it can test guesses against every pseudonym).
    public static func loadSiteKey(_ path: String) throws(KeyFileError) -> [UInt8] {
        try checkSecret(path, role: "site")
        let text = try read(path)
        guard let bytes = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count >= 32
        else {
            throw .badFormat(
                path: path,
                detail: "not base64 of at least 32 bytes; create a site key with `gatewayd keygen --site-key \(path)`"
            )
        }
        return Array(bytes)
    }

    /// Writes a new site key (32 random bytes, base64) with mode 0600; never overwrites.
    public static func generateSiteKey(path: String) throws(KeyFileError) {
        let key = SymmetricKey(size: .bits256)
        let b64 = key.withUnsafeBytes { Data($0).base64EncodedString() }
        try write(b64 + "\n", to: path, mode: 0o600)
    }

    /// A secret's file must be the service user's own and closed to group and others: one that
    /// others could read may already have leaked.
    private static func checkSecret(_ path: String, role: String) throws(KeyFileError) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw errno == ENOENT
                ? .missing(path: path, role: role) : .unreadable(path: path, detail: String(cString: strerror(errno)))
        }
        if st.st_mode & 0o077 != 0 {
            throw .tooOpen(path: path, mode: st.st_mode & 0o777)
        }
        if st.st_uid != geteuid() {
            throw .wrongOwner(path: path, owner: st.st_uid, me: geteuid())
        }
    }

    public static func loadPublic(
        _ path: String,
        role: String
    ) throws(KeyFileError) -> Curve25519.KeyAgreement.PublicKey {
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path: path, role: role) }
        let text = try read(path)
        do {
            return try X25519KeyPEM.publicKey(fromPEM: text)
        } catch {
            throw .badFormat(path: path, detail: error.description)
        }
    }

    /// Writes `privatePath` (mode 0600, must not exist) and `privatePath.pub`.
    public static func generate(
        privatePath: String,
        publicPath: String
    ) throws(KeyFileError) -> Curve25519.KeyAgreement.PrivateKey {
        let key = Curve25519.KeyAgreement.PrivateKey()
        try write(X25519KeyPEM.privateKeyPEM(key), to: privatePath, mode: 0o600)
        try write(X25519KeyPEM.publicKeyPEM(key.publicKey), to: publicPath, mode: 0o644)
        return key
    }

    /// Writes a new key pair of `kem`: `privatePath` (mode 0600, must not exist) and `publicPath`.
    public static func generate(
        privatePath: String,
        publicPath: String,
        kem: HPKEKEM
    ) throws(KeyFileError) -> SealingPrivateKey {
        let key = SealingPrivateKey.generate(kem)
        try write(key.pemRepresentation, to: privatePath, mode: 0o600)
        try write(key.publicKey.pemRepresentation, to: publicPath, mode: 0o644)
        return key
    }

    private static func read(_ path: String) throws(KeyFileError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, detail: "\(error.localizedDescription)")
        }
    }

    private static func write(_ text: String, to path: String, mode: mode_t) throws(KeyFileError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw errno == EEXIST
                ? .exists(path: path) : .unwritable(path: path, detail: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard Glibc.write(fd, bytes, bytes.count) == bytes.count, fsync(fd) == 0 else {
            throw .unwritable(path: path, detail: String(cString: strerror(errno)))
        }
    }
}
