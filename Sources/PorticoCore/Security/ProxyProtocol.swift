import NIOCore

/// The connection information a PROXY protocol header carries (HAProxy's
/// proxy-protocol.txt, versions 1 and 2).
///
/// When `source` is `nil`, use the connection's real endpoints. That is the case for
/// `isLocal` (v2 `LOCAL`, v1 `UNKNOWN`: health checks and connections the proxy made on
/// its own) and also for v2 `PROXY` headers whose family or transport is `UNSPEC`,
/// `AF_UNIX` or UDP, which a TCP listener has no use for (§2.2: receivers "fall back to
/// the UNSPEC mode").
public struct ProxyHeader: Sendable, Hashable {
    public enum Version: Sendable, Hashable {
        case v1
        case v2
    }

    public var version: Version
    public var isLocal: Bool
    public var source: IPAddress?
    public var sourcePort: Int?
    public var destination: IPAddress?
    public var destinationPort: Int?
    /// The v2 TLV vectors (§2.2.1–§2.2.8) after the address block, unparsed but checked
    /// to be well framed; empty for v1 and when there are none. A slice of the received
    /// buffer: no copy.
    public var tlvs: ByteBuffer
    /// Bytes the header took on the wire (consumed from the buffer).
    public var length: Int

    public init(
        version: Version, isLocal: Bool, source: IPAddress? = nil, sourcePort: Int? = nil,
        destination: IPAddress? = nil, destinationPort: Int? = nil, tlvs: ByteBuffer = ByteBuffer(), length: Int
    ) {
        self.version = version
        self.isLocal = isLocal
        self.source = source
        self.sourcePort = sourcePort
        self.destination = destination
        self.destinationPort = destinationPort
        self.tlvs = tlvs
        self.length = length
    }
}

public enum ProxyProtocolResult: Sendable, Hashable {
    /// The bytes so far are a valid beginning; read more and call `parse` again.
    case needMoreData
    /// Not a valid PROXY protocol header: close the connection (§2.1, "any sequence which
    /// does not exactly match the protocol must be discarded").
    case invalid(String)
    case header(ProxyHeader)
}

/// Parser for the PROXY protocol header a load balancer sends at the start of a
/// connection. Both versions are accepted on the same listener (§2.2 "a receiver may be
/// configured to support both"); which one is decided by the first byte (`P` for v1,
/// CR for v2), and anything else is invalid at once.
///
/// The listener must only be reachable by trusted proxies: the header is believed as is.
/// Bound the wait for a complete header with a timeout (§1 suggests a few seconds): a v2
/// header may announce up to 65,551 bytes.
public enum ProxyProtocol {
    /// §2.1: the longest v1 line, CRLF included.
    public static let v1MaxLength = 107
    /// §2.2: the 16-byte fixed part of a v2 header.
    public static let v2FixedLength = 16

    /// Parses a header at the reader index of `buffer`. On `.header` exactly the header's
    /// bytes are consumed and whatever follows (the client's first bytes) stays readable;
    /// otherwise the buffer is left untouched.
    public static func parse(_ buffer: inout ByteBuffer) -> ProxyProtocolResult {
        guard buffer.readableBytes > 0 else { return .needMoreData }
        let scan = buffer.withUnsafeReadableBytes { raw -> Scan in
            let p = raw.assumingMemoryBound(to: UInt8.self)
            switch p[0] {
            case 0x50: return scanV1(p)
            case 0x0D: return scanV2(p)
            default: return .invalid("not a PROXY protocol header")
            }
        }
        switch scan {
        case .needMoreData:
            return .needMoreData
        case .invalid(let reason):
            return .invalid(reason)
        case .header(var header, let tlvOffset, let tlvLength):
            if tlvLength > 0, let slice = buffer.getSlice(at: buffer.readerIndex + tlvOffset, length: tlvLength) {
                header.tlvs = slice
            }
            buffer.moveReaderIndex(forwardBy: header.length)
            return .header(header)
        }
    }

    private enum Scan {
        case needMoreData
        case invalid(String)
        case header(ProxyHeader, tlvOffset: Int, tlvLength: Int)
    }

    // MARK: - Version 1 (§2.1)

    private static let v1Prefix: StaticString = "PROXY "

    private static func scanV1(_ p: UnsafeBufferPointer<UInt8>) -> Scan {
        let prefix = UnsafeBufferPointer(start: v1Prefix.utf8Start, count: v1Prefix.utf8CodeUnitCount)
        for k in 0..<min(p.count, prefix.count) where p[k] != prefix[k] {
            return .invalid("not a PROXY protocol header")
        }
        // The CR must be at index 105 at the latest (107 bytes with CRLF).
        let lastCR = v1MaxLength - 2
        var cr = -1
        var k = prefix.count
        while k < min(p.count, lastCR + 1) {
            let b = p[k]
            if b == ASCII.cr {
                cr = k
                break
            }
            if b < 0x20 || b > 0x7E { return .invalid("invalid byte in PROXY v1 line") }
            k += 1
        }
        if cr < 0 {
            return p.count > lastCR ? .invalid("PROXY v1 line longer than 107 bytes") : .needMoreData
        }
        guard cr + 1 < p.count else { return .needMoreData }
        guard p[cr + 1] == ASCII.lf else { return .invalid("CR not followed by LF in PROXY v1 line") }
        return parseV1Line(p, prefix.count, cr)
    }

    /// `TCP4 src dst sport dport`, `TCP6 …` or `UNKNOWN[ anything]` in `p[start..<end]`,
    /// fields separated by exactly one space.
    private static func parseV1Line(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Scan {
        let length = end + 2
        var cursor = start
        func nextField() -> Range<Int> {
            let lo = cursor
            while cursor < end, p[cursor] != ASCII.space { cursor += 1 }
            defer { cursor += 1 }
            return lo..<cursor
        }
        let proto = nextField()
        // "UNKNOWN": the receiver must ignore the rest of the line (§2.1).
        if matches(p, proto, "UNKNOWN") {
            return .header(ProxyHeader(version: .v1, isLocal: true, length: length), tlvOffset: 0, tlvLength: 0)
        }
        let family: IPAddress.Family
        if matches(p, proto, "TCP4") {
            family = .ipv4
        } else if matches(p, proto, "TCP6") {
            family = .ipv6
        } else {
            return .invalid("unknown protocol in PROXY v1 line")
        }
        let sourceField = nextField()
        let destinationField = nextField()
        let sourcePortField = nextField()
        let destinationPortField = nextField()
        // Exactly five fields: the last one ended at the CR (a trailing space, a missing or
        // an extra field all leave the cursor elsewhere).
        guard cursor == end + 1 else { return .invalid("wrong number of fields in PROXY v1 line") }
        guard let source = address(p, sourceField), source.family == family,
            let destination = address(p, destinationField), destination.family == family
        else { return .invalid("invalid address in PROXY v1 line") }
        guard let sourcePort = port(p, sourcePortField), let destinationPort = port(p, destinationPortField)
        else { return .invalid("invalid port in PROXY v1 line") }
        let header = ProxyHeader(
            version: .v1, isLocal: false, source: source, sourcePort: sourcePort, destination: destination,
            destinationPort: destinationPort, length: length)
        return .header(header, tlvOffset: 0, tlvLength: 0)
    }

    private static func matches(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ word: StaticString) -> Bool {
        guard range.count == word.utf8CodeUnitCount else { return false }
        for k in 0..<range.count where p[range.lowerBound + k] != word.utf8Start[k] { return false }
        return true
    }

    private static func address(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> IPAddress? {
        guard !range.isEmpty else { return nil }
        return IPAddress.parse(UnsafeBufferPointer(rebasing: p[range]))
    }

    /// §2.1: decimal 0–65535, "heading zeroes are not permitted".
    private static func port(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        let lo = range.lowerBound
        let hi = range.upperBound
        guard lo < hi, hi - lo <= 5, hi - lo == 1 || p[lo] != 0x30 else { return nil }
        var value = 0
        for k in lo..<hi {
            guard ASCII.isDigit(p[k]) else { return nil }
            value = value * 10 + Int(p[k] &- 0x30)
        }
        return value <= 65535 ? value : nil
    }

    // MARK: - Version 2 (§2.2)

    /// `\r\n\r\n\0\r\nQUIT\n`.
    static let v2Signature: (UInt64, UInt32) = (0x0D0A_0D0A_000D_0A51, 0x5549_540A)

    @inline(__always)
    private static func signatureByte(_ k: Int) -> UInt8 {
        k < 8
            ? UInt8(truncatingIfNeeded: v2Signature.0 >> UInt64(56 - 8 * k))
            : UInt8(truncatingIfNeeded: v2Signature.1 >> UInt32(24 - 8 * (k - 8)))
    }

    private static func scanV2(_ p: UnsafeBufferPointer<UInt8>) -> Scan {
        for k in 0..<min(p.count, 12) where p[k] != signatureByte(k) {
            return .invalid("not a PROXY protocol header")
        }
        guard p.count > 12 else { return .needMoreData }
        let versionCommand = p[12]
        guard versionCommand >> 4 == 2 else { return .invalid("unsupported PROXY protocol version") }
        let command = versionCommand & 0x0F
        guard command <= 1 else { return .invalid("unknown PROXY v2 command") }
        let isLocal = command == 0
        guard p.count > 13 else { return .needMoreData }
        let family = p[13] >> 4
        let transport = p[13] & 0x0F
        // LOCAL: "discard the protocol block including the family which is ignored".
        if !isLocal, family > 3 || transport > 2 { return .invalid("unknown PROXY v2 address family or transport") }
        guard p.count >= v2FixedLength else { return .needMoreData }
        let length = v2FixedLength + (Int(p[14]) << 8 | Int(p[15]))
        guard p.count >= length else { return .needMoreData }
        if isLocal {
            return .header(ProxyHeader(version: .v2, isLocal: true, length: length), tlvOffset: 0, tlvLength: 0)
        }
        // Address block size; 0 when the family or the transport is UNSPEC (nothing to skip
        // reliably, so TLVs are not looked at either).
        let addressLength: Int
        switch (family, transport) {
        case (0, _), (_, 0): addressLength = 0
        case (1, _): addressLength = 12
        case (2, _): addressLength = 36
        default: addressLength = 216
        }
        guard length - v2FixedLength >= addressLength else { return .invalid("PROXY v2 address block too short") }
        var header = ProxyHeader(version: .v2, isLocal: false, length: length)
        let base = v2FixedLength
        switch p[13] {
        case 0x11:  // TCP over IPv4
            header.source = IPAddress(bytes: UnsafeBufferPointer(rebasing: p[base..<base + 4]))
            header.destination = IPAddress(bytes: UnsafeBufferPointer(rebasing: p[base + 4..<base + 8]))
            header.sourcePort = Int(p[base + 8]) << 8 | Int(p[base + 9])
            header.destinationPort = Int(p[base + 10]) << 8 | Int(p[base + 11])
        case 0x21:  // TCP over IPv6
            header.source = IPAddress(bytes: UnsafeBufferPointer(rebasing: p[base..<base + 16]))
            header.destination = IPAddress(bytes: UnsafeBufferPointer(rebasing: p[base + 16..<base + 32]))
            header.sourcePort = Int(p[base + 32]) << 8 | Int(p[base + 33])
            header.destinationPort = Int(p[base + 34]) << 8 | Int(p[base + 35])
        default:
            break  // UDP, AF_UNIX, UNSPEC: no usable address
        }
        guard addressLength > 0 else {
            return .header(header, tlvOffset: 0, tlvLength: 0)
        }
        // TLVs: type (1 byte), length (2 bytes, big-endian), value.
        let tlvStart = base + addressLength
        var offset = tlvStart
        while offset < length {
            guard length - offset >= 3 else { return .invalid("malformed PROXY v2 TLV") }
            offset += 3 + (Int(p[offset + 1]) << 8 | Int(p[offset + 2]))
            guard offset <= length else { return .invalid("malformed PROXY v2 TLV") }
        }
        return .header(header, tlvOffset: tlvStart, tlvLength: length - tlvStart)
    }
}
