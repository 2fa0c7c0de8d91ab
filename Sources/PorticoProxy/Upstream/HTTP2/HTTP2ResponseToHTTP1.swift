import NIOCore
import NIOHTTP1

/// Turns an HTTP/2 response (HEADERS, DATA, trailing HEADERS) into HTTP/1.1 response
/// bytes for the `UpstreamHandler`, which parses them as if an HTTP/1.1 server had sent
/// them (so the rest of the data path is unchanged).
///
/// Framing (RFC 9112 §6): a response whose HEADERS end the stream gets
/// `content-length: 0` (unless it cannot have a body); one with a `content-length`
/// keeps it and its DATA passes unchanged; any other body is sent `chunked`, which is
/// the only HTTP/1.1 framing that can carry trailers (RFC 9112 §7.1.2) — gRPC's
/// `grpc-status` and `grpc-message` arrive that way. Pure, unit-tested.
struct HTTP2ResponseToHTTP1 {
    enum Failure: Error, Equatable {
        case malformed(String)
    }

    private enum BodyMode {
        case awaitingHead
        /// DATA is passed unchanged (`content-length`) or dropped (no body allowed).
        case raw(dropData: Bool)
        case chunked
        case done
    }

    let requestMethod: HTTPMethod
    private var mode = BodyMode.awaitingHead

    init(requestMethod: HTTPMethod) {
        self.requestMethod = requestMethod
    }

    var isComplete: Bool {
        if case .done = self.mode { return true }
        return false
    }

    /// A HEADERS frame: a response head (1xx or final), or the trailers.
    mutating func headers(_ fields: [HTTP2Field], endStream: Bool) throws(Failure) -> ByteBuffer {
        var out = ByteBuffer()
        switch self.mode {
        case .awaitingHead:
            guard let statusText = fields.first(where: { $0.name == ":status" })?.value,
                statusText.utf8.count == 3, let status = Int(statusText), (100...599).contains(status)
            else { throw .malformed("missing or invalid :status") }
            out.writeString("HTTP/1.1 \(statusText) \(HTTPResponseStatus(statusCode: status).reasonPhrase)\r\n")
            let regular = fields.filter { !$0.name.hasPrefix(":") && !HTTP2FieldRules.isConnectionSpecific($0.name) }
            for field in regular {
                Self.writeField(field, into: &out)
            }
            if status < 200 {
                out.writeStaticString("\r\n")
                return out  // 1xx: the final head follows
            }
            let hasLength = regular.contains { $0.name == "content-length" }
            let bodyless = self.requestMethod == .HEAD || status == 204 || status == 304
            if bodyless {
                self.mode = endStream ? .done : .raw(dropData: true)
            } else if endStream {
                if !hasLength { out.writeStaticString("content-length: 0\r\n") }
                self.mode = .done
            } else if hasLength {
                self.mode = .raw(dropData: false)
            } else {
                out.writeStaticString("transfer-encoding: chunked\r\n")
                self.mode = .chunked
            }
            out.writeStaticString("\r\n")
        case .chunked:
            // Trailers (RFC 9113 §8.1): the last chunk, then the fields.
            guard endStream else { throw .malformed("HEADERS in the middle of a response body") }
            out.writeStaticString("0\r\n")
            for field in fields where !field.name.hasPrefix(":") && !HTTP2FieldRules.isConnectionSpecific(field.name) {
                Self.writeField(field, into: &out)
            }
            out.writeStaticString("\r\n")
            self.mode = .done
        case .raw:
            // A fixed-length body cannot carry trailers in HTTP/1.1: they are dropped.
            guard endStream else { throw .malformed("HEADERS in the middle of a response body") }
            self.mode = .done
        case .done:
            throw .malformed("HEADERS after the end of the response")
        }
        return out
    }

    /// A DATA frame's payload, framed for HTTP/1.1.
    mutating func data(_ payload: ByteBuffer, endStream: Bool) throws(Failure) -> ByteBuffer? {
        switch self.mode {
        case .awaitingHead:
            throw .malformed("DATA before the response HEADERS")
        case .done:
            throw .malformed("DATA after the end of the response")
        case .raw(let dropData):
            if endStream { self.mode = .done }
            return dropData || payload.readableBytes == 0 ? nil : payload
        case .chunked:
            var out = ByteBuffer()
            if payload.readableBytes > 0 {
                out.writeString(String(payload.readableBytes, radix: 16))
                out.writeStaticString("\r\n")
                var copy = payload
                out.writeBuffer(&copy)
                out.writeStaticString("\r\n")
            }
            if endStream {
                out.writeStaticString("0\r\n\r\n")
                self.mode = .done
            }
            return out.readableBytes > 0 ? out : nil
        }
    }

    private static func writeField(_ field: HTTP2Field, into out: inout ByteBuffer) {
        out.writeString(field.name)
        out.writeStaticString(": ")
        out.writeString(field.value)
        out.writeStaticString("\r\n")
    }
}
