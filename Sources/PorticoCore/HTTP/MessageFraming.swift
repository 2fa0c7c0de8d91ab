/// Accumulates the framing fields of one message (Content-Length, Transfer-Encoding) while
/// a validator walks its header fields once. Shared by `RequestValidator` and
/// `ResponseValidator` so that both directions apply the same RFC 9112 §6 rules.
struct MessageFraming {
    enum ContentLengthError: Equatable {
        /// Empty, non-digit or overflowing element (RFC 9110 §8.6: `1*DIGIT`).
        case invalid
        /// Two different values across elements or fields (RFC 9112 §6.3 item 5).
        case conflicting
    }

    /// The agreed Content-Length, `nil` when none was seen.
    private(set) var contentLength: Int?
    private(set) var contentLengthError: ContentLengthError?
    private(set) var sawContentLength = false

    private(set) var sawTransferEncoding = false
    /// Number of `chunked` codings across all Transfer-Encoding fields.
    private(set) var chunkedCount = 0
    /// Whether the last coding seen is exactly `chunked`.
    private(set) var finalIsChunked = false
    /// Whether any coding other than `chunked` appeared (`gzip`, `identity`, `chunked;x=1`...).
    private(set) var sawOtherCoding = false

    /// Feeds one Content-Length field value. Identical repeats, whether as a list in one
    /// field (`5, 5`) or as several fields, are accepted and collapse into one value:
    /// RFC 9112 §6.3 item 5 lets a recipient either reject them or replace them with a
    /// single value, and the wire writer emits a single canonical value when forwarding so the
    /// upstream never sees the list.
    mutating func addContentLength(_ value: String) {
        sawContentLength = true
        guard contentLengthError == nil else { return }
        var elements = 0
        let ok = ASCII.forEachListElement(value[...]) { element in
            elements += 1
            guard let n = Self.parseDecimal(element) else {
                contentLengthError = .invalid
                return false
            }
            if let current = contentLength, current != n {
                contentLengthError = .conflicting
                return false
            }
            contentLength = n
            return true
        }
        if ok, elements == 0 { contentLengthError = .invalid }  // "" or ", ,"
    }

    /// Feeds one Transfer-Encoding field value (RFC 9112 §6.1). Codings are compared
    /// case-insensitively (RFC 9112 §7). A coding with parameters, even `chunked;x=y`, is
    /// not `chunked`: `chunked` defines no parameters, and treating it loosely is exactly the
    /// kind of disagreement between parsers that request smuggling exploits.
    mutating func addTransferEncoding(_ value: String) {
        sawTransferEncoding = true
        finalIsChunked = false
        ASCII.forEachListElement(value[...]) { element in
            if ASCII.equalsIgnoringCase(element.utf8, "chunked".utf8) {
                chunkedCount += 1
                finalIsChunked = true
            } else {
                sawOtherCoding = true
                finalIsChunked = false
            }
            return true
        }
    }

    /// `1*DIGIT` as a non-negative `Int`; `nil` when empty, non-digit or overflowing.
    static func parseDecimal(_ s: Substring) -> Int? {
        var value = 0
        var any = false
        for byte in s.utf8 {
            guard ASCII.isDigit(byte) else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(byte &- 0x30))
            if o1 || o2 { return nil }
            value = sum
            any = true
        }
        return any ? value : nil
    }
}

/// Field-name classification for the single pass over a header block.
enum KnownField {
    case host, contentLength, transferEncoding, other

    @inline(__always)
    static func classify(_ name: String) -> KnownField {
        let u = name.utf8
        switch u.count {
        case 4 where ASCII.equalsIgnoringCase(u, "host".utf8): return .host
        case 14 where ASCII.equalsIgnoringCase(u, "content-length".utf8): return .contentLength
        case 17 where ASCII.equalsIgnoringCase(u, "transfer-encoding".utf8): return .transferEncoding
        default: return .other
        }
    }
}

/// Field-syntax checks shared by both validators.
enum FieldSyntax {
    /// RFC 9110 §5.1: `field-name = token`. Rejects the empty name and names with trailing
    /// whitespace (`Host :`), which RFC 9112 §5.1 requires a server to reject with 400
    /// because a lenient downstream parser could read them as a different field.
    @inline(__always)
    static func isValidName(_ name: String) -> Bool {
        ASCII.withBytes(name) { bytes in
            guard !bytes.isEmpty else { return false }
            for byte in bytes where !ASCII.isTokenChar(byte) { return false }
            return true
        }
    }

    /// RFC 9110 §5.5 / RFC 9112 §5: CR, LF, NUL and other controls except HTAB are invalid.
    @inline(__always)
    static func isValidValue(_ value: String) -> Bool {
        ASCII.withBytes(value) { bytes in
            // Branch-free accumulation lets the optimiser vectorise the loop.
            var acc: UInt8 = 0
            for byte in bytes {
                let control: UInt8 = byte < 0x20 ? 1 : 0
                let tab: UInt8 = byte == ASCII.tab ? 1 : 0
                let del: UInt8 = byte == 0x7F ? 1 : 0
                acc |= (control & ~tab) | del
            }
            return acc == 0
        }
    }
}
