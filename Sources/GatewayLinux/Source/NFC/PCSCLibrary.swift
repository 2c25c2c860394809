import CPCSC

/// pcsc-lite's client library, loaded when a `backend = "pcsc"` reader starts: gatewayd does
/// not link it, so a terminal without a PC/SC reader never maps it (Sources/CPCSC does the
/// `dlopen`). Also the result codes gatewayd acts on (pcsclite.h; `LONG` is `long` on Linux).
enum PCSCLibrary {
    static func load() throws(LibraryUnavailable) {
        try LibraryUnavailable.load("libpcsclite, the PC/SC client library", packages: "libpcsclite1 pcscd libccid") {
            gw_pcsc_load($0, $1)
        }
    }

    static let success = 0
    static let cancelled = 0x8010_0002
    static let invalidHandle = 0x8010_0003
    static let unknownReader = 0x8010_0009
    static let timeout = 0x8010_000A
    static let noSmartcard = 0x8010_000C
    static let commError = 0x8010_0013
    static let notTransacted = 0x8010_0016
    static let readerUnavailable = 0x8010_0017
    static let noService = 0x8010_001D
    static let serviceStopped = 0x8010_001E
    static let noReadersAvailable = 0x8010_002E
    static let unresponsiveCard = 0x8010_0066
    static let unpoweredCard = 0x8010_0067
    static let resetCard = 0x8010_0068
    static let removedCard = 0x8010_0069

    /// pcscd is gone (stopped, restarted; a call under way when it died fails with the RPC
    /// transport error): the context must be made again.
    static func isServiceLost(_ rv: Int) -> Bool {
        rv == noService || rv == serviceStopped || rv == invalidHandle || rv == commError
    }

    /// The card left (or stopped answering) during an exchange.
    static func isCardGone(_ rv: Int) -> Bool {
        [removedCard, noSmartcard, resetCard, unpoweredCard, unresponsiveCard].contains(rv)
    }

    /// A PC/SC call's result code other than success.
    struct Failure: Error {
        var code: Int
        var description: String { PCSCLibrary.describe(code) }
    }

    /// The names of the readers pcscd offers; none plugged in is an empty list, not an error.
    static func readerNames(_ context: SCARDCONTEXT) -> Result<[String], Failure> {
        var size: DWORD = 0
        var rv = SCardListReaders(context, nil, nil, &size)
        if rv == noReadersAvailable { return .success([]) }
        guard rv == success else { return .failure(Failure(code: rv)) }
        var buf = [CChar](repeating: 0, count: Int(size))
        rv = SCardListReaders(context, nil, &buf, &size)
        if rv == noReadersAvailable { return .success([]) }
        guard rv == success else { return .failure(Failure(code: rv)) }
        // A multi-string: names separated by NUL, ended by an empty one.
        return .success(
            buf.split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        )
    }

    /// pcsc-lite's words for a result code.
    static func describe(_ rv: Int) -> String {
        String(cString: pcsc_stringify_error(rv)) + " (0x" + String(UInt32(truncatingIfNeeded: rv), radix: 16) + ")"
    }
}
