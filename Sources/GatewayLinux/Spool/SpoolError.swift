import GatewayCore

public enum SpoolError: Error, CustomStringConvertible {
    case open(path: String, detail: String)
    case write(path: String, detail: String)
    case read(path: String, detail: String)
    case full(path: String, depth: Int, bytes: Int, limits: SpoolLimits)
    case newerSchema(path: String)

    public var description: String {
        switch self {
        case .open(let path, let detail):
            return
                "spool \(path): cannot open (\(detail)); check that the directory exists and is writable by the service user, and that the disk is not full"
        case .write(let path, let detail):
            return
                "spool \(path): write failed (\(detail)); scans are held back until it succeeds — check free disk space"
        case .read(let path, let detail):
            return "spool \(path): read failed (\(detail))"
        case .full(let path, let depth, let bytes, let limits):
            return
                "spool \(path) is full (\(depth) envelopes, \(bytes >> 20) MiB; limits max_envelopes = \(limits.maxEnvelopes), max_mb = \(limits.maxBytes >> 20)); overflow = block holds the readers until the server takes envelopes — check the server link (`gatewayd spool status`), or raise the limits"
        case .newerSchema(let path):
            return
                "spool \(path) was written by a newer gatewayd (its schema has migrations this version does not know); run that version, or move the file away to start an empty spool — its envelopes stay intact in it"
        }
    }
}
