/// An event as the server stored it.
public struct StoredEvent: Sendable {
    public var id: String
    public var device: String
    public var seq: Int64
    public var receivedAtNanos: Int64
    public var eventJSON: String

    public init(id: String, device: String, seq: Int64, receivedAtNanos: Int64, eventJSON: String) {
        self.id = id
        self.device = device
        self.seq = seq
        self.receivedAtNanos = receivedAtNanos
        self.eventJSON = eventJSON
    }
}
