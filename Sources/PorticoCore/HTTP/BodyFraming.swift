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

    /// Rewrites the framing fields of the upstream request to say exactly this framing:
    /// removes every Content-Length and Transfer-Encoding field, then adds a single
    /// `content-length: N` or `transfer-encoding: chunked`. This collapses accepted
    /// duplicates (`Content-Length: 5, 5`, RFC 9112 §6.3 item 5) so the upstream never sees
    /// a list.
    /// A single, already canonical Content-Length field is left as it is (no work).
    public func apply(to headers: inout HTTPHeaders) {
        switch self {
        case .none:
            headers.remove(name: "content-length")
            headers.remove(name: "transfer-encoding")
        case .contentLength(let length):
            if Self.hasSingleCanonicalContentLength(headers, length) { return }
            headers.remove(name: "transfer-encoding")
            headers.replaceOrAdd(name: "content-length", value: String(length))
        case .chunked:
            headers.remove(name: "content-length")
            headers.replaceOrAdd(name: "transfer-encoding", value: "chunked")
        }
    }

    private static func hasSingleCanonicalContentLength(_ headers: HTTPHeaders, _ length: Int) -> Bool {
        var found = false
        for (name, value) in headers {
            switch KnownField.classify(name) {
            case .transferEncoding: return false
            case .contentLength:
                if found { return false }
                found = true
                // Canonical: digits only, no leading zero (unless "0"), equal to `length`.
                guard let n = MessageFraming.parseDecimal(value[...]), n == length,
                      value.utf8.count == 1 || value.utf8.first != 0x30
                else { return false }
            case .host, .other: break
            }
        }
        return found
    }
}
