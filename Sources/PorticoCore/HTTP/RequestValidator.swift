import NIOHTTP1

/// The request-smuggling defence: checks a parsed request head before it is routed or
/// forwarded. A proxy that forwards a message whose framing it reads differently from the
/// upstream lets a client hide a second request in the body of the first (RFC 9112 §11.2),
/// so anything ambiguous is refused rather than repaired.
///
/// One pass over the fields, no allocation. Checks run in this order, and the first failure
/// wins: version (505), request-line length (414), field count (431), target form and
/// method (400/501), then per field: name syntax, value syntax (400) and total field bytes
/// (431), and finally framing and Host (400/501).
public enum RequestValidator {
    /// Returns `nil` when `head` may be routed, else the status and reason to answer with
    /// (the connection should then be closed, RFC 9112 §6.3).
    public static func validate(_ head: HTTPRequestHead, limits: LimitsConfig) -> RequestRejection? {
        // RFC 9110 §15.6.6 / RFC 9112 §2.3: only HTTP/1.0 and HTTP/1.1 are served here.
        let version = head.version
        guard version.major == 1, version.minor == 0 || version.minor == 1 else {
            return RequestRejection(status: 505, reason: "unsupported HTTP version")
        }
        let isHTTP11 = version.minor == 1

        // RFC 9112 §3: request-line = method SP request-target SP HTTP-version; 414 when
        // the line is too long (RFC 9110 §15.5.15). "HTTP/1.1" is 8 bytes.
        let method = head.method
        let methodName = method.rawValue
        let uri = head.uri
        if methodName.utf8.count + uri.utf8.count + 10 > limits.maxRequestLine {
            return RequestRejection(status: 414, reason: "request line too long")
        }
        // RFC 6585 §5.
        if head.headers.count > limits.maxHeaderCount {
            return RequestRejection(status: 431, reason: "too many header fields")
        }

        if let rejection = validateMethodAndTarget(method: method, methodName: methodName, uri: uri) {
            return rejection
        }

        var framing = MessageFraming()
        var hostCount = 0
        var hostValue: String?
        var headerBytes = 0
        for (name, value) in head.headers {
            guard FieldSyntax.isValidName(name) else { return .badRequest("invalid header field name") }
            guard FieldSyntax.isValidValue(value) else { return .badRequest("invalid header field value") }
            headerBytes += name.utf8.count + value.utf8.count + 4  // ": " and CRLF
            if headerBytes > limits.maxHeaderBytes {
                return RequestRejection(status: 431, reason: "header fields too large")
            }
            switch KnownField.classify(name) {
            case .host:
                hostCount += 1
                hostValue = value
            case .contentLength:
                framing.addContentLength(value)
            case .transferEncoding:
                framing.addTransferEncoding(value)
            case .other:
                break
            }
        }

        if let rejection = validateFraming(framing, isHTTP11: isHTTP11) { return rejection }

        // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, with more than one Host
        // field, or with an invalid Host. HTTP/1.0 may omit it, but one that is sent must
        // still be single and valid since it is used for routing.
        if hostCount > 1 { return .badRequest("multiple Host fields") }
        if let hostValue {
            guard HostHeader.isValid(hostValue[...]) else { return .badRequest("invalid Host") }
        } else if isHTTP11 {
            return .badRequest("missing Host")
        }
        return nil
    }

    /// RFC 9112 §3.2: which target forms a method may use.
    /// - `*` only with OPTIONS (§3.2.4);
    /// - CONNECT (authority-form, §3.2.3) is answered 501: Portico does not tunnel, and
    ///   501 is the status for a method the server does not support (RFC 9110 §15.6.2);
    ///   405 would wrongly claim the target resource exists and forbids it;
    /// - authority-form with any other method is a 400;
    /// - an absolute-form authority must be a valid host (RFC 9112 §3.2.2), else 400.
    /// Controls and spaces in the target are refused too: the parser should never pass them,
    /// and a target is forwarded verbatim.
    private static func validateMethodAndTarget(method: HTTPMethod, methodName: String, uri: String) -> RequestRejection? {
        var methodOK = !methodName.isEmpty
        for byte in methodName.utf8 where !ASCII.isTokenChar(byte) { methodOK = false }
        guard methodOK else { return .badRequest("invalid method") }
        if method == .CONNECT {
            return RequestRejection(status: 501, reason: "CONNECT not supported")
        }
        for byte in uri.utf8 where byte <= ASCII.space || byte == 0x7F {
            return .badRequest("invalid request target")
        }
        guard let target = RequestTarget.parse(uri) else { return .badRequest("invalid request target") }
        switch target.form {
        case .origin, .absolute:
            return nil
        case .asterisk:
            return method == .OPTIONS ? nil : .badRequest("asterisk-form target without OPTIONS")
        case .authority:
            return .badRequest("authority-form target without CONNECT")
        }
    }

    /// RFC 9112 §6.1, §6.3 and RFC 9110 §8.6.
    private static func validateFraming(_ framing: MessageFraming, isHTTP11: Bool) -> RequestRejection? {
        if framing.sawTransferEncoding {
            // §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
            guard isHTTP11 else { return .badRequest("Transfer-Encoding in HTTP/1.0 request") }
            // §6.1: a server MAY reject CL + TE, and an intermediary that forwarded both
            // would be the classic CL.TE / TE.CL smuggling vector; always reject.
            guard !framing.sawContentLength else { return .badRequest("both Content-Length and Transfer-Encoding") }
            // §6.3 item 4: a request whose final coding is not chunked has no determinable
            // length: 400. (This covers `gzip` and `identity` alone.)
            guard framing.finalIsChunked else { return .badRequest("final transfer coding is not chunked") }
            // §6.1: chunked MUST NOT be applied more than once.
            guard framing.chunkedCount == 1 else { return .badRequest("chunked applied more than once") }
            // §6.1: a coding the server does not understand SHOULD get 501; Portico decodes
            // only chunked (it forwards bodies, it does not decompress them).
            guard !framing.sawOtherCoding else {
                return RequestRejection(status: 501, reason: "unsupported transfer coding")
            }
            return nil
        }
        switch framing.contentLengthError {
        case .invalid?: return .badRequest("invalid Content-Length")
        case .conflicting?: return .badRequest("conflicting Content-Length values")
        case nil: return nil
        }
    }
}
