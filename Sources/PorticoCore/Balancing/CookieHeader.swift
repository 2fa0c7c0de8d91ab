/// Reads one cookie out of a `Cookie` request header (RFC 6265 §4.2.1, §5.4):
/// `name1=value1; name2=value2`.
///
/// Parsed leniently, the way servers must in practice: pairs are split at `;`, optional
/// whitespace (SP / HTAB) around pairs, names and values is ignored (so `a=b;c=d` and
/// `a = b ;  c=d` both work), pairs without `=` are skipped, and a value wrapped in
/// double quotes (§4.1.1 allows `DQUOTE *cookie-octet DQUOTE`) is returned without them.
/// Names are compared exactly (case-sensitively, §5.4 sends them as stored), and the first
/// matching pair wins: §5.4 orders cookies with longer paths first, so the first is the
/// most specific one. No allocation: the result is a slice of the input.
public enum CookieHeader {
    /// The value of the cookie called `name` in a `Cookie` header value, or `nil` if
    /// there is no such cookie. An empty value (`a=`) is `""`, not `nil`.
    public static func value(named name: String, in cookieHeaderValue: some StringProtocol) -> Substring? {
        // `String` and `Substring` (the only practical conformers) take the overloads
        // below; anything else is copied once.
        value(named: name, in: Substring(String(cookieHeaderValue)))
    }

    /// `value(named:in:)` for a `String`: the result is a slice of it.
    public static func value(named name: String, in cookieHeaderValue: String) -> Substring? {
        value(named: name, in: cookieHeaderValue[...])
    }

    /// `value(named:in:)` for a `Substring`: the result is a slice of it.
    public static func value(named name: String, in cookieHeaderValue: Substring) -> Substring? {
        guard let range = valueRange(named: name.utf8, in: cookieHeaderValue.utf8) else { return nil }
        // Bounds lie next to ASCII bytes (or at the ends), so they are scalar-aligned.
        return cookieHeaderValue[range]
    }

    /// The byte range of the named cookie's value within `header` (any collection of
    /// bytes: a string's UTF-8 view, a slice of a received buffer).
    public static func valueRange<Name: Collection<UInt8>, Header: BidirectionalCollection<UInt8>>(
        named name: Name, in header: Header
    ) -> Range<Header.Index>? {
        var pairStart = header.startIndex
        while pairStart < header.endIndex {
            // This pair runs to the next ';' (or the end).
            var pairEnd = pairStart
            var equals: Header.Index? = nil
            while pairEnd < header.endIndex, header[pairEnd] != semicolon {
                if equals == nil, header[pairEnd] == equalsSign { equals = pairEnd }
                header.formIndex(after: &pairEnd)
            }
            if let equals {
                let nameRange = trimmed(pairStart..<equals, in: header)
                if header[nameRange].elementsEqual(name) {
                    var valueRange = trimmed(header.index(after: equals)..<pairEnd, in: header)
                    valueRange = unquoted(valueRange, in: header)
                    return valueRange
                }
            }
            guard pairEnd < header.endIndex else { break }
            pairStart = header.index(after: pairEnd)
        }
        return nil
    }

    private static let semicolon: UInt8 = 0x3B
    private static let equalsSign: UInt8 = 0x3D
    private static let quote: UInt8 = 0x22

    @inline(__always)
    private static func isOWS(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// `range` without leading and trailing SP / HTAB.
    private static func trimmed<Header: BidirectionalCollection<UInt8>>(
        _ range: Range<Header.Index>, in header: Header
    ) -> Range<Header.Index> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, isOWS(header[lower]) { header.formIndex(after: &lower) }
        while lower < upper {
            let last = header.index(before: upper)
            guard isOWS(header[last]) else { break }
            upper = last
        }
        return lower..<upper
    }

    /// `range` without one pair of surrounding double quotes, if it has them.
    private static func unquoted<Header: BidirectionalCollection<UInt8>>(
        _ range: Range<Header.Index>, in header: Header
    ) -> Range<Header.Index> {
        guard range.lowerBound < range.upperBound else { return range }
        let last = header.index(before: range.upperBound)
        guard last > range.lowerBound, header[range.lowerBound] == quote, header[last] == quote else { return range }
        return header.index(after: range.lowerBound)..<last
    }
}
