import Foundation
import GatewayCore

/// A terminal's reply to a case message, as an opened event of kind "reply" carries it: the
/// message and case it answers (`reply`) and the answer (`text`, redacted on the terminal).
/// The store files it under the message in the transaction that stores the event.
public struct IncomingReply: Sendable, Equatable {
    public var message: String
    public var ref: String
    public var answer: String
    /// The reply event's id (its envelope's).
    public var eventID: String
    public var device: String

    public init(message: String, ref: String, answer: String, eventID: String, device: String) {
        self.message = message
        self.ref = ref
        self.answer = answer
        self.eventID = eventID
        self.device = device
    }

    /// The reply in an opened event; nil for any other kind, and for a reply without its
    /// `reply` member (stored like any event, filed under nothing).
    public static func read(_ header: EventHeader, json: String) -> IncomingReply? {
        guard header.kind == "reply",
            let event = try? CaptureEvent.decode(Array(json.utf8)),
            let reply = event.reply
        else { return nil }
        return IncomingReply(
            message: reply.message,
            ref: reply.ref,
            answer: event.text ?? "",
            eventID: header.id,
            device: header.device
        )
    }
}
