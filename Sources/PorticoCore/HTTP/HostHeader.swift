/// Validation and normalisation of a `Host` field value or an absolute-form authority.
///
/// RFC 9110 §7.2: `Host = uri-host [ ":" port ]`, with `uri-host` from RFC 3986 §3.2.2
/// (`IP-literal / IPv4address / reg-name`). An invalid Host is a 400 (RFC 9112 §3.2).
/// HTTP URIs require a non-empty host (RFC 9110 §4.2.1), so an empty value is invalid too.
///
/// Normalisation only removes the port and a single trailing dot of a reg-name
/// (`Example.COM.:8080` → `Example.COM`, as nginx does); it does **not** lower-case, because
/// every comparison against routes folds case byte by byte instead of allocating a copy.
/// IP literals keep their brackets (`[::1]:80` → `[::1]`) so they cannot be confused with
/// a reg-name. Userinfo (`user@host`) is rejected (RFC 9110 §4.2.4: treat as an error).
public enum HostHeader {
    /// Returns the host to route on (no port) when `value` is a valid Host, else `nil`.
    /// The result is a slice of `value`; nothing is allocated.
    public static func normalizedHost(_ value: Substring) -> Substring? {
        let length = ASCII.withBytes(value) { Self.hostLength(of: $0) }
        guard length > 0 else { return nil }
        return ASCII.slice(value, 0, length)
    }

    /// The byte length of the normalised host at the start of `bytes`, or 0 when the whole
    /// value is not a valid Host. Works on contiguous bytes: this runs on every request.
    static func hostLength(of bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let n = bytes.count
        guard n > 0 else { return 0 }
        var end: Int
        let isLiteral = bytes[0] == ASCII.openBracket
        if isLiteral {
            var close = 1
            while close < n, bytes[close] != ASCII.closeBracket { close += 1 }
            guard close < n, isValidIPLiteralBody(UnsafeBufferPointer(rebasing: bytes[1..<close])) else { return 0 }
            end = close + 1
        } else {
            end = 0
            while end < n, bytes[end] != ASCII.colon {
                let byte = bytes[end]
                if byte == ASCII.percent {
                    // pct-encoded = "%" HEXDIG HEXDIG
                    guard end + 2 < n, ASCII.isHexDigit(bytes[end + 1]), ASCII.isHexDigit(bytes[end + 2]) else { return 0 }
                    end += 3
                    continue
                }
                guard ASCII.isRegNameChar(byte) else { return 0 }
                end += 1
            }
            guard end > 0 else { return 0 }  // empty host
        }
        if end < n {
            guard bytes[end] == ASCII.colon, isValidPort(UnsafeBufferPointer(rebasing: bytes[(end + 1)...])) else {
                return 0
            }
        }
        if !isLiteral, end > 1, bytes[end - 1] == ASCII.dot { end -= 1 }
        return end
    }

    /// Whether `value` is a syntactically valid Host field value.
    @inlinable
    public static func isValid(_ value: Substring) -> Bool {
        normalizedHost(value) != nil
    }

    /// RFC 3986 `port = *DIGIT`; an empty port is allowed by the grammar (`host:`).
    /// Values above 65535 are rejected: no TCP port can carry them.
    static func isValidPort(_ port: UnsafeBufferPointer<UInt8>) -> Bool {
        var value = 0
        var digits = 0
        for byte in port {
            guard ASCII.isDigit(byte) else { return false }
            digits += 1
            if digits > 5 { return false }
            value = value * 10 + Int(byte &- 0x30)
        }
        return value <= 65535
    }

    /// RFC 3986 §3.2.2: `IP-literal = "[" ( IPv6address / IPvFuture ) "]"`.
    /// Zone identifiers (RFC 6874) are not allowed in HTTP URIs and are rejected.
    static func isValidIPLiteralBody(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = u.first else { return false }
        if first == 0x76 || first == 0x56 {  // "v" / "V": IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
            var i = u.index(after: u.startIndex)
            var hex = 0
            while i < u.endIndex, ASCII.isHexDigit(u[i]) { hex += 1; u.formIndex(after: &i) }
            guard hex > 0, i < u.endIndex, u[i] == ASCII.dot else { return false }
            u.formIndex(after: &i)
            guard i < u.endIndex else { return false }
            while i < u.endIndex {
                let b = u[i]
                guard ASCII.isRegNameChar(b) || b == ASCII.colon else { return false }
                u.formIndex(after: &i)
            }
            return true
        }
        return isValidIPv6(u)
    }

    /// RFC 3986 §3.2.2 `IPv6address`: up to eight 16-bit hex groups, at most one `::`,
    /// optionally ending in a dotted IPv4 address that counts as two groups.
    static func isValidIPv6(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        var groups = 0
        var sawDoubleColon = false
        var i = u.startIndex
        if i < u.endIndex, u[i] == ASCII.colon {
            // Must be "::" at the start.
            let next = u.index(after: i)
            guard next < u.endIndex, u[next] == ASCII.colon else { return false }
            sawDoubleColon = true
            i = u.index(after: next)
            if i == u.endIndex { return true }  // "::"
        }
        while i < u.endIndex {
            // Parse one group (or a trailing IPv4 address).
            let groupStart = i
            var hexDigits = 0
            while i < u.endIndex, ASCII.isHexDigit(u[i]) { hexDigits += 1; u.formIndex(after: &i) }
            if i < u.endIndex, u[i] == ASCII.dot {
                // Embedded IPv4 must be the last element.
                guard isValidIPv4(UnsafeBufferPointer(rebasing: u[groupStart...])) else { return false }
                groups += 2
                i = u.endIndex
                break
            }
            guard hexDigits >= 1, hexDigits <= 4 else { return false }
            groups += 1
            if i == u.endIndex { break }
            guard u[i] == ASCII.colon else { return false }
            u.formIndex(after: &i)
            guard i < u.endIndex else { return false }  // trailing single ":"
            if u[i] == ASCII.colon {
                guard !sawDoubleColon else { return false }
                sawDoubleColon = true
                u.formIndex(after: &i)
            }
        }
        return sawDoubleColon ? groups <= 7 : groups == 8
    }

    /// RFC 3986 `IPv4address`: four decimal octets 0–255 without leading zeros.
    static func isValidIPv4(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        var octets = 0
        var digits = 0
        var value = 0
        var leadingZero = false
        for byte in s {
            if byte == ASCII.dot {
                guard digits > 0 else { return false }
                octets += 1
                digits = 0
                value = 0
                leadingZero = false
                continue
            }
            guard ASCII.isDigit(byte), !leadingZero else { return false }
            if digits == 0, byte == 0x30 { leadingZero = true }
            digits += 1
            value = value * 10 + Int(byte &- 0x30)
            guard value <= 255 else { return false }
        }
        return digits > 0 && octets == 3
    }
}
