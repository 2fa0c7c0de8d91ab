import NIOCore
import NIOHTTP1
import PorticoCore

/// Reads the HTTP/1.1 response bytes the `DownstreamHandler` writes on an HTTP/2 stream
/// and turns them into the parts of an HTTP/2 response (RFC 9113 §8.1): HEADERS, DATA,
/// trailing HEADERS. It reuses Portico's own wire parsers (`HTTP1ResponseHeadParser`,
/// `ChunkedScanner` in decode mode), so the response is read exactly as an HTTP/1.1
/// client would read it. Pure: unit-tested without channels.
///
/// - 1xx heads (103 Early Hints, 100 Continue) become non-final HEADERS (§8.1);
/// - connection-specific fields — `Connection`, the fields it names, `Keep-Alive`,
///   `Proxy-Connection`, `Transfer-Encoding`, `Upgrade` — are dropped (§8.2.2), names
///   are lowercased (§8.2.1);
/// - a chunked body is de-chunked; its trailer fields become a trailing HEADERS frame
///   with END_STREAM (§8.1), as gRPC needs;
/// - answers to HEAD, 204 and 304 carry no DATA (RFC 9110 §6.4.1), END_STREAM goes on
///   the HEADERS frame;
/// - a body delimited by the connection closing ends when the stream is closed
///   (`finish()`).
struct HTTP2ResponseTranslator {
    enum Part: Equatable {
        /// `fields` include `:status` first.
        case head(fields: [(String, String)], isFinal: Bool, endStream: Bool)
        case data(ByteBuffer, endStream: Bool)
        case trailers([(String, String)])

        static func == (lhs: Part, rhs: Part) -> Bool {
            switch (lhs, rhs) {
            case (.head(let a, let f1, let e1), .head(let b, let f2, let e2)):
                return f1 == f2 && e1 == e2 && a.elementsEqual(b, by: { $0 == $1 })
            case (.data(let a, let e1), .data(let b, let e2)):
                return a == b && e1 == e2
            case (.trailers(let a), .trailers(let b)):
                return a.elementsEqual(b, by: { $0 == $1 })
            default:
                return false
            }
        }
    }

    struct Failure: Error, Equatable {
        var reason: String
    }

    private enum State {
        case head
        case contentLength(remaining: Int)
        case chunked(ChunkedScanner)
        case untilClose
        case done
    }

    private let requestMethod: HTTPMethod
    private var state = State.head
    private var parser = HTTP1ResponseHeadParser(maxHeaderBytes: 1024 * 1024, maxFieldCount: 10_000)
    private var buffered = ByteBuffer()

    init(requestMethod: HTTPMethod) {
        self.requestMethod = requestMethod
    }

    /// Whether END_STREAM has been produced.
    var isComplete: Bool {
        if case .done = self.state { return true }
        return false
    }

    /// Consumes `bytes`, appending the parts they complete to `parts`.
    mutating func consume(_ bytes: ByteBuffer, into parts: inout [Part]) throws(Failure) {
        var input: ByteBuffer
        if self.buffered.readableBytes > 0 {
            var more = bytes
            self.buffered.writeBuffer(&more)
            input = self.buffered
            self.buffered = ByteBuffer()
        } else {
            input = bytes
        }
        while input.readableBytes > 0 {
            switch self.state {
            case .done:
                throw Failure(reason: "bytes after the end of the response")
            case .head:
                switch self.parser.parse(&input) {
                case .incomplete:
                    self.buffered = input
                    return
                case .invalid(let error):
                    throw Failure(reason: "response head: \(error)")
                case .complete(let head):
                    self.parser = HTTP1ResponseHeadParser(maxHeaderBytes: 1024 * 1024, maxFieldCount: 10_000)
                    try self.startResponse(head, into: &parts)
                }
            case .contentLength(let remaining):
                let take = min(remaining, input.readableBytes)
                let slice = input.readSlice(length: take)!
                let left = remaining - take
                self.state = left == 0 ? .done : .contentLength(remaining: left)
                parts.append(.data(slice, endStream: left == 0))
            case .chunked(var scanner):
                self.state = .done  // keep the scanner uniquely referenced while it mutates
                switch scanner.scan(&input) {
                case .needMoreData:
                    self.state = .chunked(scanner)
                case .data(let data):
                    self.state = .chunked(scanner)
                    parts.append(.data(data, endStream: false))
                case .end(let trailers):
                    if trailers.isEmpty {
                        parts.append(.data(ByteBuffer(), endStream: true))
                    } else {
                        parts.append(.trailers(trailers.compactMap(Self.trailerField)))
                    }
                case .error(let error):
                    throw Failure(reason: "chunked body: \(error)")
                }
            case .untilClose:
                let slice = input.readSlice(length: input.readableBytes)!
                parts.append(.data(slice, endStream: false))
            }
        }
    }

    /// The stream is being closed: a body delimited by the close ends here. Returns the
    /// final part if one is due, and whether the response was complete.
    mutating func finish() -> (part: Part?, complete: Bool) {
        switch self.state {
        case .done:
            return (nil, true)
        case .untilClose where self.buffered.readableBytes == 0:
            self.state = .done
            return (.data(ByteBuffer(), endStream: true), true)
        default:
            return (nil, false)
        }
    }

    private mutating func startResponse(_ head: ParsedResponseHead, into parts: inout [Part]) throws(Failure) {
        let status = head.status
        if status == 101 {
            throw Failure(reason: "101 Switching Protocols has no HTTP/2 equivalent")  // RFC 9113 §8.6
        }
        let fields = Self.fields(of: head)
        if status < 200 {
            parts.append(.head(fields: fields, isFinal: false, endStream: false))
            return  // the final head follows
        }
        guard let framing = head.framing(forRequestMethod: self.requestMethod) else {
            throw Failure(reason: "unsupported transfer coding")
        }
        switch framing {
        case .none, .contentLength(0):
            self.state = .done
            parts.append(.head(fields: fields, isFinal: true, endStream: true))
        case .contentLength(let length):
            self.state = .contentLength(remaining: length)
            parts.append(.head(fields: fields, isFinal: true, endStream: false))
        case .chunked:
            self.state = .chunked(ChunkedScanner(mode: .decode))
            parts.append(.head(fields: fields, isFinal: true, endStream: false))
        case .untilClose:
            self.state = .untilClose
            parts.append(.head(fields: fields, isFinal: true, endStream: false))
        }
    }

    /// `:status` and the fields an HTTP/2 response may carry, names lowercased.
    static func fields(of head: ParsedResponseHead) -> [(String, String)] {
        var nominated: Set<String> = []
        var index = head.fieldIndex(named: "connection")
        while let current = index {
            let value = String(decoding: head.value(at: current), as: UTF8.self)
            for token in value.split(separator: ",") {
                nominated.insert(Self.trimmingOWS(token).lowercased())
            }
            index = head.fieldIndex(named: "connection", from: current + 1)
        }
        var fields: [(String, String)] = [(":status", String(head.status))]
        fields.reserveCapacity(head.fields.count + 1)
        for index in 0..<head.fields.count {
            let name = String(decoding: head.name(at: index), as: UTF8.self).lowercased()
            if Self.isConnectionSpecific(name) || nominated.contains(name) { continue }
            fields.append((name, String(decoding: head.value(at: index), as: UTF8.self)))
        }
        return fields
    }

    static func trimmingOWS(_ text: Substring) -> Substring {
        let isOWS: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isOWS($0) }), let last = text.lastIndex(where: { !isOWS($0) }) else {
            return ""
        }
        return text[first...last]
    }

    static func isConnectionSpecific(_ name: String) -> Bool {
        switch name {
        case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
            return true
        default:
            return false
        }
    }

    /// Trailer fields that may appear in HTTP/2 (RFC 9110 §6.5.1: no framing or routing).
    private static func trailerField(_ field: ChunkedTrailerField) -> (String, String)? {
        let name = field.name.lowercased()
        if Self.isConnectionSpecific(name) || name == "content-length" || name == "host" { return nil }
        return (name, field.value)
    }
}
