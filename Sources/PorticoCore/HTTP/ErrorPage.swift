/// Bodies of the responses Portico generates itself (rejections, upstream failures).
///
/// They state the status and the request id so a user can quote the id to an operator,
/// and nothing else: never upstream addresses, error texts or request bytes, which would
/// leak internals or reflect attacker input (RFC 9110 §17 security considerations).
public enum ErrorPage {
    /// `"502 Bad Gateway\nrequest-id: <id>\n"`, served as `text/plain; charset=utf-8`.
    /// `detail` is one fixed sentence chosen by Portico (never upstream or request text),
    /// e.g. "no upstream server is available", written as the second line.
    public static func body(status: Int, requestID: String, detail: String? = nil) -> String {
        let reason = reasonPhrase(for: status)
        var text = ""
        text.reserveCapacity(32 + reason.utf8.count + requestID.utf8.count + (detail?.utf8.count ?? 0))
        text += String(status)
        text += " "
        text += reason
        if let detail {
            text += "\n"
            text += detail
        }
        text += "\nrequest-id: "
        text += requestID
        text += "\n"
        return text
    }

    /// The RFC 9110 §15 reason phrase (plus RFC 6585 for 429/431) of the statuses Portico
    /// sends; `"Error"` for any other code.
    public static func reasonPhrase(for status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 417: return "Expectation Failed"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Error"
        }
    }
}
