import NIOCore
import NIOEmbedded
import XCTest

@testable import CaseServerKit

/// The PROXY protocol header haproxy's `send-proxy`/`send-proxy-v2` puts before a passed-through
/// connection: parsed in both versions, whole or in pieces, and believed from a trusted
/// balancer only.
final class ProxyHeaderTests: XCTestCase {
    static let v2Prefix: [UInt8] = ProxyHeader.v2Signature

    static func v2IPv4(_ a: [UInt8], port: UInt16 = 51234, command: UInt8 = 0x21) -> [UInt8] {
        v2Prefix + [command, 0x11, 0x00, 0x0C] + a + [127, 0, 0, 1] + [
            UInt8(port >> 8), UInt8(port & 0xFF), 0x20, 0xFB,
        ]
    }

    func testVersion2IPv4IPv6AndLocal() {
        let v4 = Self.v2IPv4([192, 0, 2, 7])
        XCTAssertEqual(ProxyHeader.parse(v4 + [0x16, 0x03]), .header(length: 28, source: "192.0.2.7"))
        let v6 =
            Self.v2Prefix + [0x21, 0x21, 0x00, 0x24] + [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11)
            + [1] + [UInt8](repeating: 0, count: 16) + [0, 1, 0, 2]
        XCTAssertEqual(ProxyHeader.parse(v6), .header(length: 52, source: "2001:db8:0:0:0:0:0:1"))
        let local = Self.v2Prefix + [0x20, 0x00, 0x00, 0x00]
        XCTAssertEqual(ProxyHeader.parse(local), .header(length: 16, source: nil))
        // With TLVs after the addresses (haproxy may add some): the length covers them.
        let tlv =
            Self.v2Prefix + [0x21, 0x11, 0x00, 0x10] + [10, 0, 0, 9, 10, 0, 0, 1, 0, 1, 0, 2] + [
                0x04, 0x00, 0x01, 0x00,
            ]
        XCTAssertEqual(ProxyHeader.parse(tlv), .header(length: 32, source: "10.0.0.9"))
    }

    func testVersion1() {
        let line = Array("PROXY TCP4 198.51.100.4 192.0.2.2 51234 8443\r\n".utf8)
        XCTAssertEqual(ProxyHeader.parse(line + [0x16]), .header(length: line.count, source: "198.51.100.4"))
        XCTAssertEqual(ProxyHeader.parse(Array("PROXY UNKNOWN\r\n".utf8)), .header(length: 15, source: nil))
        XCTAssertEqual(
            ProxyHeader.parse(Array("PROXY TCP4 not.an.ip.x 192.0.2.2 1 2\r\n".utf8)),
            .malformed("PROXY v1 line is not PROXY TCP4|TCP6 SRC DST SPORT DPORT")
        )
        XCTAssertEqual(
            ProxyHeader.parse(Array(("PROXY TCP4 " + String(repeating: "1", count: 120)).utf8)),
            .malformed("PROXY v1 line longer than 107 bytes")
        )
    }

    func testPiecesNeedMoreAndOtherBytesAreNoHeader() {
        let v4 = Self.v2IPv4([192, 0, 2, 7])
        for cut in [1, 5, 12, 15, 20, 27] { XCTAssertEqual(ProxyHeader.parse(v4.prefix(cut)), .needMore, "\(cut)") }
        XCTAssertEqual(ProxyHeader.parse(Array("PROXY TCP4 1.2".utf8)), .needMore)
        XCTAssertEqual(ProxyHeader.parse([0x16, 0x03, 0x01, 0x02, 0x00]), .absent, "a TLS ClientHello")
        XCTAssertEqual(ProxyHeader.parse(Array("GET / HTTP/1.1\r\n".utf8)), .absent)
        XCTAssertEqual(
            ProxyHeader.parse(Self.v2Prefix + [0x11, 0x11, 0, 0]),
            .malformed("PROXY v2 header of version 1")
        )
        XCTAssertEqual(
            ProxyHeader.parse(Self.v2Prefix + [0x21, 0x11, 0xFF, 0xFF]),
            .malformed("PROXY v2 header of 65535 bytes")
        )
    }

    /// From the trusted balancer, in two reads: the header is taken off, the rest passes on, and
    /// the address is recorded for the connection (and forgotten when it closes).
    func testTheHandlerTakesTheHeaderOffATrustedPeersStream() throws {
        let channel = EmbeddedChannel()
        channel.remoteAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 40000)
        try channel.pipeline.syncOperations.addHandler(ProxyProtocolHandler(trustedProxies: ["127.0.0.1"]))
        let header = Self.v2IPv4([192, 0, 2, 7])
        try channel.writeInbound(ByteBuffer(bytes: header.prefix(10)))
        XCTAssertNil(try channel.readInbound(as: ByteBuffer.self))
        try channel.writeInbound(ByteBuffer(bytes: header.dropFirst(10) + [0x16, 0x03]))
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self), ByteBuffer(bytes: [0x16, 0x03]))
        XCTAssertEqual(ProxiedClients.shared.address(of: channel), "192.0.2.7")
        try channel.writeInbound(ByteBuffer(bytes: Self.v2IPv4([10, 9, 9, 9])))
        XCTAssertEqual(
            try channel.readInbound(as: ByteBuffer.self)?.readableBytes,
            28,
            "once per connection: a second header is data"
        )
        _ = try channel.finish()
        XCTAssertNil(ProxiedClients.shared.address(of: channel))
    }

    /// From anyone else the same bytes are data: nobody but the balancer can claim an address.
    func testAnUntrustedPeersHeaderIsData() throws {
        let channel = EmbeddedChannel()
        channel.remoteAddress = try SocketAddress(ipAddress: "127.0.0.9", port: 40000)
        try channel.pipeline.syncOperations.addHandler(ProxyProtocolHandler(trustedProxies: ["127.0.0.1"]))
        let header = Self.v2IPv4([192, 0, 2, 7])
        try channel.writeInbound(ByteBuffer(bytes: header))
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self), ByteBuffer(bytes: header))
        XCTAssertNil(ProxiedClients.shared.address(of: channel))
        _ = try channel.finish()
    }

    func testAMalformedHeaderFromTheBalancerClosesTheConnection() throws {
        let channel = EmbeddedChannel()
        channel.remoteAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 40000)
        try channel.pipeline.syncOperations.addHandler(ProxyProtocolHandler(trustedProxies: ["127.0.0.1"]))
        try channel.writeInbound(ByteBuffer(bytes: Self.v2Prefix + [0x21, 0x11, 0xFF, 0xFF]))
        XCTAssertFalse(channel.isActive)
    }

    func testTheClientAddressIsTheProxiedOneOnlyFromATrustedPeer() throws {
        let balancer = try SocketAddress(ipAddress: "127.0.0.1", port: 1)
        let other = try SocketAddress(ipAddress: "127.0.0.9", port: 1)
        XCTAssertEqual(
            ClientAddress.of(peer: balancer, headers: [:], trustedProxies: ["127.0.0.1"], proxied: "192.0.2.7"),
            "192.0.2.7"
        )
        XCTAssertEqual(
            ClientAddress.of(peer: balancer, headers: [:], trustedProxies: [], proxied: "192.0.2.7"),
            "127.0.0.1"
        )
        XCTAssertEqual(
            ClientAddress.of(peer: other, headers: [:], trustedProxies: ["127.0.0.1"], proxied: nil),
            "127.0.0.9"
        )
    }
}
