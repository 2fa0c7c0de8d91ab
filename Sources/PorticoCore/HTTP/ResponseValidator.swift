import NIOHTTP1

/// Checks an upstream response head before any of it is forwarded. A non-nil result is a
/// short reason for the log; the proxy then answers 502 (RFC 9110 §15.6.3) and closes the
/// upstream connection instead of relaying a message whose framing could desynchronise the
/// client connection (response splitting / smuggling, RFC 9112 §11.2).
public enum ResponseValidator {
    /// - Parameter requestMethod: the method of the request this answers. Responses to HEAD,
    ///   and 1xx/204/304 responses, have no body whatever their framing fields say
    ///   (RFC 9112 §6.3 items 1–2), so only their syntax is checked, not their codings.
    public static func validate(_ head: HTTPResponseHead, requestMethod: HTTPMethod) -> String? {
        let version = head.version
        guard version.major == 1, version.minor == 0 || version.minor == 1 else {
            return "unsupported upstream HTTP version"
        }
        var framing = MessageFraming()
        for (name, value) in head.headers {
            // A malformed name would be relayed verbatim to the client; a value with CR/LF
            // would split the response (RFC 9110 §5.5).
            guard FieldSyntax.isValidName(name) else { return "invalid header field name" }
            guard FieldSyntax.isValidValue(value) else { return "invalid header field value" }
            switch KnownField.classify(name) {
            case .contentLength: framing.addContentLength(value)
            case .transferEncoding: framing.addTransferEncoding(value)
            case .host, .other: break
            }
        }
        switch framing.contentLengthError {
        case .invalid?: return "invalid Content-Length"
        case .conflicting?: return "conflicting Content-Length values"
        case nil: break
        }
        guard framing.sawTransferEncoding else { return nil }
        // RFC 9112 §6.1: CL + TE is a smuggling signal ("ought to be handled as an error").
        if framing.sawContentLength { return "both Content-Length and Transfer-Encoding" }
        // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
        if version.minor == 0 { return "Transfer-Encoding in HTTP/1.0 response" }
        let status = head.status.code
        let bodiless = requestMethod == .HEAD || (100..<200).contains(status) || status == 204 || status == 304
        if bodiless { return nil }
        // RFC 9112 §6.3 item 4 would read a non-chunked final coding until close. Portico
        // refuses it, and also refuses any other coding before chunked (`gzip, chunked`):
        // Transfer-Encoding is hop-by-hop and dropped when re-framing for the client, so a
        // relayed body would silently lose its gzip layer.
        guard framing.finalIsChunked, framing.chunkedCount == 1, !framing.sawOtherCoding else {
            return "unsupported Transfer-Encoding"
        }
        return nil
    }
}
