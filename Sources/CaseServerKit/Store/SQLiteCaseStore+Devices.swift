import GRDB
import GatewayCore

/// `DeviceDirectory` in SQLite: tables `device`, `device_key` and `enrollment_token`
/// (migration "v4-devices"). Plain SQL a PostgreSQL store can repeat: `ON CONFLICT` upserts
/// and a redeem that is one conditional UPDATE.
extension SQLiteCaseStore: DeviceDirectory {
    public func addDevice(_ device: String, key: SealingPublicKey, nowNanos: Int64) async throws {
        try Self.checkID(device)
        try await pool.write { db in
            if let row = try Row.fetchOne(
                db,
                sql: "SELECT revoked_at_ns FROM device WHERE id = ?",
                arguments: [device]
            ),
                row["revoked_at_ns"] as Int64? == nil,
                try Self.activeKeyCount(db, device) > 0
            {
                throw DeviceDirectoryError.alreadyRegistered(device)
            }
            try Self.register(db, device: device, key: key, how: "add", nowNanos: nowNanos)
        }
    }

    public func devices() async throws -> [DeviceRecord] {
        try await pool.read { db in
            var keys: [String: [DeviceRecord.Key]] = [:]
            for r in try Row.fetchAll(
                db,
                sql:
                    "SELECT device, key_id, kem, added_at_ns, retired_at_ns FROM device_key ORDER BY device, added_at_ns, key_id"
            ) {
                keys[r["device"], default: []].append(
                    .init(
                        keyID: r["key_id"],
                        kem: r["kem"],
                        addedAtNanos: r["added_at_ns"],
                        retiredAtNanos: r["retired_at_ns"]
                    )
                )
            }
            return try Row.fetchAll(
                db,
                sql: "SELECT id, enrolled_at_ns, enrolled_how, revoked_at_ns, revoke_reason FROM device ORDER BY id"
            ).map { r in
                DeviceRecord(
                    device: r["id"],
                    enrolledAtNanos: r["enrolled_at_ns"],
                    enrolledHow: r["enrolled_how"],
                    revokedAtNanos: r["revoked_at_ns"],
                    revokeReason: r["revoke_reason"],
                    keys: keys[r["id"]] ?? []
                )
            }
        }
    }

    public func revokeDevice(_ device: String, reason: String, nowNanos: Int64) async throws {
        try Self.checkID(device)
        try await pool.write { db in
            // The first revocation's time and reason stand; revoking again changes nothing.
            try db.execute(
                sql: """
                    INSERT INTO device (id, revoked_at_ns, revoke_reason) VALUES (?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET
                        revoked_at_ns = COALESCE(device.revoked_at_ns, excluded.revoked_at_ns),
                        revoke_reason = CASE WHEN device.revoked_at_ns IS NULL THEN excluded.revoke_reason
                                             ELSE device.revoke_reason END
                    """,
                arguments: [device, nowNanos, reason]
            )
            // A token handed out before the revocation must not undo it.
            try db.execute(
                sql: "DELETE FROM enrollment_token WHERE device = ? AND used_at_ns IS NULL",
                arguments: [device]
            )
        }
    }

    public func rotateDevice(_ device: String, key: SealingPublicKey, nowNanos: Int64) async throws {
        try Self.checkID(device)
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT revoked_at_ns FROM device WHERE id = ?",
                    arguments: [device]
                ),
                try Self.activeKeyCount(db, device) > 0
            else { throw DeviceDirectoryError.notRegistered(device) }
            guard row["revoked_at_ns"] as Int64? == nil else { throw DeviceDirectoryError.revoked(device) }
            try db.execute(
                sql: """
                    INSERT INTO device_key (device, key_id, kem, pem, added_at_ns) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (device, key_id) DO UPDATE SET retired_at_ns = NULL, added_at_ns = excluded.added_at_ns
                        WHERE device_key.retired_at_ns IS NOT NULL
                    """,
                arguments: [device, key.keyID, "\(key.kem)", key.pemRepresentation, nowNanos]
            )
            guard db.changesCount == 1 else {
                throw DeviceDirectoryError.keyAlreadyActive(device: device, keyID: key.keyID)
            }
        }
    }

    public func retireKey(_ device: String, keyID: String, nowNanos: Int64) async throws {
        try Self.checkID(device)
        try await pool.write { db in
            // One statement: the key is retired only while another active key remains.
            try db.execute(
                sql: """
                    UPDATE device_key SET retired_at_ns = ?
                    WHERE device = ? AND key_id = ? AND retired_at_ns IS NULL
                      AND EXISTS (SELECT 1 FROM device_key o
                                  WHERE o.device = device_key.device AND o.key_id <> device_key.key_id
                                    AND o.retired_at_ns IS NULL)
                    """,
                arguments: [nowNanos, device, keyID]
            )
            guard db.changesCount == 0 else { return }
            let active = try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM device_key WHERE device = ? AND key_id = ? AND retired_at_ns IS NULL",
                arguments: [device, keyID]
            )
            throw active == true
                ? DeviceDirectoryError.onlyKey(device: device, keyID: keyID)
                : DeviceDirectoryError.noSuchKey(device: device, keyID: keyID)
        }
    }

    public func createEnrollmentToken(_ device: String, ttlNanos: Int64, nowNanos: Int64) async throws -> String {
        try Self.checkID(device)
        let token = EnrollmentToken.generate()
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO enrollment_token (hash, device, created_at_ns, expires_at_ns) VALUES (?, ?, ?, ?)",
                arguments: [EnrollmentToken.hash(token), device, nowNanos, nowNanos + ttlNanos]
            )
        }
        return token
    }

    public func redeemEnrollmentToken(
        _ token: String,
        device: String,
        key: SealingPublicKey,
        nowNanos: Int64
    ) async throws {
        let hash = EnrollmentToken.hash(token)
        try await pool.write { db in
            // Single use decided by the database: this UPDATE changes the row for one caller only.
            try db.execute(
                sql: """
                    UPDATE enrollment_token SET used_at_ns = ?
                    WHERE hash = ? AND device = ? AND used_at_ns IS NULL AND expires_at_ns > ?
                    """,
                arguments: [nowNanos, hash, device, nowNanos]
            )
            guard db.changesCount == 1 else {
                // Only to say why; nothing was written.
                guard
                    let row = try Row.fetchOne(
                        db,
                        sql: "SELECT device, used_at_ns, expires_at_ns FROM enrollment_token WHERE hash = ?",
                        arguments: [hash]
                    )
                else { throw EnrollmentError.unknownToken(device: device) }
                if row["device"] as String != device { throw EnrollmentError.otherDevice(device: device) }
                if row["used_at_ns"] as Int64? != nil { throw EnrollmentError.used(device: device) }
                throw EnrollmentError.expired(device: device)
            }
            try Self.register(db, device: device, key: key, how: "token", nowNanos: nowNanos)
        }
    }

    public func deviceKeys(_ device: String) async throws -> DeviceKeys? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT revoked_at_ns FROM device WHERE id = ?",
                    arguments: [device]
                )
            else { return nil }
            let keys = try String.fetchAll(
                db,
                sql:
                    "SELECT pem FROM device_key WHERE device = ? AND retired_at_ns IS NULL ORDER BY added_at_ns, key_id",
                arguments: [device]
            ).compactMap { try? SealingPublicKey(pemRepresentation: $0) }
            return DeviceKeys(keys: keys, revoked: row["revoked_at_ns"] as Int64? != nil)
        }
    }

    // MARK: statements shared by add and redeem

    /// Enrolls `device` with `key`: a revoked device is reinstated with `key` alone (its other
    /// keys retired: a stolen terminal's key must not come back with it); an enrolled one gets
    /// `key` added.
    private static func register(
        _ db: Database,
        device: String,
        key: SealingPublicKey,
        how: String,
        nowNanos: Int64
    )
        throws
    {
        let wasRevoked =
            try Bool.fetchOne(
                db,
                sql: "SELECT revoked_at_ns IS NOT NULL FROM device WHERE id = ?",
                arguments: [device]
            ) ?? false
        try db.execute(
            sql: """
                INSERT INTO device (id, enrolled_at_ns, enrolled_how) VALUES (?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    enrolled_at_ns = excluded.enrolled_at_ns, enrolled_how = excluded.enrolled_how,
                    revoked_at_ns = NULL, revoke_reason = NULL
                """,
            arguments: [device, nowNanos, how]
        )
        if wasRevoked {
            try db.execute(
                sql:
                    "UPDATE device_key SET retired_at_ns = ? WHERE device = ? AND key_id <> ? AND retired_at_ns IS NULL",
                arguments: [nowNanos, device, key.keyID]
            )
        }
        try db.execute(
            sql: """
                INSERT INTO device_key (device, key_id, kem, pem, added_at_ns) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (device, key_id) DO UPDATE SET retired_at_ns = NULL
                """,
            arguments: [device, key.keyID, "\(key.kem)", key.pemRepresentation, nowNanos]
        )
    }

    private static func activeKeyCount(_ db: Database, _ device: String) throws -> Int {
        try Int.fetchOne(
            db,
            sql: "SELECT count(*) FROM device_key WHERE device = ? AND retired_at_ns IS NULL",
            arguments: [device]
        ) ?? 0
    }

    private static func checkID(_ device: String) throws {
        guard GatewayConfig.isValidID(device) else { throw DeviceDirectoryError.invalidDeviceID(device) }
    }
}
