/// An IPv4 or IPv6 address, parsed and printed without Foundation or `inet_pton`.
///
/// IPv4 text is the strict dotted quad (exactly four decimal parts 0–255, no leading
/// zeros beyond a single `0`, so `010.0.0.1` is not silently read as octal). IPv6 text is
/// any form of RFC 4291 §2.2: full, `::`-compressed, and with an embedded dotted quad in
/// the low 32 bits (`::ffff:192.0.2.1`, `64:ff9b::192.0.2.1`). Zone identifiers
/// (`fe80::1%eth0`, RFC 6874) and brackets (`[::1]`) are rejected: callers strip brackets
/// from URI hosts themselves. `description` is the RFC 5952 canonical form.
///
/// The value is 17 bytes of plain data: hashing, comparison and parsing never allocate.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: Sendable, Hashable {
        case ipv4
        case ipv6
    }

    public let family: Family
    /// IPv6: bits 127–64 (the first eight bytes, network order). IPv4: 0.
    @usableFromInline let high: UInt64
    /// IPv6: bits 63–0. IPv4: the address in the low 32 bits.
    @usableFromInline let low: UInt64

    /// The IPv4 address whose network-order bytes are those of `value` read big-endian
    /// (`0xC000_0201` is `192.0.2.1`).
    @inlinable
    public init(ipv4 value: UInt32) {
        family = .ipv4
        high = 0
        low = UInt64(value)
    }

    /// The IPv6 address with the given 64-bit halves (`high` holds the first eight bytes).
    @inlinable
    public init(ipv6High high: UInt64, low: UInt64) {
        family = .ipv6
        self.high = high
        self.low = low
    }

    /// Parses an IPv4 dotted quad or an IPv6 address (see the type's documentation).
    /// Returns `nil` for anything else, including surrounding whitespace and brackets.
    public init?(_ text: some StringProtocol) {
        let parsed: IPAddress?
        if let fast = text.utf8.withContiguousStorageIfAvailable({ IPAddress.parse($0) }) {
            parsed = fast
        } else {
            parsed = Array(text.utf8).withUnsafeBufferPointer { IPAddress.parse($0) }
        }
        guard let parsed else { return nil }
        self = parsed
    }

    /// The address in network byte order: 4 bytes for IPv4, 16 for IPv6 (as in
    /// `sockaddr_in` / `sockaddr_in6` and the PROXY protocol v2 address block). Any other
    /// count returns `nil`.
    public init?<Bytes: Collection<UInt8>>(bytes: Bytes) {
        switch bytes.count {
        case 4:
            var v: UInt32 = 0
            for b in bytes { v = v << 8 | UInt32(b) }
            self.init(ipv4: v)
        case 16:
            var h: UInt64 = 0
            var l: UInt64 = 0
            var i = 0
            for b in bytes {
                if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
                i += 1
            }
            self.init(ipv6High: h, low: l)
        default:
            return nil
        }
    }

    /// The 32-bit value of an IPv4 address; `nil` for IPv6 (including v4-mapped; use
    /// `unmapped` first).
    public var ipv4Value: UInt32? { family == .ipv4 ? UInt32(truncatingIfNeeded: low) : nil }

    /// The two halves of an IPv6 address; `nil` for IPv4.
    public var ipv6Value: (high: UInt64, low: UInt64)? { family == .ipv6 ? (high, low) : nil }

    /// True for `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2), the form in which a dual-stack
    /// socket reports IPv4 peers.
    @inlinable
    public var isIPv4MappedIPv6: Bool {
        family == .ipv6 && high == 0 && low >> 32 == 0xFFFF
    }

    /// The IPv4 address for a v4-mapped IPv6 address, `self` otherwise. Matching (CIDR,
    /// access lists, trusted proxies) always uses this form, so a client is the same
    /// whether it reached an IPv4 or a dual-stack listener.
    @inlinable
    public var unmapped: IPAddress {
        isIPv4MappedIPv6 ? IPAddress(ipv4: UInt32(truncatingIfNeeded: low)) : self
    }

    /// The v4-mapped IPv6 form (`::ffff:a.b.c.d`) of an IPv4 address, `self` otherwise.
    public var mapped: IPAddress {
        family == .ipv4 ? IPAddress(ipv6High: 0, low: 0xFFFF_0000_0000 | low) : self
    }

    /// The address as one 128-bit number (IPv4 in the low 32 bits), for range arithmetic.
    @inline(__always)
    var bits: UInt128 { UInt128(high) << 64 | UInt128(low) }

    // MARK: - Parsing (RFC 4291 §2.2)

    /// Longest accepted text: `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`. Longer
    /// input (extra leading zeros in groups are limited to four digits anyway) is rejected
    /// before scanning.
    static let maxTextLength = 45

    /// Parses the whole of `p` as an IPv4 or IPv6 address.
    static func parse(_ p: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        guard !p.isEmpty, p.count <= maxTextLength else { return nil }
        if p.contains(ASCII.colon) {
            return parseIPv6(p)
        }
        return parseIPv4(p, 0, p.count).map(IPAddress.init(ipv4:))
    }

    /// Strict dotted quad over `p[start..<end]`: four parts of one to three decimal
    /// digits, each 0–255, without leading zeros ("0" itself is fine).
    static func parseIPv4(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        var i = start
        while true {
            let partStart = i
            var part: UInt32 = 0
            while i < end, ASCII.isDigit(p[i]) {
                guard i - partStart < 3 else { return nil }
                part = part * 10 + UInt32(p[i] &- 0x30)
                i += 1
            }
            let length = i - partStart
            guard length > 0, part <= 255, length == 1 || p[partStart] != 0x30 else { return nil }
            value = value << 8 | part
            parts += 1
            if parts == 4 { return i == end ? value : nil }
            guard i < end, p[i] == ASCII.dot else { return nil }
            i += 1
        }
    }

    /// RFC 4291 §2.2 text forms 1–3: eight groups of one to four hex digits, at most one
    /// `::` standing for one or more zero groups, and optionally a dotted quad as the last
    /// 32 bits. Anything else (a lone leading or trailing `:`, `:::`, a fifth hex digit,
    /// nine groups, `%zone`) is rejected.
    static func parseIPv6(_ p: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        let n = p.count
        var groups = SIMD8<UInt16>()
        var count = 0
        var gap = -1
        var i = 0
        if p[0] == ASCII.colon {
            guard n >= 2, p[1] == ASCII.colon else { return nil }
            gap = 0
            i = 2
        }
        while i < n {
            let groupStart = i
            var value: UInt32 = 0
            while i < n, let digit = hexValue(p[i]) {
                value = value << 4 | UInt32(digit)
                i += 1
            }
            if i < n, p[i] == ASCII.dot {
                // Embedded IPv4 in the last 32 bits: reparse this part as a dotted quad.
                guard count <= 6, let v4 = parseIPv4(p, groupStart, n) else { return nil }
                groups[count] = UInt16(truncatingIfNeeded: v4 >> 16)
                groups[count + 1] = UInt16(truncatingIfNeeded: v4)
                count += 2
                break
            }
            let digits = i - groupStart
            guard digits >= 1, digits <= 4, count < 8 else { return nil }
            groups[count] = UInt16(truncatingIfNeeded: value)
            count += 1
            if i == n { break }
            guard p[i] == ASCII.colon else { return nil }
            i += 1
            if i < n, p[i] == ASCII.colon {
                guard gap < 0 else { return nil }
                gap = count
                i += 1
            } else if i == n {
                return nil  // trailing single ':'
            }
        }
        if gap < 0 {
            guard count == 8 else { return nil }
        } else {
            guard count < 8 else { return nil }  // "::" stands for at least one group
            let tail = count - gap
            var expanded = SIMD8<UInt16>()
            for k in 0..<gap { expanded[k] = groups[k] }
            for k in 0..<tail { expanded[8 - tail + k] = groups[gap + k] }
            groups = expanded
        }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for k in 0..<4 {
            h = h << 16 | UInt64(groups[k])
            l = l << 16 | UInt64(groups[k + 4])
        }
        return IPAddress(ipv6High: h, low: l)
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        if ASCII.isDigit(byte) { return byte &- 0x30 }
        let lower = byte | 0x20
        if (lower &- 0x61) < 6 { return lower &- 0x61 &+ 10 }
        return nil
    }
}
