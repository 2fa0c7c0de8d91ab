import NIOCore
import NIOHTTP1

/// A request head parsed and validated by `HTTP1RequestHeadParser`: the received bytes
/// plus offsets into them. Nothing was copied or decoded into strings; the accessors of
/// `HTTP1ParsedHead` read names and values in place.
public struct ParsedRequestHead: HTTP1ParsedHead {
    /// Exactly the head, request line through the final CRLF CRLF: a slice of the received
    /// buffer (shared storage, no copy). Leading empty lines (RFC 9112 §2.2) are not part of it.
    public internal(set) var bytes: ByteBuffer
    public internal(set) var method: HTTPMethod
    /// The request-target within `bytes`, as received (RFC 9112 §3.2).
    public internal(set) var targetRange: Range<Int>
    /// HTTP/1.0 or HTTP/1.1.
    public internal(set) var version: HTTPVersion
    /// Every field line, in order.
    public internal(set) var fields: [HeaderFieldSlot]
    /// How the body is delimited; already validated (RFC 9112 §6).
    public internal(set) var framing: BodyFraming
    /// Index into `fields` of the Host field (at most one is accepted); `nil` only for
    /// HTTP/1.0 without Host.
    public internal(set) var hostFieldIndex: Int?
    /// Tokens of all `Connection` fields (RFC 9110 §7.6.1).
    public internal(set) var connection: ConnectionOptions
    /// `Expect: 100-continue` in an HTTP/1.1 request (RFC 9110 §10.1.1: a server ignores
    /// it in HTTP/1.0). Whether the request has a body is for the caller to combine.
    public internal(set) var expectsContinue: Bool
    /// Whether the connection may carry another request afterwards (RFC 9112 §9.3).
    public internal(set) var isKeepAlive: Bool

    /// An empty head with no storage, for holders that must let go of the received bytes
    /// (an idle connection's reusable exchange) without becoming optional.
    public static let empty = ParsedRequestHead(
        bytes: ByteBuffer(), method: .GET, targetRange: 0..<0, version: .http1_1, fields: [],
        framing: .none, hostFieldIndex: nil, connection: [], expectsContinue: false, isKeepAlive: true
    )

    /// The request-target as a string. Allocates: for logs, tests and NIO interop.
    public var target: String {
        withUnsafeBytes(of: targetRange) { String(decoding: $0, as: UTF8.self) }
    }

    /// The Host value, when there is a Host field.
    public var hostValue: ByteBufferView? {
        hostFieldIndex.map { value(at: $0) }
    }

    /// The same head as NIO's `HTTPRequestDecoder` would produce (allocates strings).
    public func makeNIORequestHead() -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: target, headers: HTTPHeaders(makeHeaderList()))
    }
}
