import NIOCore
import NIOHTTP1

/// A response head parsed by `HTTP1ResponseHeadParser`.
public struct ParsedResponseHead: HTTP1ParsedHead {
    /// Exactly the head, status line through the final CRLF CRLF (a slice, no copy).
    public internal(set) var bytes: ByteBuffer
    /// HTTP/1.0 or HTTP/1.1.
    public internal(set) var version: HTTPVersion
    /// 100–999.
    public internal(set) var status: Int
    /// The reason phrase within `bytes`; empty when the status line has none.
    public internal(set) var reasonRange: Range<Int>
    public internal(set) var fields: [HeaderFieldSlot]
    /// The framing the fields declare, ignoring the status code and request method:
    /// `.chunked`, `.contentLength`, or `.untilClose` (no length field, or a
    /// Transfer-Encoding other than exactly `chunked`). Use `framing(forRequestMethod:)`.
    public internal(set) var framing: ResponseFraming
    /// Transfer-Encoding present but not exactly `chunked`; see `framing(forRequestMethod:)`.
    public internal(set) var hasUnsupportedTransferCoding: Bool
    public internal(set) var connection: ConnectionOptions
    /// RFC 9112 §9.3 from the version and Connection tokens only; a body read until close
    /// also ends the connection, see `isKeepAlive(forRequestMethod:)`.
    public internal(set) var isKeepAlive: Bool

    /// How the body of this response is delimited given the request it answers
    /// (RFC 9112 §6.3): none for 1xx, 204 and 304 (item 1), for HEAD (item 1) and for a
    /// 2xx to CONNECT (item 2, a tunnel; Portico refuses CONNECT anyway). `nil` means the
    /// response has a body whose Transfer-Encoding Portico does not accept (anything but
    /// exactly `chunked`, as `ResponseValidator`): answer 502 and close.
    public func framing(forRequestMethod method: HTTPMethod) -> ResponseFraming? {
        if (100..<200).contains(status) || status == 204 || status == 304 || method == .HEAD {
            return ResponseFraming.none
        }
        if method == .CONNECT, (200..<300).contains(status) { return ResponseFraming.none }
        if hasUnsupportedTransferCoding { return nil }
        return framing
    }

    /// `isKeepAlive`, and false when the body is read until close or refused.
    public func isKeepAlive(forRequestMethod method: HTTPMethod) -> Bool {
        guard isKeepAlive, let framing = framing(forRequestMethod: method) else { return false }
        return framing != .untilClose
    }

    /// The reason phrase (allocates).
    public var reason: String {
        withUnsafeBytes(of: reasonRange) { String(decoding: $0, as: UTF8.self) }
    }

    /// The same head as NIO's `HTTPResponseDecoder` would produce (allocates strings). The
    /// reason phrase is NIO's default for the status, as NIO's decoder does.
    public func makeNIOResponseHead() -> HTTPResponseHead {
        HTTPResponseHead(
            version: version, status: HTTPResponseStatus(statusCode: status), headers: HTTPHeaders(makeHeaderList())
        )
    }
}
