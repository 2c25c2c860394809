/// Posts one notification and reduces whatever happens to a `WebhookOutcome`; never throws, so
/// the dispatcher has one place where outcomes become decisions. `HTTPWebhookSender` is the
/// real one; tests fake it.
public protocol WebhookSender: Sendable {
    /// - Parameter timeout: the whole exchange, connect to the end of the answer.
    func post(url: String, body: String, headers: [(String, String)], timeout: Duration) async -> WebhookOutcome
}
