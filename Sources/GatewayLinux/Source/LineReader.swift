import CLinuxShims
import Foundation
import GatewayCore
import Glibc
import Logging

/// Reads one scan per line from a FIFO, a pipe or stdin — the stand-in for a keyboard-wedge
/// scanner in demos and tests, and the way a site script can feed scans.
///
/// When the input is a pipe (FIFOs are), the reader never consumes a byte before the scans in
/// it are committed: it looks at the pipe's contents with tee(2), which copies without
/// consuming, commits the complete lines, and only then reads (consumes) exactly those bytes.
/// A kill -9 at any moment leaves every uncommitted line in the pipe for the next gatewayd.
/// Only a line that a writer split across writes can be caught half-read; writers that write
/// whole lines (≤ PIPE_BUF = 4096 bytes is atomic) never see that.
///
/// A FIFO is opened read-write: the reader then always counts as a writer too, so the FIFO
/// never reports end-of-file or hang-up between two writers (which would make poll spin), and
/// writers never get SIGPIPE while gatewayd restarts. Stdin ends the reader at end-of-file.
final class LineReader {
    let id: String
    let path: String
    let maxLine: Int
    private let committer: ScanCommitter
    private let stop: StopSignal
    private let logger: Logger
    private let hasher: InputMarkHasher
    /// Called once the input is open (the reader pool then lets go of a FIFO it held).
    private let opened: (@Sendable () -> Void)?

    init(
        reader: GatewayConfig.Reader,
        sink: CaptureSink,
        stop: StopSignal,
        logger: Logger,
        hasher: InputMarkHasher,
        health: ReaderHealthBoard,
        opened: (@Sendable () -> Void)? = nil
    ) {
        self.opened = opened
        self.id = reader.id
        self.path = reader.path ?? "-"
        self.maxLine = reader.maxLine
        self.stop = stop
        self.logger = logger
        self.committer = ScanCommitter(reader: reader, sink: sink, stop: stop, logger: logger, health: health)
        self.hasher = hasher
    }

    /// Runs on the reader's own thread until stopped or, for stdin and pipes, end of input.
    func run() {
        let fd: Int32
        do {
            fd = try openInput()
            opened?()
        } catch {
            opened?()
            logger.error("reader cannot start", metadata: ["reader": "\(id)", "error": "\(error)"])
            return
        }
        defer { if fd != 0 { close(fd) } }
        var st = stat()
        fstat(fd, &st)
        if (st.st_mode & S_IFMT) == S_IFIFO, let peek = PipePeeker() {
            logger.info("reader started", metadata: ["reader": "\(id)", "kind": "line", "mode": "peek-then-consume"])
            runPeeking(fd, peek)
        } else {
            logger.info("reader started", metadata: ["reader": "\(id)", "kind": "line", "mode": "read"])
            runReading(fd)
        }
        committer.finish()
        logger.info("reader stopped", metadata: ["reader": "\(id)", "scans": "\(committer.scansCommitted)"])
    }

    private func openInput() throws(ReaderError) -> Int32 {
        if path == "-" {
            _ = fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK)
            return 0
        }
        var st = stat()
        if stat(path, &st) != 0 {
            guard errno == ENOENT else { throw .open(path: path, errno: errno) }
            // The FIFO is ours to make: group-writable so a site script in the service's group can feed it.
            guard mkfifo(path, 0o620) == 0 || errno == EEXIST else { throw .open(path: path, errno: errno) }
        } else if (st.st_mode & S_IFMT) == S_IFCHR {
            throw .wrongKind(path: path, detail: "is a character device; use kind = \"serial\" for a tty")
        }
        let fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .open(path: path, errno: errno) }
        return fd
    }

    private func runPeeking(_ fd: Int32, _ peek: PipePeeker) {
        var framer = LineFramer(maxLength: maxLine)
        var discard = [UInt8](repeating: 0, count: PipePeeker.chunk)
        let bootID = BootID.current
        // Input committed by a previous run that died before consuming it.
        var pending = previousMark()
        if let m = pending, m.bootID != bootID {
            pending = nil
            try? committer.sink.clearInputMark(reader: id)
        }
        func consume(_ count: Int) {
            var left = count
            while left > 0 {
                let n = read(fd, &discard, left)
                if n > 0 { left -= n } else if n < 0 && errno == EINTR { continue } else { break }
            }
        }
        while true {
            switch waitReadable(fd, stop: stop, timeoutMs: committer.pollTimeoutMs) {
            case .stopped: return
            case .timeout:
                guard committer.tick() else { return }
                continue
            // Hang-up with nothing buffered is end of input (stdin); tee tells which.
            case .hangup, .readable: break
            }
            let view: [UInt8]
            switch peek.peek(fd) {
            case .bytes(let b): view = Self.bounded(b, maxLines: ScanCommitter.maxScansPerCommit)
            case .empty: continue
            case .endOfInput: return
            case .failed(let e):
                logger.error("reader failed", metadata: ["reader": "\(id)", "errno": "\(e)"])
                return
            }
            if let m = pending {
                pending = nil
                let spooled = view.count >= m.length && hasher.digest(view[0..<m.length]) == m.digest
                // Consume before forgetting the mark, as after a commit: a kill between the two
                // leaves the mark to a next start, which finds other bytes at the head and drops
                // it. The other order would leave the bytes without their mark, to be spooled
                // a second time.
                if spooled {
                    consume(m.length)
                    Failpoints.hit("after-skip")
                    try? committer.sink.clearInputMark(reader: id)
                    logger.notice(
                        "skipped input already spooled before a restart",
                        metadata: ["reader": "\(id)", "bytes": "\(m.length)"]
                    )
                    continue
                }
                try? committer.sink.clearInputMark(reader: id)
            }
            var next = framer
            let outputs = next.feed(view)
            let consumable = outputs.isEmpty ? view.count : view.count - next.partialCount
            if !outputs.isEmpty {
                let mark = InputMark(
                    reader: id,
                    bootID: bootID,
                    length: consumable,
                    digest: hasher.digest(view[0..<consumable])
                )
                guard committer.commit(committer.scans(from: outputs, maxLine: maxLine), mark: mark) else { return }
                // The unterminated tail stays in the pipe and will be looked at again.
                next.discardPartial()
                Failpoints.hit("after-commit")
                consume(consumable)
                try? committer.sink.clearInputMark(reader: id)
            } else {
                consume(consumable)
            }
            framer = next
        }
    }

    /// The mark a previous run left, read with retries: a start that cannot read it would spool
    /// that run's last committed input a second time, so it waits for the spool (a stop ends
    /// the wait) and says why.
    private func previousMark() -> InputMark? {
        var complained = false
        while true {
            do {
                return try committer.sink.inputMark(reader: id)
            } catch {
                if !complained {
                    logger.error(
                        "cannot read the reader's input mark from the spool; holding the reader until it can",
                        metadata: [
                            "reader": "\(id)", "error": "\(error)",
                        ]
                    )
                    complained = true
                }
                if !pause(ms: 500, stop: stop) { return nil }
            }
        }
    }

    private func runReading(_ fd: Int32) {
        var framer = LineFramer(maxLength: maxLine)
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            switch waitReadable(fd, stop: stop, timeoutMs: committer.pollTimeoutMs) {
            case .stopped: return
            case .timeout:
                guard committer.tick() else { return }
                continue
            case .hangup, .readable: break
            }
            let n = read(fd, &buf, buf.count)
            if n == 0 { return }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                logger.error("reader failed", metadata: ["reader": "\(id)", "errno": "\(errno)"])
                return
            }
            let scans = committer.scans(from: framer.feed(buf[0..<n]), maxLine: maxLine)
            for start in stride(from: 0, to: scans.count, by: ScanCommitter.maxScansPerCommit) {
                guard committer.commit(Array(scans[start..<min(scans.count, start + ScanCommitter.maxScansPerCommit)]))
                else { return }
            }
        }
    }
}

extension LineReader {
    /// The bytes up to and including the `maxLines`-th line feed (or all of them): one commit
    /// takes at most that many scans, so a transaction stays small enough to fit on a nearly
    /// full disk and a burst is spooled in steps the reader consumes one by one.
    static func bounded(_ view: [UInt8], maxLines: Int) -> [UInt8] {
        var lines = 0
        for (i, b) in view.enumerated() where b == 0x0A {
            lines += 1
            if lines == maxLines { return Array(view[...i]) }
        }
        return view
    }
}

/// Non-consuming reads from a pipe: tee(2) into a private pipe, then read that.
final class PipePeeker {
    static let chunk = 65536
    private let r: Int32
    private let w: Int32
    private var buf = [UInt8](repeating: 0, count: chunk)

    enum Result {
        case bytes([UInt8])
        case empty, endOfInput
        case failed(Int32)
    }

    init?() {
        var fds: [Int32] = [0, 0]
        guard gw_pipe_nonblock(&fds) == 0 else { return nil }
        r = fds[0]
        w = fds[1]
        _ = gw_set_pipe_size(w, Int32(Self.chunk))
    }

    deinit {
        close(r)
        close(w)
    }

    func peek(_ fd: Int32) -> Result {
        let n = gw_tee_nonblock(fd, w, Self.chunk)
        if n == 0 { return .endOfInput }
        if n < 0 { return errno == EAGAIN || errno == EINTR ? .empty : .failed(errno) }
        var got = 0
        while got < n {
            let m = buf.withUnsafeMutableBytes { read(r, $0.baseAddress! + got, n - got) }
            if m <= 0 {
                if m < 0 && errno == EINTR { continue }
                break
            }
            got += m
        }
        return .bytes(Array(buf[0..<got]))
    }
}

/// This boot's id (/proc/sys/kernel/random/boot_id), to tell marks from an earlier boot.
enum BootID {
    static let current: String = {
        let text = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? "unknown"
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }()
}

public enum ReaderError: Error, CustomStringConvertible {
    case open(path: String, errno: Int32)
    case wrongKind(path: String, detail: String)
    case configure(path: String, detail: String)

    public var description: String {
        switch self {
        case .open(let path, let e):
            let hint: String
            switch e {
            case EACCES, EPERM:
                hint = "the service user lacks permission: install the udev rules or add it to the device's group"
            case ENOENT, ENODEV, ENXIO: hint = "the device is not there: check the cable and `ls /dev/serial/by-id/`"
            case EBUSY: hint = "another program holds the device open"
            default: hint = "check the path in [[reader]] path"
            }
            return "\(path): \(String(cString: strerror(e))); \(hint)"
        case .wrongKind(let path, let detail):
            return "\(path) \(detail)"
        case .configure(let path, let detail):
            return "\(path): \(detail)"
        }
    }
}
