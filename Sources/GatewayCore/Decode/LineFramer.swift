/// Splits a byte stream into lines: one line is one scan.
///
/// Accepts LF, CR and CRLF (scanners are configured every which way; a CRLF split across two
/// reads is still one terminator). Empty lines carry no scan and are skipped. A line longer
/// than `maxLength` is not buffered without bound: the framer stops keeping its bytes, and
/// when the line finally ends it reports `.overlong(length)` instead of a truncated scan,
/// because a cut-off label would be a different, wrong id.
public struct LineFramer: Sendable {
    public enum Output: Sendable, Equatable {
        case line([UInt8])
        /// A line of `length` bytes (terminator excluded) exceeded the maximum and was discarded.
        case overlong(length: Int)
    }

    public let maxLength: Int
    private var partial: [UInt8] = []
    private var discarding = false
    private var discardedLength = 0
    private var lastWasCR = false

    public init(maxLength: Int) {
        precondition(maxLength > 0)
        self.maxLength = maxLength
    }

    /// Bytes held for a line that has not ended yet.
    public var partialCount: Int { partial.count }

    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Output] {
        var out: [Output] = []
        for b in bytes {
            if b == 0x0A || b == 0x0D {
                if b == 0x0A && lastWasCR {
                    lastWasCR = false
                    continue
                }
                lastWasCR = (b == 0x0D)
                finishLine(into: &out)
                continue
            }
            lastWasCR = false
            if discarding {
                discardedLength += 1
            } else if partial.count == maxLength {
                discarding = true
                discardedLength = partial.count + 1
                partial.removeAll(keepingCapacity: true)
            } else {
                partial.append(b)
            }
        }
        return out
    }

    /// Forgets a partial line; used when the bytes behind it were left unread in the source
    /// and will be fed again.
    public mutating func discardPartial() {
        partial.removeAll(keepingCapacity: true)
    }

    private mutating func finishLine(into out: inout [Output]) {
        if discarding {
            out.append(.overlong(length: discardedLength))
            discarding = false
            discardedLength = 0
        } else if !partial.isEmpty {
            out.append(.line(partial))
            partial.removeAll(keepingCapacity: true)
        }
    }
}
