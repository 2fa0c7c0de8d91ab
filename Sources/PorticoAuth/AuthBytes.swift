/// Byte-level helpers shared by the Basic and Bearer code: base64 decoding, constant-time
/// comparison, and the RFC 9110 whitespace / RFC 5234 control-character classes.
enum AuthBytes {
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09

    /// RFC 5234 Appendix B.1 `CTL`: %x00-1F / %x7F.
    @inline(__always)
    static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

    /// Compares two byte sequences without an early exit on the first difference, so the time
    /// taken does not depend on where they differ. Only the lengths (public: fixed per hash
    /// scheme) short-circuit.
    static func constantTimeEquals<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// ASCII case-insensitive equality of `bytes` with a lower-case ASCII literal.
    static func equalsLowercasedASCII<C: Collection<UInt8>>(_ bytes: C, _ lowercased: StaticString) -> Bool {
        guard bytes.count == lowercased.utf8CodeUnitCount else { return false }
        return lowercased.withUTF8Buffer { expected in
            var i = 0
            for byte in bytes {
                let folded = (byte &- 0x41) < 26 ? byte | 0x20 : byte
                if folded != expected[i] { return false }
                i += 1
            }
            return true
        }
    }

    /// Splits an `Authorization` field value into its auth-scheme and the single token68 that
    /// follows (RFC 9110 §11.4: `auth-scheme [ 1*SP token68 ]`). Surrounding OWS is ignored;
    /// anything after the token68 (further spaces and parameters) makes the value malformed.
    static func schemeAndToken68(_ value: Substring.UTF8View) -> (scheme: Substring.UTF8View, token: Substring.UTF8View)? {
        var start = value.startIndex
        var end = value.endIndex
        while start < end, value[start] == space || value[start] == tab { start = value.index(after: start) }
        while end > start {
            let before = value.index(before: end)
            guard value[before] == space || value[before] == tab else { break }
            end = before
        }
        guard start < end else { return nil }
        let trimmed = value[start..<end]
        guard let firstSpace = trimmed.firstIndex(of: space) else {
            return (trimmed, trimmed[trimmed.endIndex...])
        }
        var tokenStart = firstSpace
        while tokenStart < trimmed.endIndex, trimmed[tokenStart] == space { tokenStart = trimmed.index(after: tokenStart) }
        let token = trimmed[tokenStart...]
        return (trimmed[..<firstSpace], token)
    }
}

/// RFC 4648 base64 decoding, standard (§4) or URL-safe (§5) alphabet. Padding is optional
/// but, when present, must complete the last quantum; non-alphabet bytes (including
/// whitespace) are rejected.
enum Base64Decoder {
    private static let invalid: UInt8 = 0xFF

    private static func value(_ byte: UInt8, urlSafe: Bool) -> UInt8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte &- UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return byte &- UInt8(ascii: "a") &+ 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte &- UInt8(ascii: "0") &+ 52
        case UInt8(ascii: "+") where !urlSafe, UInt8(ascii: "-") where urlSafe: return 62
        case UInt8(ascii: "/") where !urlSafe, UInt8(ascii: "_") where urlSafe: return 63
        default: return invalid
        }
    }

    static func decode<C: BidirectionalCollection<UInt8>>(_ input: C, urlSafe: Bool) -> [UInt8]? {
        var body = input[...]
        var padding = 0
        while let last = body.last, last == UInt8(ascii: "=") {
            body = body.dropLast()
            padding += 1
        }
        guard padding <= 2 else { return nil }
        let count = body.count
        if padding > 0, (count + padding) % 4 != 0 { return nil }
        if count % 4 == 1 { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in body {
            let v = value(byte, urlSafe: urlSafe)
            guard v != invalid else { return nil }
            accumulator = (accumulator << 6) | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        return output
    }
}
