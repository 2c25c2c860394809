import GatewayCore

/// Where the forwarder sends a batch: `HTTPDeliverer` posts it to the case server; tests
/// answer from a script. A deliverer never throws: every way a POST can end is a
/// `DeliveryOutcome`, which `ForwarderStateMachine` turns into what happens next.
public protocol Deliverer: Sendable {
    func deliver(_ batch: [SpooledEnvelope]) async -> DeliveryOutcome

    /// Closes connections; called once no batch can still be using this deliverer.
    func shutdown() async
}

extension HTTPDeliverer: Deliverer {}
