import NIOCore
import NIOHTTP1

/// A one-pass, incremental HTTP/1.1 response-head parser for upstream connections
/// (RFC 9112 §4–§6), replacing NIO's `HTTPResponseDecoder` + `ResponseValidator`.
/// Every refusal has status 502 (RFC 9110 §15.6.3): the proxy answers its client with a
/// Bad Gateway and closes the upstream connection.
///
/// Same line and field rules as `HTTP1RequestHeadParser` (CRLF only, no obs-fold, token
/// names, no controls in values, a single strict Content-Length) and the framing rules of
/// `ResponseValidator`: CL + TE, TE in HTTP/1.0 and an invalid or repeated CL are refused
/// here; a Transfer-Encoding other than exactly `chunked` is refused through
/// `ParsedResponseHead.framing(forRequestMethod:)` only when the response has a body, since
/// that depends on the request method.
///
/// Status line (RFC 9112 §4): `HTTP-version SP 3DIGIT SP [ reason-phrase ]`. Like llhttp,
/// the SP after the status code may be omitted when there is no reason (`HTTP/1.1 200`):
/// some servers send that, and it is unambiguous. The reason may hold HTAB, SP, VCHAR and
/// obs-text only. Status codes below 100 are refused.
///
/// Limits: the whole head, status line through the final CRLF CRLF, may be
/// `maxHeaderBytes` long, with at most `maxFieldCount` fields, enforced while incomplete.
public struct HTTP1ResponseHeadParser: Sendable {
    public let maxHeaderBytes: Int
    public let maxFieldCount: Int

    private enum Phase: Sendable {
        case startLine
        case fields
    }

    private var phase = Phase.startLine
    // Offsets relative to the buffer's reader index (see `HTTP1RequestHeadParser`).
    private var scanOffset = 0
    private var lineStart = 0
    private var headStart = 0
    private var failure: HeadParseError?
    private var minorVersion = 1
    private var status = 0
    private var reasonStart = 0
    private var reasonEnd = 0
    private var section = WireFieldSection.empty
    private var framing = ResponseFraming.untilClose
    private var unsupportedCoding = false

    public init(maxHeaderBytes: Int = 64 * 1024, maxFieldCount: Int = 100) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxFieldCount = maxFieldCount
    }

    /// Parses as much of a head as `buffer` holds; see `HTTP1RequestHeadParser.parse`.
    /// Interim (1xx) responses are returned like any other head; the caller parses again
    /// for the final response.
    public mutating func parse(_ buffer: inout ByteBuffer) -> HeadParseResult<ParsedResponseHead> {
        if let failure { return .invalid(failure) }
        let outcome = WireScan.run(over: buffer) { bytes throws(WireViolation) in try self.advance(bytes) }
        switch outcome {
        case .success(nil):
            return .incomplete
        case .failure(let violation):
            let error = violation.responseError
            failure = error
            return .invalid(error)
        case .success(let headEnd?):
            buffer.moveReaderIndex(forwardBy: headStart)
            let bytes = buffer.readSlice(length: headEnd - headStart)!
            let head = ParsedResponseHead(
                bytes: bytes,
                version: minorVersion == 1 ? .http1_1 : .http1_0,
                status: status,
                reasonRange: (reasonStart - headStart)..<(reasonEnd - headStart),
                fields: section.fields,
                framing: framing,
                hasUnsupportedTransferCoding: unsupportedCoding,
                connection: section.connection,
                isKeepAlive: section.connection.isKeepAlive(minorVersion: minorVersion)
            )
            phase = .startLine
            scanOffset = 0
            lineStart = 0
            headStart = 0
            section = WireFieldSection.empty
            return .complete(head)
        }
    }

    private mutating func advance(_ p: UnsafeBufferPointer<UInt8>) throws(WireViolation) -> Int? {
        while let lf = WireScan.firstLF(p, from: scanOffset) {
            guard lf > lineStart, p[lf - 1] == ASCII.cr else { throw .bareLF }
            let lineEnd = lf - 1
            let next = lf + 1
            scanOffset = next
            switch phase {
            case .startLine:
                if lineEnd == lineStart {  // empty line before the status line (RFC 9112 §2.2)
                    lineStart = next
                    guard next <= maxHeaderBytes else { throw .tooManyEmptyLines }
                    continue
                }
                headStart = lineStart
                guard next - headStart <= maxHeaderBytes else { throw .headTooLarge }
                try parseStatusLine(p, lineStart, lineEnd)
                section = WireFieldSection()
                phase = .fields
                lineStart = next
            case .fields:
                guard next - headStart <= maxHeaderBytes else { throw .headTooLarge }
                if lineEnd == lineStart {
                    (framing, unsupportedCoding) = try section.responseFraming(minorVersion: minorVersion)
                    return next
                }
                guard section.fields.count < maxFieldCount else { throw .tooManyFields }
                try section.addLine(p, lineStart, lineEnd, headStart: headStart)
                lineStart = next
            }
        }
        scanOffset = p.count
        switch phase {
        case .startLine:
            // Fail fast on bytes that cannot start a status line.
            if p.count > lineStart, p[lineStart] != 0x48, p[lineStart] != ASCII.cr { throw .invalidStatusLine }
            if p.count - lineStart > maxHeaderBytes { throw .headTooLarge }
        case .fields:
            if p.count - headStart > maxHeaderBytes { throw .headTooLarge }
        }
        return nil
    }

    /// RFC 9112 §4: `status-line = HTTP-version SP status-code SP [ reason-phrase ]`.
    private mutating func parseStatusLine(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) throws(WireViolation) {
        // A CR that does not end the previous line (RFC 9112 §2.2: bare CR is invalid).
        if p[start] == ASCII.cr { throw .bareLF }
        guard end - start >= 12, let (major, minor) = WireScan.version(p, at: start) else { throw .invalidStatusLine }
        guard major == 1, minor <= 1 else { throw .unsupportedVersion }
        let s = start + 8
        guard p[s] == ASCII.space, ASCII.isDigit(p[s + 1]), ASCII.isDigit(p[s + 2]), ASCII.isDigit(p[s + 3]),
              p[s + 1] != 0x30
        else { throw .invalidStatusLine }
        var reasonStart = s + 4
        if reasonStart < end {
            guard p[reasonStart] == ASCII.space else { throw .invalidStatusLine }
            reasonStart += 1
            // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
            // (llhttp accepts controls here; the phrase is dropped when relaying, but a
            // NUL or stray CR in it means the upstream is broken or hostile.)
            for i in reasonStart..<end where ASCII.isInvalidFieldValueByte(p[i]) { throw .invalidReasonPhrase }
        }
        self.minorVersion = minor
        self.status = Int(p[s + 1] &- 0x30) * 100 + Int(p[s + 2] &- 0x30) * 10 + Int(p[s + 3] &- 0x30)
        self.reasonStart = reasonStart
        self.reasonEnd = end
    }
}
