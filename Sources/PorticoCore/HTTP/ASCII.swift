/// Allocation-free ASCII helpers shared by the per-request code in `HTTP/` and `Routing/`.
///
/// HTTP field names, schemes and host names are case-insensitive ASCII
/// (RFC 9110 §5.1, §4.2.3, RFC 3986 §3.2.2). Comparing bytes while folding case avoids the
/// `lowercased()` copies that would otherwise cost an allocation per comparison on the hot path.
enum ASCII {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let comma: UInt8 = 0x2C
    static let slash: UInt8 = 0x2F
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let question: UInt8 = 0x3F
    static let hash: UInt8 = 0x23
    static let percent: UInt8 = 0x25
    static let dot: UInt8 = 0x2E
    static let at: UInt8 = 0x40
    static let openBracket: UInt8 = 0x5B
    static let closeBracket: UInt8 = 0x5D
    static let asterisk: UInt8 = 0x2A

    /// `A`–`Z` folded to `a`–`z`; every other byte unchanged.
    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 {
        (byte &- 0x41) < 26 ? byte | 0x20 : byte
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { (byte &- 0x30) < 10 }

    @inline(__always)
    static func isAlpha(_ byte: UInt8) -> Bool { ((byte | 0x20) &- 0x61) < 26 }

    @inline(__always)
    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || ((byte | 0x20) &- 0x61) < 6
    }

    /// RFC 9110 §5.6.2 `tchar`, as two 64-bit masks over bytes 0–127.
    @inline(__always)
    static func isTokenChar(_ byte: UInt8) -> Bool {
        if byte < 64 { return (0x03FF_6CFA_0000_0000 as UInt64) & (1 << UInt64(byte)) != 0 }
        if byte < 128 { return (0x57FF_FFFF_C7FF_FFFE as UInt64) & (1 << UInt64(byte &- 64)) != 0 }
        return false
    }

    /// RFC 3986 §3.2.2 `reg-name` characters other than `pct-encoded`: unreserved / sub-delims.
    @inline(__always)
    static func isRegNameChar(_ byte: UInt8) -> Bool {
        if byte < 64 { return (0x2BFF_7FD2_0000_0000 as UInt64) & (1 << UInt64(byte)) != 0 }
        if byte < 128 { return (0x47FF_FFFE_87FF_FFFE as UInt64) & (1 << UInt64(byte &- 64)) != 0 }
        return false
    }

    /// RFC 9110 §5.5: field values are VCHAR / obs-text / SP / HTAB; every other control
    /// byte (CR, LF and NUL among them) is invalid.
    @inline(__always)
    static func isInvalidFieldValueByte(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != tab) || byte == 0x7F
    }

    /// True when the two byte sequences are equal ignoring ASCII case. Native strings and
    /// their slices are compared through their contiguous storage (pointer loop); other
    /// collections fall back to index iteration.
    @inline(__always)
    static func equalsIgnoringCase<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard a.count == b.count else { return false }
        let fast = a.withContiguousStorageIfAvailable { pa in
            b.withContiguousStorageIfAvailable { pb in equalsIgnoringCase(pa, pb) }
        }
        if let fast, let result = fast { return result }
        var bi = b.startIndex
        for byte in a {
            if lower(byte) != lower(b[bi]) { return false }
            b.formIndex(after: &bi)
        }
        return true
    }

    @inline(__always)
    static func equalsIgnoringCase(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where lower(a[i]) != lower(b[i]) { return false }
        return true
    }

    /// Runs `body` over the UTF-8 bytes of `s` without copying (native strings, small or
    /// not, are contiguous); a bridged or foreign string is made contiguous first.
    @inline(__always)
    static func withBytes<R>(_ s: Substring, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = s.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = String(s)
        copy.makeContiguousUTF8()
        return copy.utf8.withContiguousStorageIfAvailable(body)!
    }

    @inline(__always)
    static func withBytes<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = s.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = s
        copy.makeContiguousUTF8()
        return copy.utf8.withContiguousStorageIfAvailable(body)!
    }

    /// `s[lo..<hi]` by UTF-8 offsets, exactly (no rounding to Character boundaries). Callers
    /// only pass offsets of ASCII delimiters, which are always scalar boundaries.
    @inline(__always)
    static func slice(_ s: Substring, _ lo: Int, _ hi: Int) -> Substring {
        let u = s.utf8
        let start = u.index(u.startIndex, offsetBy: lo)
        let end = u.index(start, offsetBy: hi - lo)
        return Substring(u[start..<end])
    }

    /// Case-insensitive equality of a received string and a lower-case literal or key.
    @inline(__always)
    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        equalsIgnoringCase(a.utf8, b.utf8)
    }

    /// `s` with leading and trailing optional whitespace (SP / HTAB, RFC 9110 §5.6.3) removed.
    @inline(__always)
    static func trimOWS(_ s: Substring) -> Substring {
        let u = s.utf8
        var lo = u.startIndex
        var hi = u.endIndex
        while lo < hi, u[lo] == space || u[lo] == tab { u.formIndex(after: &lo) }
        while hi > lo {
            let before = u.index(before: hi)
            guard u[before] == space || u[before] == tab else { break }
            hi = before
        }
        return Substring(u[lo..<hi])
    }

    /// Calls `body` with each trimmed element of a comma-separated list (RFC 9110 §5.6.1),
    /// skipping empty elements as recipients must. Stops early when `body` returns false;
    /// returns false in that case.
    @inline(__always)
    @discardableResult
    static func forEachListElement(_ value: Substring, _ body: (Substring) -> Bool) -> Bool {
        let u = value.utf8
        var start = u.startIndex
        var i = start
        while true {
            if i == u.endIndex || u[i] == comma {
                let element = trimOWS(Substring(u[start..<i]))
                if !element.isEmpty, !body(element) { return false }
                if i == u.endIndex { return true }
                u.formIndex(after: &i)
                start = i
            } else {
                u.formIndex(after: &i)
            }
        }
    }

    /// Whether `s` starts with `prefix`, comparing bytes exactly (paths are case-sensitive,
    /// RFC 3986 §6.2.2.1).
    @inline(__always)
    static func hasPrefix<A: Collection<UInt8>, B: Collection<UInt8>>(_ s: A, _ prefix: B) -> Bool {
        guard s.count >= prefix.count else { return false }
        let fast = s.withContiguousStorageIfAvailable { ps in
            prefix.withContiguousStorageIfAvailable { pp in
                pp.count == 0 || memcmpEqual(ps.baseAddress!, pp.baseAddress!, pp.count)
            }
        }
        if let fast, let result = fast { return result }
        var si = s.startIndex
        for byte in prefix {
            if s[si] != byte { return false }
            s.formIndex(after: &si)
        }
        return true
    }

    @inline(__always)
    private static func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        for i in 0..<n where a[i] != b[i] { return false }
        return true
    }
}
