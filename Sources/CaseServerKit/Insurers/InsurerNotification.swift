import Foundation
import GatewayCore

/// What an insurer is sent about a case (docs/insurers.md): the JSON body of one notification.
/// The subject is the insured object's id as the terminal's redaction left it, the same the
/// case shows; nothing else about the scan or the person who made it is sent.
public struct InsurerNotification: Codable, Sendable, Equatable {
    public enum Event: String, Codable, Sendable {
        /// A case was opened with this insurer covering its object.
        case opened
        /// The case handler changed the case's state.
        case stateChanged = "state_changed"
    }

    /// The case reference.
    public var `case`: String
    public var event: Event
    /// The case's state after the change.
    public var state: String
    public var insurer: String
    public var subject: String
    /// The label schema the subject was read with; nil when none matched.
    public var schema: String?
    /// The guidance the person on site was shown.
    public var guidanceID: String?
    /// When the case changed (RFC 3339, UTC); not when this was sent.
    public var time: String

    enum CodingKeys: String, CodingKey {
        case `case`, event, state, insurer, subject, schema
        case guidanceID = "guidance_id"
        case time
    }

    public init(
        case ref: String,
        event: Event,
        state: String,
        insurer: String,
        subject: String,
        schema: String?,
        guidanceID: String?,
        time: String
    ) {
        self.case = ref
        self.event = event
        self.state = state
        self.insurer = insurer
        self.subject = subject
        self.schema = schema
        self.guidanceID = guidanceID
        self.time = time
    }

    /// The body as sent and signed: compact JSON, keys sorted, every key present (null when
    /// absent), so a receiver sees the same shape every time.
    public func body() -> String {
        func quoted(_ s: String?) -> String {
            guard let s else { return "null" }
            // Encoding a String cannot fail (JSONEncoder fails only on non-finite floats).
            return String(decoding: try! Self.encoder.encode(s), as: UTF8.self)
        }
        return "{\"case\":\(quoted(self.case)),\"event\":\(quoted(event.rawValue)),"
            + "\"guidance_id\":\(quoted(guidanceID)),\"insurer\":\(quoted(insurer)),"
            + "\"schema\":\(quoted(schema)),\"state\":\(quoted(state)),\"subject\":\(quoted(subject)),"
            + "\"time\":\(quoted(time))}"
    }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return e
    }()
}
