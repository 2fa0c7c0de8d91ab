import NIOCore
import NIOHTTP1
import PorticoCore

/// Turns a validated client request head into the head sent to an upstream server.
///
/// Pure: no channel, no clock; unit-tested in `UpstreamRequestBuilderTests`.
enum UpstreamRequestBuilder {
    struct Input {
        var clientHead: HTTPRequestHead
        var framing: BodyFraming
        /// The client's address as written in `X-Forwarded-For` (bare IPv6, no port).
        var clientAddress: String
        /// The scheme the client used to reach Portico.
        var scheme: ForwardedHeaders.Proto
        var forwardedHeaders: ForwardedHeaders
        /// The host the client asked for (absolute-form authority or `Host`, with port).
        var requestedHost: String?
        /// Path and query to send (after `strip_prefix` and absolute-form conversion).
        var target: String
        var preserveHost: Bool
        var upstreamHostHeader: String
        var rules: HeaderRules
    }

    /// - Returns: the upstream request head, always HTTP/1.1 (RFC 9110 §2.5: a proxy
    ///   sends its own highest version, whatever the client spoke).
    static func build(_ input: Input) -> HTTPRequestHead {
        var headers = input.clientHead.headers
        // RFC 9110 §7.6.1: hop-by-hop fields, and those named in Connection, are
        // for this hop only. Transfer-Encoding goes too: we re-frame below.
        HopByHop.strip(&headers)
        // Portico answers `Expect: 100-continue` itself once it is ready to read the
        // body (as nginx does), so the expectation is met and must not go further.
        headers.remove(name: "expect")
        input.forwardedHeaders.apply(
            to: &headers,
            clientAddress: input.clientAddress,
            proto: input.scheme,
            clientHost: input.requestedHost,
            receivedVersion: input.clientHead.version
        )
        if !input.preserveHost {
            headers.replaceOrAdd(name: "host", value: input.upstreamHostHeader)
        } else if let requestedHost = input.requestedHost, !headers.contains(name: "host") {
            // HTTP/1.0 clients may omit Host; HTTP/1.1 upstreams require it (RFC 9112 §3.2).
            headers.add(name: "host", value: requestedHost)
        } else if let requestedHost = input.requestedHost, input.clientHead.uri.first != "/",
            input.clientHead.uri != "*"
        {
            // Absolute-form request: its authority replaces Host (RFC 9112 §3.2.2).
            headers.replaceOrAdd(name: "host", value: requestedHost)
        } else if !headers.contains(name: "host") {
            headers.add(name: "host", value: input.upstreamHostHeader)
        }
        input.rules.apply(to: &headers)

        // Say exactly the framing we validated: one Content-Length or chunked.
        input.framing.apply(to: &headers)

        var head = HTTPRequestHead(version: .http1_1, method: input.clientHead.method, uri: input.target)
        head.headers = headers
        return head
    }
}
