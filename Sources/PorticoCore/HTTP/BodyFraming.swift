import NIOHTTP1

/// How a request body is delimited (RFC 9112 §6.3), computed from a head that
/// `RequestValidator.validate` accepted. On an unvalidated head the answer is meaningless.
public enum BodyFraming: Sendable, Equatable {
    /// No body: neither Content-Length nor Transfer-Encoding (RFC 9112 §6.3 item 7).
    case none
    /// Exactly this many bytes. `contentLength(0)` is kept distinct from `.none` so that an
    /// explicit `Content-Length: 0` (which some origins require on POST) is forwarded.
    case contentLength(Int)
    /// Chunked transfer coding (the only coding a validated request can carry).
    case chunked

    /// The framing of a validated request head. Allocation-free; one pass over the fields.
    public static func of(_ head: HTTPRequestHead) -> BodyFraming {
        var framing = MessageFraming()
        for (name, value) in head.headers {
            switch KnownField.classify(name) {
            case .transferEncoding: return .chunked
            case .contentLength: framing.addContentLength(value)
            case .host, .other: break
            }
        }
        if let length = framing.contentLength { return .contentLength(length) }
        return .none
    }
}
