import NIOCore
import NIOHTTP1
import PorticoCore

/// Turns the HTTP/1.1 request bytes the forwarder writes (a head from `WireHeadWriter`,
/// then the body as received: `Content-Length` bytes or validated `chunked` framing)
/// into the parts of an HTTP/2 request: a field list for HEADERS, DATA, and trailers.
///
/// This is what lets an HTTP/2 stream stand in for an upstream connection: the
/// `DownstreamHandler` writes exactly what it would write to an HTTP/1.1 server. Pure
/// (no channel), so the mapping is unit-tested on its own.
struct HTTP1RequestToHTTP2 {
    enum Part: Equatable {
        /// The request's fields for a HEADERS frame, pseudo-fields first; `endStream`
        /// when the request has no body.
        case headers([HTTP2Field], endStream: Bool)
        case data(ByteBuffer, endStream: Bool)
        /// A trailer section (from a chunked body), which ends the stream.
        case trailers([HTTP2Field])
    }

    enum Failure: Error, Equatable {
        case invalidHead(String)
        case invalidBody(String)
    }

    private enum State {
        case head(HTTP1RequestHeadParser)
        case contentLength(remaining: Int)
        case chunked(ChunkedScanner)
        case done
    }

    /// `https` over TLS, else `http` (RFC 9113 §8.3.1: the scheme of the target URI).
    let scheme: String
    private var state: State
    private var pending = ByteBuffer()

    init(scheme: String, limits: LimitsConfig = LimitsConfig()) {
        self.scheme = scheme
        // The head was produced by Portico itself; the limits only bound buffering.
        var headLimits = limits
        headLimits.maxHeaderBytes = max(limits.maxHeaderBytes, 256 * 1024)
        headLimits.maxHeaderCount = max(limits.maxHeaderCount, 1000)
        headLimits.maxRequestLine = max(limits.maxRequestLine, 64 * 1024)
        self.state = .head(HTTP1RequestHeadParser(limits: headLimits))
    }

    var isComplete: Bool {
        if case .done = self.state { return true }
        return false
    }

    /// Feeds written bytes; returns the parts they complete, in order.
    mutating func feed(_ bytes: ByteBuffer) throws(Failure) -> [Part] {
        var bytes = bytes
        if self.pending.readableBytes == 0 {
            self.pending = bytes
        } else {
            self.pending.writeBuffer(&bytes)
        }
        var parts: [Part] = []
        loop: while true {
            switch self.state {
            case .head(var parser):
                switch parser.parse(&self.pending) {
                case .incomplete:
                    self.state = .head(parser)
                    break loop
                case .invalid(let error):
                    throw .invalidHead(error.reason)
                case .complete(let head):
                    let fields = try Self.requestFields(head, scheme: self.scheme)
                    switch head.framing {
                    case .none, .contentLength(0):
                        self.state = .done
                        parts.append(.headers(fields, endStream: true))
                    case .contentLength(let length):
                        self.state = .contentLength(remaining: length)
                        parts.append(.headers(fields, endStream: false))
                    case .chunked:
                        self.state = .chunked(ChunkedScanner(mode: .decode))
                        parts.append(.headers(fields, endStream: false))
                    }
                }
            case .contentLength(let remaining):
                guard self.pending.readableBytes > 0 else { break loop }
                let take = min(remaining, self.pending.readableBytes)
                let slice = self.pending.readSlice(length: take)!
                self.state = take == remaining ? .done : .contentLength(remaining: remaining - take)
                parts.append(.data(slice, endStream: take == remaining))
            case .chunked(var scanner):
                guard self.pending.readableBytes > 0 else { break loop }
                self.state = .done  // keep the scanner uniquely referenced
                switch scanner.scan(&self.pending) {
                case .data(let data):
                    self.state = .chunked(scanner)
                    parts.append(.data(data, endStream: false))
                case .needMoreData:
                    self.state = .chunked(scanner)
                    break loop
                case .end(let trailers):
                    let fields = trailers.compactMap { field -> HTTP2Field? in
                        let name = field.name.lowercased()
                        return HTTP2FieldRules.isConnectionSpecific(name) ? nil : HTTP2Field(name, field.value)
                    }
                    parts.append(fields.isEmpty ? .data(ByteBuffer(), endStream: true) : .trailers(fields))
                case .error(let error):
                    throw .invalidBody("\(error)")
                }
            case .done:
                break loop
            }
        }
        return parts
    }

    /// RFC 9113 §8.3.1 pseudo-fields, then the regular fields lower-cased (§8.2.1),
    /// without the connection-specific ones (§8.2.2) and `Host` (carried by
    /// `:authority`). `te: trailers` is always sent: Portico relays trailers, and gRPC
    /// servers require it.
    static func requestFields(_ head: ParsedRequestHead, scheme: String) throws(Failure) -> [HTTP2Field] {
        let method = head.method.rawValue
        guard method != "CONNECT" else { throw .invalidHead("CONNECT cannot be sent to an HTTP/2 upstream") }
        var authority = ""
        if let index = head.hostFieldIndex {
            authority = String(decoding: head.value(at: index), as: UTF8.self)
        }
        var fields: [HTTP2Field] = [
            HTTP2Field(":method", method),
            HTTP2Field(":scheme", scheme),
            HTTP2Field(":authority", authority),
            HTTP2Field(":path", head.target),
        ]
        if authority.isEmpty { fields.remove(at: 2) }
        for (name, value) in head.makeHeaderList() {
            let lower = name.lowercased()
            if lower == "host" || HTTP2FieldRules.isConnectionSpecific(lower) { continue }
            fields.append(HTTP2Field(lower, value))
        }
        fields.append(HTTP2Field("te", "trailers"))
        return fields
    }
}

/// One field of an HTTP/2 header block (names are lower-case).
struct HTTP2Field: Equatable, Sendable {
    var name: String
    var value: String

    init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

enum HTTP2FieldRules {
    /// RFC 9113 §8.2.2: fields that only mean something for one HTTP/1.1 connection
    /// and make an HTTP/2 message malformed. `te` is listed because the only value
    /// HTTP/2 allows (`trailers`) is added separately.
    static func isConnectionSpecific(_ lowerName: String) -> Bool {
        switch lowerName {
        case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te":
            return true
        default:
            return false
        }
    }
}
