/// The field section of one head as it is parsed line by line: the slots, plus the facts
/// the proxy needs from a handful of fields (framing, Host, Connection, Expect), gathered
/// in the same pass so nothing is looked up again later.
///
/// Syntax errors are thrown at the offending line. Framing and Host are judged by
/// `requestFraming`/`checkHost`/`responseFraming` once the section is complete, in the
/// order `RequestValidator` and `ResponseValidator` use, so the status for a head with
/// several problems is the same as the validators'.
struct WireFieldSection {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    var fields: [HeaderFieldSlot] = []
    var hostIndex: Int?
    var hostCount = 0
    var contentLength: Int?
    var contentLengthCount = 0
    var contentLengthInvalid = false
    var sawTransferEncoding = false
    var chunkedCount = 0
    var finalIsChunked = false
    var sawOtherCoding = false
    var transferEncodingEndsEmpty = false
    var connection: ConnectionOptions = []
    var sawExpectContinue = false

    /// A section ready for a head's fields (reserves room for 16, one allocation).
    init() {
        fields.reserveCapacity(16)
    }

    private init(unreserved: Void) {}

    /// A placeholder between heads that allocates nothing.
    static var empty: WireFieldSection { WireFieldSection(unreserved: ()) }

    /// Parses the field line `p[start..<end]` (its CRLF excluded) and appends its slot,
    /// with offsets relative to `headStart`.
    ///
    /// RFC 9112 §5: `field-line = field-name ":" OWS field-value OWS`.
    /// - A line starting with SP/HTAB is obs-fold (§5.2) or whitespace after the start line
    ///   (§2.2): rejected, since a parser that unfolds it sees a different field value.
    /// - The name must be a non-empty token directly followed by `:`; whitespace before the
    ///   colon is a 400 (§5.1), because a lenient parser could read `Host :` as `Host`.
    /// - The value may hold VCHAR, obs-text, SP and HTAB only (RFC 9110 §5.5): NUL, CR, LF,
    ///   DEL and other controls are rejected rather than replaced with SP, the RFC's other
    ///   option, because the proxy forwards the bytes verbatim.
    @inline(__always)
    mutating func addLine(_ p: Bytes, _ start: Int, _ end: Int, headStart: Int) throws(WireViolation) {
        if WireScan.isOWS(p[start]) { throw .obsFold }
        var i = start
        while i < end, ASCII.isTokenChar(p[i]) { i += 1 }
        guard i > start, i < end, p[i] == ASCII.colon else { throw .invalidFieldName }
        let nameEnd = i
        i += 1
        while i < end, WireScan.isOWS(p[i]) { i += 1 }
        let valueStart = i
        // Branch-free so the optimiser can vectorise it (as `FieldSyntax.isValidValue`).
        var bad: UInt8 = 0
        while i < end {
            let byte = p[i]
            bad |= ((byte < 0x20 && byte != ASCII.tab) || byte == 0x7F) ? 1 : 0
            i += 1
        }
        guard bad == 0 else { throw .invalidFieldValue }
        var valueEnd = end
        while valueEnd > valueStart, WireScan.isOWS(p[valueEnd - 1]) { valueEnd -= 1 }

        classify(p, start, nameEnd, valueStart, valueEnd, lineEnd: end)
        fields.append(HeaderFieldSlot(
            nameStart: start - headStart, nameLength: nameEnd - start,
            valueStart: valueStart - headStart, valueLength: valueEnd - valueStart
        ))
    }

    @inline(__always)
    private mutating func classify(_ p: Bytes, _ nameStart: Int, _ nameEnd: Int, _ valueStart: Int, _ valueEnd: Int, lineEnd: Int) {
        switch nameEnd - nameStart {
        case 4 where WireScan.equalsIgnoringCase(p, nameStart, nameEnd, "host"):
            hostCount += 1
            if hostIndex == nil { hostIndex = fields.count }
        case 6 where WireScan.equalsIgnoringCase(p, nameStart, nameEnd, "expect"):
            WireScan.forEachListElement(p, valueStart, valueEnd) { lo, hi in
                if WireScan.equalsIgnoringCase(p, lo, hi, "100-continue") { sawExpectContinue = true }
            }
        case 10 where WireScan.equalsIgnoringCase(p, nameStart, nameEnd, "connection"):
            WireScan.forEachListElement(p, valueStart, valueEnd) { lo, hi in
                if WireScan.equalsIgnoringCase(p, lo, hi, "close") {
                    connection.insert(.close)
                } else if WireScan.equalsIgnoringCase(p, lo, hi, "keep-alive") {
                    connection.insert(.keepAlive)
                } else if WireScan.equalsIgnoringCase(p, lo, hi, "upgrade") {
                    connection.insert(.upgrade)
                } else {
                    connection.insert(.other)
                }
            }
        case 14 where WireScan.equalsIgnoringCase(p, nameStart, nameEnd, "content-length"):
            // RFC 9112 §6.3 item 5 allows collapsing identical repeats (`5, 5`), but
            // llhttp (the production decoder) refuses any repeat, and a single strict value
            // is what every parser downstream agrees on: one field, `1*DIGIT`.
            // The value is `1*DIGIT`, and only SP may follow it (llhttp refuses a trailing
            // HTAB, so Portico does too rather than forward what the next hop may reject).
            contentLengthCount += 1
            if contentLengthCount == 1 {
                var digitsEnd = valueStart
                while digitsEnd < valueEnd, ASCII.isDigit(p[digitsEnd]) { digitsEnd += 1 }
                var i = valueEnd
                while i < lineEnd, p[i] == ASCII.space { i += 1 }
                contentLength = digitsEnd == valueEnd && i == lineEnd ? WireScan.decimal(p, valueStart, valueEnd) : nil
                if contentLength == nil { contentLengthInvalid = true }
            }
        case 17 where WireScan.equalsIgnoringCase(p, nameStart, nameEnd, "transfer-encoding"):
            // Same reading as `MessageFraming.addTransferEncoding`: `chunked` exactly (any
            // case, no parameters); every other element is another coding.
            sawTransferEncoding = true
            finalIsChunked = false
            // Empty list elements are ignored (RFC 9110 §5.6.1), except a trailing one
            // (`chunked,`): llhttp refuses it in requests and reads a response with it
            // until close, and a parser that takes the last element literally would not see
            // chunked as final (a smuggling trick). The value is OWS-trimmed already.
            if valueEnd > valueStart, p[valueEnd - 1] == ASCII.comma { transferEncodingEndsEmpty = true }
            WireScan.forEachListElement(p, valueStart, valueEnd) { lo, hi in
                if WireScan.equalsIgnoringCase(p, lo, hi, "chunked") {
                    chunkedCount += 1
                    finalIsChunked = true
                } else {
                    sawOtherCoding = true
                    finalIsChunked = false
                }
            }
        default:
            break
        }
    }

    /// RFC 9112 §6.1 and §6.3 for a request, in `RequestValidator.validateFraming` order.
    func requestFraming(isHTTP11: Bool) throws(WireViolation) -> BodyFraming {
        if sawTransferEncoding {
            // §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
            guard isHTTP11 else { throw .transferEncodingInHTTP10 }
            // §6.1: CL + TE is the classic smuggling vector; always refused.
            guard contentLengthCount == 0 else { throw .contentLengthWithTransferEncoding }
            guard !transferEncodingEndsEmpty else { throw .invalidTransferEncoding }
            // §6.3 item 4: a request whose final coding is not chunked has no length.
            guard finalIsChunked else { throw .finalCodingNotChunked }
            // §6.1: chunked MUST NOT be applied more than once.
            guard chunkedCount == 1 else { throw .chunkedTwice }
            // §6.1: codings the server does not understand get 501 (only chunked is decoded).
            guard !sawOtherCoding else { throw .unsupportedTransferCoding }
            return .chunked
        }
        if contentLengthInvalid { throw .invalidContentLength }
        if contentLengthCount > 1 { throw .multipleContentLength }
        if let contentLength { return .contentLength(contentLength) }
        return .none
    }

    /// RFC 9112 §3.2: HTTP/1.1 needs exactly one valid Host; HTTP/1.0 may omit it, but one
    /// that is sent must be single and valid, since it is used for routing.
    func checkHost(_ p: Bytes, headStart: Int, isHTTP11: Bool) throws(WireViolation) {
        if hostCount > 1 { throw .multipleHost }
        if let hostIndex {
            let range = fields[hostIndex].valueRange
            let value = Bytes(rebasing: p[(range.lowerBound + headStart)..<(range.upperBound + headStart)])
            guard HostHeader.hostLength(of: value) > 0 else { throw .invalidHost }
        } else if isHTTP11 {
            throw .missingHost
        }
    }

    /// The framing a response declares, in `ResponseValidator` order. The Boolean is true
    /// when Transfer-Encoding is present but not exactly `chunked`: such a response is
    /// refused unless it has no body anyway (decided with the request method later).
    func responseFraming(minorVersion: Int) throws(WireViolation) -> (ResponseFraming, Bool) {
        if contentLengthInvalid { throw .invalidContentLength }
        if contentLengthCount > 1 { throw .multipleContentLength }
        if sawTransferEncoding {
            // RFC 9112 §6.1: "ought to be handled as an error"; §6.1 again for HTTP/1.0.
            if contentLengthCount > 0 { throw .contentLengthWithTransferEncoding }
            if minorVersion == 0 { throw .transferEncodingInHTTP10 }
            let supported = finalIsChunked && chunkedCount == 1 && !sawOtherCoding && !transferEncodingEndsEmpty
            return (supported ? .chunked : .untilClose, !supported)
        }
        if let contentLength { return (.contentLength(contentLength), false) }
        return (.untilClose, false)
    }
}
