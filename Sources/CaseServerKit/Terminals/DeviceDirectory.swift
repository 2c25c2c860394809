import GatewayCore

/// The terminals a server accepts envelopes from, kept in its store so that every instance on
/// one database sees the same registrations, revocations and enrollment tokens. What `serve`'s
/// receiver and enrollment endpoint and the `devices`/`enroll`/`terminals` commands need of it,
/// and no more; `SQLiteCaseStore` is one conformer.
///
/// Rotation mirrors the PEM bundle of `DeviceRegistry`: a new key is appended and the old one
/// stays active (envelopes still spooled under it open) until it is retired.
///
/// Every write that must happen once — redeeming a token above all — is a single conditional
/// statement the database decides (an UPDATE that must change one row), never a read then a
/// write, so two server instances cannot both succeed.
public protocol DeviceDirectory: Sendable {
    /// Registers `key` for a device the directory does not hold an active registration for (a new
    /// one, or one that was revoked: that clears the revocation and retires its other keys).
    /// - Throws: `DeviceDirectoryError.alreadyRegistered` when the device is registered and not
    ///   revoked (`rotate` adds a key to it).
    func addDevice(_ device: String, key: SealingPublicKey, nowNanos: Int64) async throws

    /// Every device the store knows, by id, with its keys (retired ones included).
    func devices() async throws -> [DeviceRecord]

    /// Revokes the device: its envelopes are refused from then on (within the receiver's cache
    /// bound), whatever key they carry, and its unused enrollment tokens are deleted. A device
    /// the store does not hold (one registered by a PEM file only) is recorded as revoked.
    func revokeDevice(_ device: String, reason: String, nowNanos: Int64) async throws

    /// Appends `key` to a registered, unrevoked device; its other keys stay active.
    func rotateDevice(_ device: String, key: SealingPublicKey, nowNanos: Int64) async throws

    /// Retires one of the device's keys (after a rotation, once the terminal's spool has no
    /// envelopes sealed under it). - Throws: `.onlyKey` for the device's last active key.
    func retireKey(_ device: String, keyID: String, nowNanos: Int64) async throws

    /// Stores a new enrollment token for `device` (its hash only) and returns the secret.
    func createEnrollmentToken(_ device: String, ttlNanos: Int64, nowNanos: Int64) async throws -> String

    /// Uses up `token` for `device` and registers `key` with it, in one transaction: the token
    /// must be unused, unexpired and made for this device. Re-enrolling a revoked device clears
    /// the revocation and retires its other keys; an enrolled one gets `key` appended.
    /// - Throws: `EnrollmentError` saying why the token does not work.
    func redeemEnrollmentToken(_ token: String, device: String, key: SealingPublicKey, nowNanos: Int64) async throws

    /// The device's active keys and whether it is revoked; nil when the store does not know it.
    func deviceKeys(_ device: String) async throws -> DeviceKeys?
}
