import Foundation

/// One HTTP/1.1 response exactly as parsed from the wire by ``RawHTTPClient``.
public struct RawResponse: Sendable, CustomStringConvertible {
    /// For example `"HTTP/1.1"`.
    public var version: String
    public var status: Int
    public var reason: String
    /// Header lines in wire order and spelling.
    public var headers: [HeaderField]
    /// The body (de-chunked), retained up to the client's limit; ``bodyDigest`` covers all of it.
    public var body: [UInt8]
    /// Count and checksum of the whole body.
    public var bodyDigest: BodyDigest
    /// Trailer fields after a chunked body.
    public var trailers: [HeaderField]
    /// Interim (1xx) responses that preceded this one, when they were skipped over.
    public var informational: [RawResponse]
    /// How the body was delimited.
    public var framing: Framing

    /// How a response body was delimited on the wire.
    public enum Framing: Sendable, Equatable {
        case none, contentLength, chunked, untilClose
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? { headers.first(named: name) }
    /// Every value of header `name` (case-insensitive).
    public func headers(named name: String) -> [String] { headers.values(named: name) }
    /// The retained body decoded as UTF-8.
    public var bodyString: String { String(decoding: body, as: UTF8.self) }
    /// Total body size in bytes.
    public var bodyByteCount: Int { bodyDigest.byteCount }
    /// Whether the server signalled the connection will close (`Connection: close` or HTTP/1.0).
    public var closesConnection: Bool {
        let tokens = headers(named: "connection").flatMap { $0.lowercased().split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if tokens.contains("close") { return true }
        return version == "HTTP/1.0" && !tokens.contains("keep-alive")
    }

    public var description: String {
        "\(version) \(status) \(reason) (\(headers.count) headers, body \(bodyDigest))"
    }
}

/// Errors from ``RawHTTPClient``.
public enum RawHTTPClientError: Error, CustomStringConvertible, Equatable {
    /// Nothing (or not enough) arrived in time.
    case timeout(operation: String, after: Duration, bufferedBytes: Int)
    /// The connection ended before a complete response arrived.
    case closedBeforeResponseComplete(status: Int?, bodyBytesReceived: Int, bufferedBytes: Int)
    /// The bytes received are not a valid HTTP/1.1 response.
    case malformedResponse(String)
    /// A read was started while another one was still waiting.
    case concurrentRead

    public var description: String {
        switch self {
        case .timeout(let operation, let after, let buffered):
            return "RawHTTPClient: \(operation) timed out after \(after) (\(buffered) unparsed bytes buffered)"
        case .closedBeforeResponseComplete(let status, let bodyBytes, let buffered):
            let what = status.map { "after head with status \($0) and \(bodyBytes) body bytes" } ?? "before a complete response head"
            return "RawHTTPClient: connection closed \(what) (\(buffered) unparsed bytes buffered)"
        case .malformedResponse(let why):
            return "RawHTTPClient: malformed response: \(why)"
        case .concurrentRead:
            return "RawHTTPClient: a read is already in progress on this connection"
        }
    }
}
