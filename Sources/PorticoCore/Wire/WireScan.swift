import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the wire parsers refused a head. Each case has the status a server answers with
/// (`requestStatus`); upstream responses always map to 502 (RFC 9110 §15.6.3).
enum WireViolation: Error, Equatable {
    // Line structure (RFC 9112 §2.2).
    case bareLF
    case tooManyEmptyLines
    case requestLineTooLong
    case fieldsTooLarge
    case tooManyFields
    case headTooLarge
    // Start line (RFC 9112 §3, §4).
    case invalidRequestLine
    case invalidMethod
    case invalidTarget
    case invalidVersion
    case unsupportedVersion
    case invalidStatusLine
    case invalidReasonPhrase
    case connectNotSupported
    case asteriskWithoutOptions
    // Field lines (RFC 9112 §5).
    case obsFold
    case invalidFieldName
    case invalidFieldValue
    // Framing (RFC 9112 §6) and Host (§3.2).
    case invalidContentLength
    case multipleContentLength
    case contentLengthWithTransferEncoding
    case transferEncodingInHTTP10
    case invalidTransferEncoding
    case finalCodingNotChunked
    case chunkedTwice
    case unsupportedTransferCoding
    case missingHost
    case multipleHost
    case invalidHost

    var requestStatus: Int {
        switch self {
        case .requestLineTooLong: return 414
        case .fieldsTooLarge, .tooManyFields, .headTooLarge: return 431
        case .unsupportedVersion: return 505
        case .connectNotSupported, .unsupportedTransferCoding: return 501
        default: return 400
        }
    }

    var reason: String {
        switch self {
        case .bareLF: return "bare LF or CR in head"
        case .tooManyEmptyLines: return "too many empty lines before start line"
        case .requestLineTooLong: return "request line too long"
        case .fieldsTooLarge: return "header fields too large"
        case .tooManyFields: return "too many header fields"
        case .headTooLarge: return "head too large"
        case .invalidRequestLine: return "malformed request line"
        case .invalidMethod: return "invalid method"
        case .invalidTarget: return "invalid request target"
        case .invalidVersion: return "malformed HTTP version"
        case .unsupportedVersion: return "unsupported HTTP version"
        case .invalidStatusLine: return "malformed status line"
        case .invalidReasonPhrase: return "control byte in reason phrase"
        case .connectNotSupported: return "CONNECT not supported"
        case .asteriskWithoutOptions: return "asterisk-form target without OPTIONS"
        case .obsFold: return "obsolete line folding"
        case .invalidFieldName: return "invalid header field name"
        case .invalidFieldValue: return "invalid header field value"
        case .invalidContentLength: return "invalid Content-Length"
        case .multipleContentLength: return "multiple Content-Length fields"
        case .contentLengthWithTransferEncoding: return "both Content-Length and Transfer-Encoding"
        case .transferEncodingInHTTP10: return "Transfer-Encoding in HTTP/1.0 message"
        case .invalidTransferEncoding: return "empty final element in Transfer-Encoding"
        case .finalCodingNotChunked: return "final transfer coding is not chunked"
        case .chunkedTwice: return "chunked applied more than once"
        case .unsupportedTransferCoding: return "unsupported transfer coding"
        case .missingHost: return "missing Host"
        case .multipleHost: return "multiple Host fields"
        case .invalidHost: return "invalid Host"
        }
    }

    var requestError: HeadParseError { HeadParseError(status: requestStatus, reason: reason) }
    var responseError: HeadParseError { HeadParseError(status: 502, reason: reason) }
}

/// Byte-level helpers for the wire parsers. All offsets index the buffer passed in.
enum WireScan {
    /// Runs a parser's `advance` over the readable bytes of `buffer` without copying,
    /// turning its typed error into a result (shared by the request and response parsers).
    @inline(__always)
    static func run(
        over buffer: ByteBuffer,
        _ advance: (UnsafeBufferPointer<UInt8>) throws(WireViolation) -> Int?
    ) -> Result<Int?, WireViolation> {
        buffer.withUnsafeReadableBytes { raw in
            let p = UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count)
            do throws(WireViolation) {
                return .success(try advance(p))
            } catch {
                return .failure(error)
            }
        }
    }

    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// The offset of the first LF at or after `from`, or `nil`. `memchr` is vectorised,
    /// which matters for long cookie and target lines.
    @inline(__always)
    static func firstLF(_ p: Bytes, from: Int) -> Int? {
        guard from < p.count, let base = p.baseAddress else { return nil }
        guard let hit = memchr(base + from, Int32(ASCII.lf), p.count - from) else { return nil }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    @inline(__always)
    static func isOWS(_ byte: UInt8) -> Bool { byte == ASCII.space || byte == ASCII.tab }

    /// `HTTP/` DIGIT `.` DIGIT at `p[start..<start+8]` (RFC 9112 §2.3; the name is
    /// case-sensitive). Returns (major, minor) or `nil`.
    @inline(__always)
    static func version(_ p: Bytes, at start: Int) -> (Int, Int)? {
        guard start + 8 <= p.count,
              p[start] == 0x48, p[start + 1] == 0x54, p[start + 2] == 0x54, p[start + 3] == 0x50,
              p[start + 4] == ASCII.slash, ASCII.isDigit(p[start + 5]), p[start + 6] == ASCII.dot,
              ASCII.isDigit(p[start + 7])
        else { return nil }
        return (Int(p[start + 5] &- 0x30), Int(p[start + 7] &- 0x30))
    }

    /// Whether `p[start..<end]` equals the lower-case `literal` ignoring ASCII case.
    @inline(__always)
    static func equalsIgnoringCase(_ p: Bytes, _ start: Int, _ end: Int, _ literal: StaticString) -> Bool {
        guard end - start == literal.utf8CodeUnitCount else { return false }
        let l = literal.utf8Start
        for i in 0..<(end - start) where ASCII.lower(p[start + i]) != l[i] { return false }
        return true
    }

    /// Calls `body(start, end)` for each OWS-trimmed, non-empty element of the
    /// comma-separated list in `p[start..<end]` (RFC 9110 §5.6.1: empty elements are
    /// ignored). The same splitting as `ASCII.forEachListElement`, on bytes.
    @inline(__always)
    static func forEachListElement(_ p: Bytes, _ start: Int, _ end: Int, _ body: (Int, Int) -> Void) {
        var elementStart = start
        var i = start
        while i <= end {
            if i == end || p[i] == ASCII.comma {
                var lo = elementStart
                var hi = i
                while lo < hi, isOWS(p[lo]) { lo += 1 }
                while hi > lo, isOWS(p[hi - 1]) { hi -= 1 }
                if lo < hi { body(lo, hi) }
                elementStart = i + 1
            }
            i += 1
        }
    }

    /// `1*DIGIT` as a non-negative `Int`; `nil` when empty, non-digit or overflowing
    /// (RFC 9110 §8.6). Leading zeros are allowed by the grammar.
    @inline(__always)
    static func decimal(_ p: Bytes, _ start: Int, _ end: Int) -> Int? {
        guard start < end else { return nil }
        var value = 0
        for i in start..<end {
            let byte = p[i]
            guard ASCII.isDigit(byte) else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(byte &- 0x30))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }
}
