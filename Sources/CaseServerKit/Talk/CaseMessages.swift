import GatewayCore

/// Where a case's messages to the person on site are kept: the questions and instructions case
/// handlers send (`send`), listed with the case (`CaseStatus.messages`, which the terminal
/// follows), and answered by the terminal's sealed `reply` events, which the store files in
/// the transaction that stores them (`CaseRepository.receive`). `SQLiteCaseStore` and
/// `PostgresCaseStore` conform.
public protocol CaseMessages: Sendable {
    /// Stores a checked message to the terminal of case `ref` and returns it as listed.
    /// - Throws: `CaseMessageError.noSuchCase` or `.caseIsFinal` (a terminal stops following a
    ///   final case, so nobody would see it).
    func send(_ draft: CaseMessageDraft, ref: String, sentBy: String, nowNanos: Int64) async throws -> CaseMessage

    /// The case's messages, oldest first (none for a case that does not exist).
    func messages(ref: String) async throws -> [CaseMessage]
}
