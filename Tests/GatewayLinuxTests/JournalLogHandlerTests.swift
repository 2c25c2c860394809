import GatewayLinux
import Logging
import XCTest

final class JournalLogHandlerTests: XCTestCase {
    func testPriorityPrefixSortedMetadataAndNoLineBreaks() {
        XCTAssertEqual(
            JournalLogHandler.format(
                level: .warning,
                message: "delivery failed",
                metadata: ["reason": "refused", "attempt": "2"]
            ),
            "<4>delivery failed attempt=2 reason=refused"
        )
        XCTAssertEqual(
            JournalLogHandler.format(level: .error, message: "bad\nthing", metadata: ["error": "line 1\r\nline 2"]),
            "<3>bad\\nthing error=line 1\\r\\nline 2"
        )
        XCTAssertEqual(
            [Logger.Level.trace, .debug, .info, .notice, .warning, .error, .critical].map(JournalLogHandler.priority),
            [7, 7, 6, 5, 4, 3, 2]
        )
    }

    func testJournalOnlyWhenStderrIsTheNamedStream() {
        XCTAssertFalse(JournalLogHandler.stderrIsJournal(environment: [:]))
        XCTAssertFalse(JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "1:2"]))
        var st = stat()
        XCTAssertEqual(fstat(2, &st), 0)
        XCTAssertTrue(JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(st.st_dev):\(st.st_ino)"]))
    }
}
