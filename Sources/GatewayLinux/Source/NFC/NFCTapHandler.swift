import GatewayCore
import Logging

/// What every NFC session does with a tag that arrived, whatever the backend: read it
/// (`NFCTapReader`), commit the tap to the spool, and only then tell the operator — green and a
/// beep once the tap is stored (a beep before the commit would promise what a power cut could
/// still take back), red and two beeps for a misread. Logs say what happened, never the UID.
struct NFCTapHandler {
    let committer: ScanCommitter
    let feedback: Bool
    private(set) var taps = 0
    private(set) var misreads = 0

    init(committer: ScanCommitter, feedback: Bool) {
        self.committer = committer
        self.feedback = feedback
    }

    /// A tap whose tag left (or failed) before even its UID was read: still reported, as a
    /// misread without a tag, so a hasty tap is seen rather than lost.
    mutating func unidentified(_ why: String) -> Bool {
        var scan = committer.scan([])
        scan.readFailure = Misread(format: "nfc", reason: why)
        guard committer.commit([scan]) else { return false }
        taps += 1
        misreads += 1
        committer.logger.warning("nfc tap misread", metadata: ["reader": "\(committer.readerID)", "reason": "\(why)"])
        return true
    }

    /// - Returns: false if the reader was stopped before the tap was committed.
    /// - Throws: only the reader going away; a tag that misbehaves is a misread.
    mutating func handle(_ arrived: NFCTarget, over transceiver: some NFCTransceiver) throws(NFCTransceiveError) -> Bool
    {
        let (outcome, target) = try NFCTapReader.read(arrived, over: transceiver)
        let tap = target.tap
        var scan: Scan
        switch outcome {
        case .message(let m):
            scan = committer.scan(m)
        case .uidOnly:
            scan = committer.scan(Array(tap.uid.utf8))
        case .misread(let why):
            scan = committer.scan([])
            scan.readFailure = Misread(format: "nfc", reason: why)
        }
        scan.nfc = tap
        guard committer.commit([scan]) else { return false }
        // Whether the tap is a misread is what its sealed event says: a torn read, a message that
        // does not parse, a schema's failed check.
        let failed = committer.lastMisreads.first?.reason
        taps += 1
        if failed != nil { misreads += 1 }
        let signalled = feedback && transceiver.signal(failed == nil ? .accepted : .misread)
        var meta: Logger.Metadata = [
            "reader": "\(committer.readerID)", "type": "\(target.type.rawValue)", "taps": "\(taps)",
            "signalled": "\(signalled)",
        ]
        if case .message(let m) = outcome { meta["ndef_bytes"] = "\(m.count)" }
        if let failed {
            meta["reason"] = "\(failed)"
            committer.logger.warning("nfc tap misread", metadata: meta)
        } else {
            committer.logger.debug("nfc tap stored", metadata: meta)
        }
        return true
    }
}
