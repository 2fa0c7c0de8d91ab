import NIOCore
import NIOHTTP1

/// A one-pass, incremental HTTP/1.1 request-head parser for the proxy's data path
/// (RFC 9112 §2–§7), replacing NIO's `HTTPRequestDecoder` + `RequestValidator`.
///
/// It records offsets into the received bytes instead of building header strings, and
/// applies every rule of `RequestValidator` while parsing, so a `.complete` head is
/// already validated. Call `parse` each time bytes arrive: each call resumes where the
/// previous one stopped (each line is examined once, each byte read by `memchr` once more
/// at most), and the size limits are enforced on incomplete input, so a head that never
/// ends is refused as soon as it is too large rather than buffered.
///
/// Stricter than the RFC, on purpose (a proxy that reads framing differently from the
/// server behind it enables request smuggling, RFC 9112 §11.2):
/// - A bare LF (without CR) ends no line: 400. RFC 9112 §2.2 lets a recipient accept it;
///   Portico refuses because a peer that does not would see a different message.
///   A CR not followed by LF (bare CR) is refused too (§2.2 allows only that choice or
///   replacing it with SP).
/// - Obsolete line folding and whitespace before the first field: 400 (§5.2, §2.2).
/// - Any repeated Content-Length field, even with the same value, and any list value:
///   400 (§6.3 item 5 permits this; llhttp does the same).
/// - Leading empty lines (§2.2, "SHOULD ignore at least one") are skipped, up to
///   `maxRequestLine` bytes of them.
/// - Exactly one SP between request-line parts (llhttp accepts several, §3 MAY).
/// - The target must be visible ASCII (RFC 3986 §2), as llhttp requires.
/// - `Transfer-Encoding: chunked,` (empty final element) is a 400, as in llhttp.
///
/// More lenient than today's NIO path, on purpose: any token is a method (RFC 9110 §9.1;
/// llhttp knows a fixed list), `M-SEARCH` stays `M-SEARCH` (NIO forwards it as `MSEARCH`),
/// and field values lose their trailing OWS (§5; NIO keeps it, so `Host: a ` was a 400).
/// `WireHeadParserDifferentialTests` checks all of this against NIO + `RequestValidator`.
///
/// Limits (`LimitsConfig`): the request line without its CRLF may be `maxRequestLine`
/// bytes (414 beyond); the field lines, each counted with its CRLF, `maxHeaderBytes` in
/// total (431 beyond); at most `maxHeaderCount` fields (431). Counting raw field lines
/// differs slightly from `RequestValidator`, which counts `name: value CRLF` after trimming.
public struct HTTP1RequestHeadParser: Sendable {
    public let limits: LimitsConfig

    private enum Phase: Sendable {
        case startLine
        case fields
    }

    private var phase = Phase.startLine
    // Offsets relative to the buffer's reader index, which must not move between calls
    // that return `.incomplete` (appending bytes, or discarding read bytes, is fine).
    private var scanOffset = 0
    private var lineStart = 0
    private var headStart = 0
    private var fieldsStart = 0
    private var failure: HeadParseError?
    // The request line, once parsed.
    private var method = HTTPMethod.GET
    private var targetStart = 0
    private var targetEnd = 0
    private var minorVersion = 1
    private var section = WireFieldSection.empty
    private var framing = BodyFraming.none

    public init(limits: LimitsConfig) {
        self.limits = limits
    }

    /// Parses as much of a head as `buffer` holds. On `.complete` the head (and any empty
    /// lines before it) has been read from `buffer`; body or pipelined bytes stay. On
    /// `.incomplete` the buffer is untouched. After `.invalid` every call returns the same
    /// error: the connection must be closed.
    public mutating func parse(_ buffer: inout ByteBuffer) -> HeadParseResult<ParsedRequestHead> {
        if let failure { return .invalid(failure) }
        let outcome = WireScan.run(over: buffer) { bytes throws(WireViolation) in try self.advance(bytes) }
        switch outcome {
        case .success(nil):
            return .incomplete
        case .failure(let violation):
            let error = violation.requestError
            failure = error
            return .invalid(error)
        case .success(let headEnd?):
            buffer.moveReaderIndex(forwardBy: headStart)
            let bytes = buffer.readSlice(length: headEnd - headStart)!
            let head = ParsedRequestHead(
                bytes: bytes,
                method: method,
                targetRange: (targetStart - headStart)..<(targetEnd - headStart),
                version: minorVersion == 1 ? .http1_1 : .http1_0,
                fields: section.fields,
                framing: framing,
                hostFieldIndex: section.hostIndex,
                connection: section.connection,
                expectsContinue: minorVersion == 1 && section.sawExpectContinue,
                isKeepAlive: section.connection.isKeepAlive(minorVersion: minorVersion)
            )
            reset()
            return .complete(head)
        }
    }

    /// Ready for the next head on the same connection (called after `.complete`).
    private mutating func reset() {
        phase = .startLine
        scanOffset = 0
        lineStart = 0
        headStart = 0
        fieldsStart = 0
        section = WireFieldSection.empty
    }

    /// Examines the bytes not seen yet; returns the end offset of the head when complete.
    private mutating func advance(_ p: UnsafeBufferPointer<UInt8>) throws(WireViolation) -> Int? {
        while let lf = WireScan.firstLF(p, from: scanOffset) {
            // RFC 9112 §2.2: lines end with CRLF; a bare LF is refused (see type docs).
            guard lf > lineStart, p[lf - 1] == ASCII.cr else { throw .bareLF }
            let lineEnd = lf - 1
            let next = lf + 1
            scanOffset = next
            switch phase {
            case .startLine:
                if lineEnd == lineStart {  // an empty line before the request line (§2.2)
                    lineStart = next
                    guard next <= limits.maxRequestLine else { throw .tooManyEmptyLines }
                    continue
                }
                headStart = lineStart
                try parseRequestLine(p, lineStart, lineEnd)
                section = WireFieldSection()
                phase = .fields
                fieldsStart = next
                lineStart = next
            case .fields:
                if lineEnd == lineStart {  // the empty line that ends the head
                    let isHTTP11 = minorVersion == 1
                    framing = try section.requestFraming(isHTTP11: isHTTP11)
                    try section.checkHost(p, headStart: headStart, isHTTP11: isHTTP11)
                    return next
                }
                // RFC 6585 §5: 431 for too many or too large header fields.
                guard section.fields.count < limits.maxHeaderCount else { throw .tooManyFields }
                guard next - fieldsStart <= limits.maxHeaderBytes else { throw .fieldsTooLarge }
                try section.addLine(p, lineStart, lineEnd, headStart: headStart)
                lineStart = next
            }
        }
        scanOffset = p.count
        // Limits on the unfinished line, so that a head that never ends is not buffered.
        let pending = p.count - lineStart
        switch phase {
        case .startLine:
            // Fail fast on bytes that cannot start a request (TLS on a plain port...).
            if pending > 0, !ASCII.isTokenChar(p[lineStart]), p[lineStart] != ASCII.cr { throw .invalidMethod }
            // A line of `maxRequestLine` bytes may be followed by its CR before the LF.
            if pending > limits.maxRequestLine + 1 { throw .requestLineTooLong }
        case .fields:
            // Field lines so far plus this partial line (or the final CR alone).
            if p.count - fieldsStart > limits.maxHeaderBytes + 1 { throw .fieldsTooLarge }
        }
        return nil
    }

    /// RFC 9112 §3: `request-line = method SP request-target SP HTTP-version`, single SPs.
    /// Checks run in `RequestValidator` order where both apply: version (505), length
    /// (414), method and target (400), CONNECT (501), target form (400).
    private mutating func parseRequestLine(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) throws(WireViolation) {
        // A CR that does not end the previous line (RFC 9112 §2.2: bare CR is invalid).
        if p[start] == ASCII.cr { throw .bareLF }
        // A well-formed version other than 1.0/1.1 is 505 (RFC 9110 §15.6.6), whatever else is wrong.
        var minor = -1
        if end - start >= 9, p[end - 9] == ASCII.space, let (major, m) = WireScan.version(p, at: end - 8) {
            guard major == 1, m <= 1 else { throw .unsupportedVersion }
            minor = m
        }
        // RFC 9110 §15.5.15.
        guard end - start <= limits.maxRequestLine else { throw .requestLineTooLong }

        // method = token (RFC 9110 §9.1), then exactly one SP.
        var i = start
        while i < end, ASCII.isTokenChar(p[i]) { i += 1 }
        guard i > start, i < end, p[i] == ASCII.space else {
            throw i < end && p[i] > ASCII.space ? .invalidMethod : .invalidRequestLine
        }
        let methodEnd = i
        i += 1

        // request-target: visible ASCII only (RFC 9112 §3.2, RFC 3986 §2: a URI is ASCII;
        // it is forwarded verbatim). CTL, DEL and bytes above 0x7F are refused, as llhttp
        // does; `RequestValidator` alone lets the latter through.
        let tStart = i
        var bad = false
        while i < end, p[i] != ASCII.space {
            bad = bad || (p[i] &- 0x21) > (0x7E - 0x21)
            i += 1
        }
        guard i > tStart else { throw .invalidRequestLine }  // empty target or two SPs
        let tEnd = i

        // SP HTTP-version, then the line ends.
        guard tEnd + 9 == end else { throw .invalidRequestLine }
        guard minor >= 0 else { throw .invalidVersion }

        let method = WireRequestLine.method(p, start, methodEnd)
        // RFC 9110 §15.6.2: Portico does not tunnel; see `RequestValidator`.
        if method == .CONNECT { throw .connectNotSupported }
        if bad { throw .invalidTarget }
        try WireRequestLine.checkTarget(p, tStart, tEnd, method: method)

        self.method = method
        self.targetStart = tStart
        self.targetEnd = tEnd
        self.minorVersion = minor
    }
}
