import NIOCore
import PorticoCore
import Testing

@Suite("PROXY protocol")
struct ProxyProtocolTests {
    static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// A v2 header: signature, version/command, family/transport, length, body.
    static func v2(_ versionCommand: UInt8, _ family: UInt8, _ body: [UInt8], length: Int? = nil) -> [UInt8] {
        let length = length ?? body.count
        return signature + [versionCommand, family, UInt8(length >> 8), UInt8(length & 0xFF)] + body
    }

    static let ipv4Block: [UInt8] = [192, 0, 2, 1, 198, 51, 100, 2, 0xDB, 0xF4, 0x01, 0xBB]  // 56308 -> 443
    static let ipv6Block: [UInt8] =
        [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]
        + [UInt8](repeating: 0, count: 15) + [1] + [0xFF, 0xFF, 0x00, 0x50]  // 65535 -> 80
    /// ALPN "h2", NOOP with 3 bytes of padding, AUTHORITY "example.com".
    static let tlvBlock: [UInt8] =
        [0x01, 0x00, 0x02] + Array("h2".utf8) + [0x04, 0x00, 0x03, 0, 0, 0] + [0x02, 0x00, 0x0B]
        + Array("example.com".utf8)

    struct Valid: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var version: ProxyHeader.Version
        var isLocal: Bool
        var source: String?
        var sourcePort: Int?
        var destination: String?
        var destinationPort: Int?
        var tlvs: [UInt8] = []
        var testDescription: String { name }
    }

    static let longV6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"

    static let valid: [Valid] = [
        Valid(
            name: "v1 TCP4", bytes: Array("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n".utf8), version: .v1,
            isLocal: false, source: "192.168.0.1", sourcePort: 56324, destination: "192.168.0.11", destinationPort: 443),
        Valid(
            name: "v1 TCP4 extremes", bytes: Array("PROXY TCP4 255.255.255.255 0.0.0.0 65535 0\r\n".utf8), version: .v1,
            isLocal: false, source: "255.255.255.255", sourcePort: 65535, destination: "0.0.0.0", destinationPort: 0),
        Valid(
            name: "v1 TCP6", bytes: Array("PROXY TCP6 2001:db8::1 ::1 51000 8443\r\n".utf8), version: .v1,
            isLocal: false,
            source: "2001:db8::1", sourcePort: 51000, destination: "::1", destinationPort: 8443),
        Valid(
            name: "v1 TCP6 longest (104 bytes)", bytes: Array("PROXY TCP6 \(longV6) \(longV6) 65535 65535\r\n".utf8),
            version: .v1, isLocal: false, source: longV6, sourcePort: 65535, destination: longV6, destinationPort: 65535
        ),
        Valid(name: "v1 UNKNOWN", bytes: Array("PROXY UNKNOWN\r\n".utf8), version: .v1, isLocal: true),
        Valid(
            name: "v1 UNKNOWN longest (107 bytes)",
            bytes: Array("PROXY UNKNOWN \(longV6) \(longV6) 65535 65535\r\n".utf8),
            version: .v1, isLocal: true),
        Valid(
            name: "v1 UNKNOWN with junk", bytes: Array("PROXY UNKNOWN what  ever\r\n".utf8), version: .v1, isLocal: true
        ),
        Valid(
            name: "v2 TCP over IPv4", bytes: v2(0x21, 0x11, ipv4Block), version: .v2, isLocal: false,
            source: "192.0.2.1",
            sourcePort: 56308, destination: "198.51.100.2", destinationPort: 443),
        Valid(
            name: "v2 TCP over IPv6", bytes: v2(0x21, 0x21, ipv6Block), version: .v2, isLocal: false,
            source: "2001:db8::1",
            sourcePort: 65535, destination: "::1", destinationPort: 80),
        Valid(
            name: "v2 IPv4 with TLVs", bytes: v2(0x21, 0x11, ipv4Block + tlvBlock), version: .v2, isLocal: false,
            source: "192.0.2.1", sourcePort: 56308, destination: "198.51.100.2", destinationPort: 443, tlvs: tlvBlock),
        Valid(
            name: "v2 IPv6 with TLVs", bytes: v2(0x21, 0x21, ipv6Block + tlvBlock), version: .v2, isLocal: false,
            source: "2001:db8::1", sourcePort: 65535, destination: "::1", destinationPort: 80, tlvs: tlvBlock),
        Valid(name: "v2 LOCAL", bytes: v2(0x20, 0x00, []), version: .v2, isLocal: true),
        Valid(name: "v2 LOCAL with an address block", bytes: v2(0x20, 0x11, ipv4Block), version: .v2, isLocal: true),
        Valid(name: "v2 LOCAL ignores the family", bytes: v2(0x20, 0xFF, [1, 2, 3]), version: .v2, isLocal: true),
        Valid(name: "v2 PROXY UNSPEC", bytes: v2(0x21, 0x00, []), version: .v2, isLocal: false),
        Valid(name: "v2 UDP over IPv4", bytes: v2(0x21, 0x12, ipv4Block), version: .v2, isLocal: false),
        Valid(
            name: "v2 UDP over IPv6", bytes: v2(0x21, 0x22, ipv6Block + tlvBlock), version: .v2, isLocal: false,
            tlvs: tlvBlock),
        Valid(
            name: "v2 UNIX stream", bytes: v2(0x21, 0x31, [UInt8](repeating: 0x61, count: 216)), version: .v2,
            isLocal: false),
    ]

    static let trailer = Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)

    @Test(arguments: valid)
    func parsesAndLeavesTheRest(_ c: Valid) throws {
        var buffer = ByteBuffer(bytes: c.bytes + Self.trailer)
        guard case .header(let header) = ProxyProtocol.parse(&buffer) else {
            Issue.record("not parsed: \(ProxyProtocol.parse(&buffer))")
            return
        }
        #expect(header.version == c.version)
        #expect(header.isLocal == c.isLocal)
        #expect(header.source == c.source.flatMap { IPAddress($0) })
        #expect(header.sourcePort == c.sourcePort)
        #expect(header.destination == c.destination.flatMap { IPAddress($0) })
        #expect(header.destinationPort == c.destinationPort)
        #expect(Array(header.tlvs.readableBytesView) == c.tlvs)
        #expect(header.length == c.bytes.count)
        #expect(Array(buffer.readableBytesView) == Self.trailer)
    }

    @Test(arguments: valid)
    func needsMoreDataAtEverySplitPoint(_ c: Valid) {
        for split in 0..<c.bytes.count {
            var buffer = ByteBuffer(bytes: c.bytes[..<split])
            #expect(ProxyProtocol.parse(&buffer) == .needMoreData, "\(split) bytes")
            #expect(buffer.readableBytes == split)
        }
        var whole = ByteBuffer(bytes: c.bytes)
        guard case .header = ProxyProtocol.parse(&whole) else {
            Issue.record("whole header not parsed")
            return
        }
        #expect(whole.readableBytes == 0)
    }

    @Test func parsesAtANonZeroReaderIndex() throws {
        var buffer = ByteBuffer(
            bytes: Array("junk".utf8) + Self.v2(0x21, 0x11, Self.ipv4Block + Self.tlvBlock) + [0x42])
        buffer.moveReaderIndex(forwardBy: 4)
        guard case .header(let header) = ProxyProtocol.parse(&buffer) else {
            Issue.record("not parsed")
            return
        }
        #expect(Array(header.tlvs.readableBytesView) == Self.tlvBlock)
        #expect(Array(buffer.readableBytesView) == [0x42])
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var reason: String
        var testDescription: String { name }
        init(_ name: String, _ bytes: [UInt8], _ reason: String) {
            self.name = name
            self.bytes = bytes
            self.reason = reason
        }
        init(_ name: String, _ text: String, _ reason: String) {
            self.init(name, Array(text.utf8), reason)
        }
    }

    static let notProxy = "not a PROXY protocol header"
    static let fields = "wrong number of fields in PROXY v1 line"
    static let address = "invalid address in PROXY v1 line"
    static let port = "invalid port in PROXY v1 line"

    static let invalid: [Invalid] = [
        Invalid("HTTP request", "GET / HTTP/1.1\r\n", notProxy),
        Invalid("TLS ClientHello, one byte", [0x16], notProxy),
        Invalid("lower-case proxy", "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", notProxy),
        Invalid("PROXX", "PROXX", notProxy),
        Invalid("PROXY without space", "PROXYTCP4", notProxy),
        Invalid("bare LF", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "invalid byte in PROXY v1 line"),
        Invalid("CR without LF", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", "CR not followed by LF in PROXY v1 line"),
        Invalid("CR CR LF", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", "CR not followed by LF in PROXY v1 line"),
        Invalid("NUL in line", "PROXY TCP4 1.2.3.4\u{0} 5.6.7.8 1 2\r\n", "invalid byte in PROXY v1 line"),
        Invalid("non-ASCII", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2é\r\n", "invalid byte in PROXY v1 line"),
        Invalid(
            "no CRLF in 107 bytes", "PROXY UNKNOWN " + String(repeating: "a", count: 100),
            "PROXY v1 line longer than 107 bytes"),
        Invalid(
            "108-byte line", "PROXY UNKNOWN \(longV6) \(longV6) 65535 655350\r\n", "PROXY v1 line longer than 107 bytes"
        ),
        Invalid("empty protocol", "PROXY \r\n", "unknown protocol in PROXY v1 line"),
        Invalid("unknown protocol", "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "unknown protocol in PROXY v1 line"),
        Invalid("UNKNOWNX", "PROXY UNKNOWNX\r\n", "unknown protocol in PROXY v1 line"),
        Invalid("lower-case tcp4", "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", "unknown protocol in PROXY v1 line"),
        Invalid("double space", "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "unknown protocol in PROXY v1 line"),
        Invalid("double space between fields", "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", fields),
        Invalid("trailing space", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", fields),
        Invalid("missing port", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", fields),
        Invalid("extra field", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", fields),
        Invalid("TCP4 only", "PROXY TCP4\r\n", fields),
        Invalid("IPv6 in TCP4", "PROXY TCP4 ::1 ::1 1 2\r\n", address),
        Invalid("IPv4 in TCP6", "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n", address),
        Invalid("mixed families", "PROXY TCP6 ::1 5.6.7.8 1 2\r\n", address),
        Invalid("leading zero in address", "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", address),
        Invalid("short address", "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", address),
        Invalid("bracketed IPv6", "PROXY TCP6 [::1] ::1 1 2\r\n", address),
        Invalid("port with leading zero", "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", port),
        Invalid("port too large", "PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n", port),
        Invalid("port too long", "PROXY TCP4 1.2.3.4 5.6.7.8 1 000001\r\n", port),
        Invalid("negative port", "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", port),
        Invalid("port with sign", "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", port),
        Invalid("v2 version 1", v2(0x11, 0x11, ipv4Block), "unsupported PROXY protocol version"),
        Invalid("v2 version 3", v2(0x31, 0x11, ipv4Block), "unsupported PROXY protocol version"),
        Invalid("v2 command 2", v2(0x22, 0x11, ipv4Block), "unknown PROXY v2 command"),
        Invalid("v2 family 4", v2(0x21, 0x41, ipv4Block), "unknown PROXY v2 address family or transport"),
        Invalid("v2 transport 3", v2(0x21, 0x13, ipv4Block), "unknown PROXY v2 address family or transport"),
        Invalid("v2 IPv4 block too short", v2(0x21, 0x11, Array(ipv4Block[..<8])), "PROXY v2 address block too short"),
        Invalid("v2 IPv6 block too short", v2(0x21, 0x21, ipv4Block), "PROXY v2 address block too short"),
        Invalid("v2 UNIX block too short", v2(0x21, 0x31, ipv6Block), "PROXY v2 address block too short"),
        Invalid("v2 TLV header cut", v2(0x21, 0x11, ipv4Block + [0x01, 0x00]), "malformed PROXY v2 TLV"),
        Invalid(
            "v2 TLV value overruns", v2(0x21, 0x11, ipv4Block + [0x01, 0x00, 0x05, 0x61]), "malformed PROXY v2 TLV"),
        Invalid(
            "v2 second TLV overruns", v2(0x21, 0x11, ipv4Block + tlvBlock + [0x04, 0x01, 0x00]),
            "malformed PROXY v2 TLV"),
        Invalid("v2 signature with HTTP after CRLF CRLF", Array("\r\n\r\nGET".utf8), notProxy),
    ]

    @Test(arguments: invalid)
    func rejects(_ c: Invalid) {
        var buffer = ByteBuffer(bytes: c.bytes)
        #expect(ProxyProtocol.parse(&buffer) == .invalid(c.reason))
        #expect(buffer.readableBytes == c.bytes.count)
    }

    /// A corrupted signature byte is refused as soon as that byte arrives.
    @Test func v2SignatureMismatchIsDetectedEarly() {
        for position in 1..<Self.signature.count {
            var bytes = Self.signature
            bytes[position] ^= 0x01
            var buffer = ByteBuffer(bytes: bytes[...position])
            #expect(ProxyProtocol.parse(&buffer) == .invalid(Self.notProxy), "byte \(position)")
        }
        for position in 1..<6 {
            var bytes = Array("PROXY ".utf8)
            bytes[position] ^= 0x20
            var buffer = ByteBuffer(bytes: bytes[...position])
            #expect(ProxyProtocol.parse(&buffer) == .invalid(Self.notProxy), "byte \(position)")
        }
    }

    @Test func emptyBufferNeedsMoreData() {
        var buffer = ByteBuffer()
        #expect(ProxyProtocol.parse(&buffer) == .needMoreData)
    }

    /// v2 headers whose announced length has not fully arrived wait, even when the
    /// fixed part already says how long they are.
    @Test func v2WaitsForTheAnnouncedLength() {
        var buffer = ByteBuffer(bytes: Self.v2(0x21, 0x11, Self.ipv4Block, length: 300) + Self.ipv4Block)
        #expect(ProxyProtocol.parse(&buffer) == .needMoreData)
    }
}
