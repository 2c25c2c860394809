import ArgumentParser
import CaseServerKit
import Foundation
import GatewaySystem
import Logging

/// The store behind a command's `--db`, opened as `serve` opens it; problems go to stderr with
/// exit status 1. Warnings of the database client go to stderr too, never into a command's output.
enum StoreOption {
    /// - Parameter mustExist: for a SQLite file, refuse one that is not there rather than create
    ///   an empty book (a mistyped path would otherwise print nothing, silently).
    static func open(_ db: String, mustExist: Bool = false) async throws -> any CaseStore {
        var logger = Logger(label: "case-server") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        do {
            let location = try CaseStoreLocation(db)
            if mustExist, case .sqlite(let path) = location, !FileManager.default.fileExists(atPath: path) {
                FileHandle.standardError.write(Data("case-server: no database at \(path)\n".utf8))
                throw ExitCode(1)
            }
            if case .sqlite = location { SQLiteProcess.configure() }
            return try await location.open(logger: logger, connections: 2)
        } catch let e as StoreError {
            FileHandle.standardError.write(Data("case-server: \(e)\n".utf8))
            throw ExitCode(1)
        }
    }
}
