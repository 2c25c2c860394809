import CPCSC
import Foundation
import GatewayCore
import Glibc
import Logging
import Synchronization

/// An NFC reader through PC/SC (`kind = "nfc"`, `backend = "pcsc"`): pcscd and libccid own the
/// USB device; gatewayd asks pcscd which readers there are (those whose names match the
/// reader's glob) and waits in one `SCardGetStatusChange` over all of them and pcscd's
/// plug-and-play pseudo-reader, so a card arriving, a card leaving and a reader plugged in or
/// out each wake it — there is no polling loop of ours. A card that arrives is one tap
/// (`NFCTapHandler`); PC/SC's per-reader event counter tells a lift-and-tap between two waits
/// from a card left on the reader.
///
/// pcscd stopping or restarting ends the PC/SC context: the session logs it once, makes a new
/// context as soon as pcscd answers again, and carries on. The session runs until stopped.
final class PCSCNFCReader: DeviceSession {
    let config: GatewayConfig.Reader
    private let readerName: String
    private let stop: StopSignal
    private var handler: NFCTapHandler
    private let logger: Logger
    /// What pcscd last said about each matching reader (`dwEventState` without CHANGED).
    private var states: [String: DWORD] = [:]
    private static let pnp = "\\\\?PnP?\\Notification"
    /// A backstop for the stop: SCardCancel wakes the wait at once (see `run`).
    private static let waitMillis: DWORD = 2000

    init(config: GatewayConfig.Reader, settings: GatewayConfig.Reader.NFC, committer: ScanCommitter, stop: StopSignal) {
        self.config = config
        if case .pcsc(let name) = settings.backend { readerName = name } else { readerName = "*" }
        self.stop = stop
        self.handler = NFCTapHandler(committer: committer, feedback: settings.feedback)
        self.logger = committer.logger
    }

    private enum WatchEnd: Error {
        case stopped
        case lost(String)
    }

    func run(devnode: String) -> SessionEnd {
        do {
            try PCSCLibrary.load()
        } catch {
            return .failed(error.description)
        }
        // The wait is woken by SCardCancel when the reader is stopped.
        let current = Mutex<SCARDCONTEXT?>(nil)
        let done = StopSignal()
        let canceller = Thread { [stop] in
            var fds = [
                pollfd(fd: stop.fd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: done.fd, events: Int16(POLLIN), revents: 0),
            ]
            while poll(&fds, 2, -1) < 0 && errno == EINTR {}
            if fds[0].revents != 0 { current.withLock { c in if let c { _ = SCardCancel(c) } } }
        }
        canceller.name = "pcsc-cancel-\(config.id)"
        canceller.start()
        defer { done.signal() }
        var outage: String?
        while !stop.isSignalled {
            var context: SCARDCONTEXT = 0
            let rv = SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &context)
            guard rv == PCSCLibrary.success else {
                let why = "pcscd is not reachable: \(PCSCLibrary.describe(rv))"
                if outage == nil {
                    logger.error(
                        "nfc reader waiting for pcscd",
                        metadata: ["reader": "\(config.id)", "error": "\(why)", "fix": "systemctl start pcscd.socket"]
                    )
                    GatewayMetrics.readerConnected(false, reader: config.id)
                }
                outage = why
                if !pause(ms: 1000, stop: stop) { break }
                continue
            }
            current.withLock { $0 = context }
            if outage != nil {
                logger.notice("nfc reader: pcscd answers again", metadata: ["reader": "\(config.id)"])
                outage = nil
            }
            let end = watch(context)
            current.withLock { $0 = nil }
            SCardReleaseContext(context)
            states = [:]
            switch end {
            case .stopped: return .stopped
            case .lost(let why):
                logger.warning(
                    "nfc reader lost pcscd; reconnecting",
                    metadata: ["reader": "\(config.id)", "error": "\(why)"]
                )
                outage = why
                GatewayMetrics.readerConnected(false, reader: config.id)
            }
        }
        return .stopped
    }

    /// The readers pcscd offers whose names match the glob.
    private func matchingReaders(_ context: SCARDCONTEXT) -> Result<[String], WatchEnd> {
        PCSCLibrary.readerNames(context)
            .map { $0.filter { Glob.matches(readerName, $0) } }
            .mapError { .lost($0.description) }
    }

    private func watch(_ context: SCARDCONTEXT) -> WatchEnd {
        var announced: [String]?
        while !stop.isSignalled {
            let readers: [String]
            switch matchingReaders(context) {
            case .success(let r): readers = r
            case .failure(let end): return end
            }
            if readers != announced {
                if readers.isEmpty {
                    logger.warning(
                        "nfc reader: no PC/SC reader matches",
                        metadata: ["reader": "\(config.id)", "pattern": "\(readerName)"]
                    )
                } else {
                    logger.info(
                        "reader connected",
                        metadata: [
                            "reader": "\(config.id)", "kind": "nfc", "backend": "pcsc", "pcsc_readers": "\(readers)",
                        ]
                    )
                }
                GatewayMetrics.readerConnected(!readers.isEmpty, reader: config.id)
                announced = readers
                states = states.filter { readers.contains($0.key) }
            }
            let names = readers + [Self.pnp]
            let cNames = names.map { strdup($0)! }
            defer { for c in cNames { free(c) } }
            var rs = names.indices.map { i -> SCARD_READERSTATE in
                var s = SCARD_READERSTATE()
                s.szReader = UnsafePointer(cNames[i])
                // The PnP reader's state carries the reader count in its high bits.
                s.dwCurrentState =
                    i < readers.count ? states[names[i]] ?? DWORD(SCARD_STATE_UNAWARE) : DWORD(readers.count << 16)
                return s
            }
            let rv = SCardGetStatusChange(context, Self.waitMillis, &rs, DWORD(rs.count))
            if stop.isSignalled { return .stopped }
            switch rv {
            case PCSCLibrary.success: break
            case PCSCLibrary.timeout, PCSCLibrary.cancelled, PCSCLibrary.unknownReader: continue
            default:
                if PCSCLibrary.isServiceLost(rv) { return .lost(PCSCLibrary.describe(rv)) }
                logger.error(
                    "nfc reader: PC/SC wait failed",
                    metadata: ["reader": "\(config.id)", "error": "\(PCSCLibrary.describe(rv))"]
                )
                if !pause(ms: 1000, stop: stop) { return .stopped }
                continue
            }
            for i in readers.indices where rs[i].dwEventState & DWORD(SCARD_STATE_CHANGED) != 0 {
                let before = states[readers[i]]
                let now = rs[i].dwEventState & ~DWORD(SCARD_STATE_CHANGED)
                states[readers[i]] = now
                let present = now & DWORD(SCARD_STATE_PRESENT) != 0 && now & DWORD(SCARD_STATE_MUTE) == 0
                guard present else { continue }
                let wasPresent = before.map { $0 & DWORD(SCARD_STATE_PRESENT) != 0 } ?? false
                // The high 16 bits count card events: more than one since the last look means
                // the card was lifted and a card tapped again in between.
                let events = before.map { (now >> 16) &- ($0 >> 16) } ?? 1
                guard !wasPresent || events >= 2 else { continue }
                let atr = withUnsafeBytes(of: rs[i].rgbAtr) { Array($0.prefix(Int(rs[i].cbAtr))) }
                if let end = tap(context, reader: readers[i], atr: atr) { return end }
            }
        }
        return .stopped
    }

    /// One card arrived on `reader`: read it and commit the tap. - Returns: how the watch ends,
    /// nil to go on.
    private func tap(_ context: SCARDCONTEXT, reader: String, atr: [UInt8]) -> WatchEnd? {
        do throws(NFCTransceiveError) {
            let card = try PCSCCard(context: context, reader: reader, atr: atr, feedback: handler.feedback)
            guard try handler.handle(card.target, over: card) else { return .stopped }
        } catch .tagGone {
            guard handler.unidentified("torn read: the tag left before its UID was read; tap again") else {
                return .stopped
            }
        } catch .tag(let why) {
            guard handler.unidentified(why) else { return .stopped }
        } catch .readerGone(let why) {
            if why.hasPrefix("pcscd") { return .lost(why) }
            logger.warning(
                "nfc reader: PC/SC reader went away",
                metadata: ["reader": "\(config.id)", "error": "\(why)"]
            )
        } catch {
            logger.error("nfc reader: cannot read the tag", metadata: ["reader": "\(config.id)", "error": "\(error)"])
        }
        return nil
    }
}
