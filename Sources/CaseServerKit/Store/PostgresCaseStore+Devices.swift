import GatewayCore
import PostgresNIO

/// `DeviceDirectory` in PostgreSQL: the statements of `SQLiteCaseStore+Devices` (tables
/// `device`, `device_key`, `enrollment_token`, migration "v2-devices"). Where SQLite has one
/// writer, several instances write here: a change to one device first takes that device's
/// advisory lock, so an add racing an add or a revoke racing a redeem happen one after the
/// other; redeeming stays the one conditional UPDATE whose row lock lets a single caller win.
extension PostgresCaseStore: DeviceDirectory {
    public func addDevice(_ device: String, key: SealingPublicKey, nowNanos: Int64) async throws {
        try Self.checkDeviceID(device)
        try await transaction { c in
            try await lockDevice(c, device)
            if let revoked = try await revokedAt(c, device), revoked == nil, try await activeKeyCount(c, device) > 0 {
                throw DeviceDirectoryError.alreadyRegistered(device)
            }
            try await register(c, device: device, key: key, how: "add", nowNanos: nowNanos)
        }
    }

    public func devices() async throws -> [DeviceRecord] {
        try await client.withConnection { c in
            var keys: [String: [DeviceRecord.Key]] = [:]
            for try await (device, keyID, kem, added, retired) in try await c.query(
                """
                SELECT device, key_id, kem, added_at_ns, retired_at_ns FROM device_key
                ORDER BY device, added_at_ns, key_id
                """,
                logger: logger
            ).decode((String, String, String, Int64, Int64?).self) {
                keys[device, default: []].append(
                    .init(keyID: keyID, kem: kem, addedAtNanos: added, retiredAtNanos: retired)
                )
            }
            var out: [DeviceRecord] = []
            for try await (id, enrolled, how, revoked, reason) in try await c.query(
                "SELECT id, enrolled_at_ns, enrolled_how, revoked_at_ns, revoke_reason FROM device ORDER BY id",
                logger: logger
            ).decode((String, Int64?, String?, Int64?, String?).self) {
                out.append(
                    DeviceRecord(
                        device: id,
                        enrolledAtNanos: enrolled,
                        enrolledHow: how,
                        revokedAtNanos: revoked,
                        revokeReason: reason,
                        keys: keys[id] ?? []
                    )
                )
            }
            return out
        }
    }

    public func revokeDevice(_ device: String, reason: String, nowNanos: Int64) async throws {
        try Self.checkDeviceID(device)
        try await transaction { c in
            try await lockDevice(c, device)
            // The first revocation's time and reason stand; revoking again changes nothing.
            try await c.query(
                """
                INSERT INTO device (id, revoked_at_ns, revoke_reason) VALUES (\(device), \(nowNanos), \(reason))
                ON CONFLICT (id) DO UPDATE SET
                    revoked_at_ns = COALESCE(device.revoked_at_ns, excluded.revoked_at_ns),
                    revoke_reason = CASE WHEN device.revoked_at_ns IS NULL THEN excluded.revoke_reason
                                         ELSE device.revoke_reason END
                """,
                logger: logger
            )
            // A token handed out before the revocation must not undo it.
            try await c.query(
                "DELETE FROM enrollment_token WHERE device = \(device) AND used_at_ns IS NULL",
                logger: logger
            )
        }
    }

    public func rotateDevice(_ device: String, key: SealingPublicKey, nowNanos: Int64) async throws {
        try Self.checkDeviceID(device)
        try await transaction { c in
            try await lockDevice(c, device)
            guard let revoked = try await revokedAt(c, device), try await activeKeyCount(c, device) > 0 else {
                throw DeviceDirectoryError.notRegistered(device)
            }
            guard revoked == nil else { throw DeviceDirectoryError.revoked(device) }
            let changed = try await c.query(
                """
                INSERT INTO device_key (device, key_id, kem, pem, added_at_ns)
                VALUES (\(device), \(key.keyID), \("\(key.kem)"), \(key.pemRepresentation), \(nowNanos))
                ON CONFLICT (device, key_id) DO UPDATE SET retired_at_ns = NULL, added_at_ns = excluded.added_at_ns
                    WHERE device_key.retired_at_ns IS NOT NULL
                RETURNING key_id
                """,
                logger: logger
            ).collect().count
            guard changed == 1 else { throw DeviceDirectoryError.keyAlreadyActive(device: device, keyID: key.keyID) }
        }
    }

    public func retireKey(_ device: String, keyID: String, nowNanos: Int64) async throws {
        try Self.checkDeviceID(device)
        try await transaction { c in
            try await lockDevice(c, device)
            let changed = try await c.query(
                """
                UPDATE device_key SET retired_at_ns = \(nowNanos)
                WHERE device = \(device) AND key_id = \(keyID) AND retired_at_ns IS NULL
                  AND EXISTS (SELECT 1 FROM device_key o
                              WHERE o.device = device_key.device AND o.key_id <> device_key.key_id
                                AND o.retired_at_ns IS NULL)
                RETURNING key_id
                """,
                logger: logger
            ).collect().count
            guard changed == 0 else { return }
            let active = try await !c.query(
                "SELECT 1 FROM device_key WHERE device = \(device) AND key_id = \(keyID) AND retired_at_ns IS NULL",
                logger: logger
            ).collect().isEmpty
            throw active
                ? DeviceDirectoryError.onlyKey(device: device, keyID: keyID)
                : DeviceDirectoryError.noSuchKey(device: device, keyID: keyID)
        }
    }

    public func createEnrollmentToken(_ device: String, ttlNanos: Int64, nowNanos: Int64) async throws -> String {
        try Self.checkDeviceID(device)
        let token = EnrollmentToken.generate()
        try await client.query(
            """
            INSERT INTO enrollment_token (hash, device, created_at_ns, expires_at_ns)
            VALUES (\(EnrollmentToken.hash(token)), \(device), \(nowNanos), \(nowNanos + ttlNanos))
            """,
            logger: logger
        )
        return token
    }

    public func redeemEnrollmentToken(
        _ token: String,
        device: String,
        key: SealingPublicKey,
        nowNanos: Int64
    ) async throws {
        let hash = EnrollmentToken.hash(token)
        try await transaction { c in
            try await lockDevice(c, device)
            // Single use decided by the database: this UPDATE changes the row for one caller only.
            let changed = try await c.query(
                """
                UPDATE enrollment_token SET used_at_ns = \(nowNanos)
                WHERE hash = \(hash) AND device = \(device) AND used_at_ns IS NULL AND expires_at_ns > \(nowNanos)
                RETURNING hash
                """,
                logger: logger
            ).collect().count
            guard changed == 1 else {
                // Only to say why; nothing was written.
                let found = try await c.query(
                    "SELECT device, used_at_ns FROM enrollment_token WHERE hash = \(hash)",
                    logger: logger
                ).collect().first?.decode((String, Int64?).self)
                guard let (madeFor, used) = found else { throw EnrollmentError.unknownToken(device: device) }
                if madeFor != device { throw EnrollmentError.otherDevice(device: device) }
                if used != nil { throw EnrollmentError.used(device: device) }
                throw EnrollmentError.expired(device: device)
            }
            try await register(c, device: device, key: key, how: "token", nowNanos: nowNanos)
        }
    }

    public func deviceKeys(_ device: String) async throws -> DeviceKeys? {
        try await client.withConnection { c in
            guard let revoked = try await revokedAt(c, device) else { return nil }
            var keys: [SealingPublicKey] = []
            for try await pem in try await c.query(
                """
                SELECT pem FROM device_key WHERE device = \(device) AND retired_at_ns IS NULL
                ORDER BY added_at_ns, key_id
                """,
                logger: logger
            ).decode(String.self) {
                if let k = try? SealingPublicKey(pemRepresentation: pem) { keys.append(k) }
            }
            return DeviceKeys(keys: keys, revoked: revoked != nil)
        }
    }

    // MARK: statements shared by add and redeem

    /// Enrolls `device` with `key`: a revoked device is reinstated with `key` alone (its other
    /// keys retired: a stolen terminal's key must not come back with it); an enrolled one gets
    /// `key` added. Runs under the device's lock.
    private func register(
        _ c: PostgresConnection,
        device: String,
        key: SealingPublicKey,
        how: String,
        nowNanos: Int64
    ) async throws {
        let wasRevoked = (try await revokedAt(c, device) ?? nil) != nil
        try await c.query(
            """
            INSERT INTO device (id, enrolled_at_ns, enrolled_how) VALUES (\(device), \(nowNanos), \(how))
            ON CONFLICT (id) DO UPDATE SET
                enrolled_at_ns = excluded.enrolled_at_ns, enrolled_how = excluded.enrolled_how,
                revoked_at_ns = NULL, revoke_reason = NULL
            """,
            logger: logger
        )
        if wasRevoked {
            try await c.query(
                """
                UPDATE device_key SET retired_at_ns = \(nowNanos)
                WHERE device = \(device) AND key_id <> \(key.keyID) AND retired_at_ns IS NULL
                """,
                logger: logger
            )
        }
        try await c.query(
            """
            INSERT INTO device_key (device, key_id, kem, pem, added_at_ns)
            VALUES (\(device), \(key.keyID), \("\(key.kem)"), \(key.pemRepresentation), \(nowNanos))
            ON CONFLICT (device, key_id) DO UPDATE SET retired_at_ns = NULL
            """,
            logger: logger
        )
    }

    /// nil: no such device; .some(nil): known and not revoked; .some(t): revoked at t.
    private func revokedAt(_ c: PostgresConnection, _ device: String) async throws -> Int64?? {
        try await c.query("SELECT revoked_at_ns FROM device WHERE id = \(device)", logger: logger).collect()
            .first.map { try $0.decode(Int64?.self) }
    }

    private func activeKeyCount(_ c: PostgresConnection, _ device: String) async throws -> Int {
        let n = try await c.query(
            "SELECT count(*) FROM device_key WHERE device = \(device) AND retired_at_ns IS NULL",
            logger: logger
        ).collect().first?.decode(Int64.self)
        return Int(n ?? 0)
    }

    /// The device's lock for this transaction (a key of its own: "device" and the id).
    private func lockDevice(_ c: PostgresConnection, _ device: String) async throws {
        let key = Self.lockKey(device: device)
        try await c.query("SELECT pg_advisory_xact_lock(\(key))", logger: logger)
    }

    private static func checkDeviceID(_ device: String) throws {
        guard GatewayConfig.isValidID(device) else { throw DeviceDirectoryError.invalidDeviceID(device) }
    }
}
