import NIOCore
import NIOHTTP1
import PorticoCore

/// Turns an upstream response head into the head sent to the client, and decides
/// how the body is framed on the client connection.
///
/// Pure; unit-tested in `ClientResponseBuilderTests`.
enum ClientResponseBuilder {
    struct Output {
        var head: HTTPResponseHead
        /// The client connection must close after this response: the body is
        /// delimited by the close (HTTP/1.0 client, no Content-Length), or the
        /// caller asked for it.
        var closeConnection: Bool
    }

    /// - Parameters:
    ///   - upstream: the final (non-1xx) response head from the origin.
    ///   - requestMethod: the client's method (HEAD responses carry no body).
    ///   - clientVersion: the version the client spoke.
    ///   - closeConnection: whether the connection closes after this response anyway.
    static func build(
        upstream: HTTPResponseHead,
        requestMethod: HTTPMethod,
        clientVersion: HTTPVersion,
        closeConnection: Bool,
        rules: HeaderRules,
        forwardedHeaders: ForwardedHeaders
    ) -> Output {
        var headers = upstream.headers
        let upstreamChunked = headers.contains(name: "transfer-encoding")
        let hasContentLength = headers.contains(name: "content-length")
        HopByHop.strip(&headers)
        forwardedHeaders.appendVia(to: &headers, receivedVersion: upstream.version)
        rules.apply(to: &headers)

        var close = closeConnection
        let code = upstream.status.code
        // RFC 9112 §6.3: responses to HEAD, and 1xx/204/304 responses, never have a body.
        let hasNoBody = requestMethod == .HEAD || code == 204 || code == 304 || code < 200
        if hasNoBody {
            if requestMethod == .HEAD && upstreamChunked && !hasContentLength {
                // Mirror what a GET would have said; the encoder sends no body for HEAD.
                headers.add(name: "transfer-encoding", value: "chunked")
            }
        } else if !hasContentLength {
            if clientVersion.major == 1 && clientVersion.minor >= 1 {
                // Chunked (or close-delimited) upstream body: re-chunk for the client so
                // the connection survives (RFC 9112 §7).
                headers.add(name: "transfer-encoding", value: "chunked")
            } else {
                // HTTP/1.0 clients do not understand chunked: the close ends the body
                // (RFC 9112 §6.3, item 8).
                close = true
            }
        }

        if close {
            headers.replaceOrAdd(name: "connection", value: "close")
        } else if clientVersion.major == 1 && clientVersion.minor == 0 {
            headers.replaceOrAdd(name: "connection", value: "keep-alive")
        }

        var head = HTTPResponseHead(version: .http1_1, status: upstream.status)
        head.headers = headers
        return Output(head: head, closeConnection: close)
    }
}
