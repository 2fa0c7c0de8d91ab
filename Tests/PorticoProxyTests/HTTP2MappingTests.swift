import NIOCore
import NIOHTTP1
import PorticoCore
import Testing

@testable import PorticoProxy

/// The pure halves of the HTTP/2 stream bridge: request header blocks → HTTP/1.1 heads
/// (RFC 9113 §8.3, §8.2.2, §8.2.3) and HTTP/1.1 response bytes → HTTP/2 parts.
@Suite struct HTTP2RequestMapperTests {
    static let base: [(name: String, value: String)] = [
        (":method", "GET"), (":scheme", "https"), (":authority", "example.test"), (":path", "/a?b=1"),
    ]

    func head(_ fields: [(name: String, value: String)], endStream: Bool = true) throws -> (String, HTTP2RequestMapper.BodyFraming) {
        guard case .request(let mapped) = HTTP2RequestMapper.map(fields: fields, endStream: endStream) else {
            Issue.record("malformed")
            throw CancellationError()
        }
        return (String(buffer: mapped.head), mapped.body)
    }

    func malformed(_ fields: [(name: String, value: String)], endStream: Bool = true) -> Bool {
        if case .malformed = HTTP2RequestMapper.map(fields: fields, endStream: endStream) { return true }
        return false
    }

    @Test func pseudoHeadersBecomeTheRequestLineAndHost() throws {
        let (text, body) = try head(Self.base + [("accept", "*/*")])
        #expect(text == "GET /a?b=1 HTTP/1.1\r\nhost: example.test\r\naccept: */*\r\n\r\n")
        #expect(body == .none)
    }

    @Test func theResultParsesWithPorticosOwnParser() throws {
        let (text, _) = try head(Self.base + [("user-agent", "t")], endStream: false)
        var buffer = ByteBuffer(string: text)
        var parser = HTTP1RequestHeadParser(limits: LimitsConfig())
        guard case .complete(let parsed) = parser.parse(&buffer) else {
            Issue.record("not parsed")
            return
        }
        #expect(parsed.method == .GET)
        #expect(parsed.hostFieldIndex != nil)
        #expect(parsed.isKeepAlive)
    }

    @Test func cookiesAreJoined() throws {
        let (text, _) = try head(Self.base + [("cookie", "a=1"), ("x", "y"), ("cookie", "b=2")])
        #expect(text.contains("cookie: a=1; b=2\r\n"))
        #expect(text.components(separatedBy: "cookie:").count == 2)
    }

    @Test func aMatchingHostIsDroppedAConflictingOneKeptForThe400() throws {
        let (same, _) = try head(Self.base + [("host", "EXAMPLE.test")])
        #expect(same.components(separatedBy: "host:").count == 2)
        let (other, _) = try head(Self.base + [("host", "evil.test")])
        #expect(other.contains("host: example.test\r\n") && other.contains("host: evil.test\r\n"))
        var buffer = ByteBuffer(string: other)
        var parser = HTTP1RequestHeadParser(limits: LimitsConfig())
        guard case .invalid(let error) = parser.parse(&buffer) else {
            Issue.record("two Host fields were accepted")
            return
        }
        #expect(error.status == 400)
    }

    @Test func hostWithoutAuthorityIsUsed() throws {
        let fields: [(name: String, value: String)] = [(":method", "GET"), (":scheme", "http"), (":path", "/"), ("host", "h.test")]
        let (text, _) = try head(fields)
        #expect(text == "GET / HTTP/1.1\r\nhost: h.test\r\n\r\n")
    }

    @Test func bodyFraming() throws {
        let (chunked, framing) = try head(Self.base, endStream: false)
        #expect(framing == .chunked)
        #expect(chunked.hasSuffix("transfer-encoding: chunked\r\n\r\n"))
        let (sized, sizedFraming) = try head(Self.base + [("content-length", "5")], endStream: false)
        #expect(sizedFraming == .contentLength(5))
        #expect(sized.hasSuffix("content-length: 5\r\n\r\n"))
        let (empty, emptyFraming) = try head(Self.base + [("content-length", "0")], endStream: true)
        #expect(emptyFraming == .none)
        #expect(empty.hasSuffix("content-length: 0\r\n\r\n"))
    }

    @Test func malformedRequests() {
        for name in ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"] {
            #expect(malformed(Self.base + [(name, "x")]), "\(name)")
        }
        #expect(malformed(Self.base + [("te", "gzip")]))
        #expect(!malformed(Self.base + [("te", "trailers")]))
        #expect(malformed(Self.base + [("x", "a\r\nb: c")]))
        #expect(malformed(Self.base + [("x", "a\u{0}")]))
        #expect(malformed(Self.base + [("X-Upper", "1")]))
        #expect(malformed(Self.base + [("content-length", "5")], endStream: true))
        #expect(malformed(Self.base + [("content-length", "5"), ("content-length", "6")], endStream: false))
        #expect(malformed(Self.base + [("content-length", "-1")], endStream: false))
        #expect(malformed([(":method", "GET"), (":scheme", "http"), (":path", "http://x/")]))
        #expect(malformed([(":method", "GET"), (":scheme", "http"), (":path", "/a b")]))
        #expect(malformed([(":scheme", "http"), (":path", "/")]))
        #expect(malformed([(":method", "CONNECT"), (":authority", "x:443")]))
        #expect(malformed(Self.base + [(":protocol", "websocket")]))
        #expect(!malformed([(":method", "OPTIONS"), (":scheme", "http"), (":authority", "a"), (":path", "*")]))
    }

    @Test func chunksAndTrailers() {
        var out = ByteBuffer()
        HTTP2RequestMapper.chunk(ByteBuffer(string: "hello world!!!!!!"), into: &out)
        HTTP2RequestMapper.chunk(ByteBuffer(), into: &out)
        #expect(HTTP2RequestMapper.lastChunk(trailers: [("grpc-status", "0"), ("content-length", "3")], into: &out))
        #expect(String(buffer: out) == "11\r\nhello world!!!!!!\r\n0\r\ngrpc-status: 0\r\n\r\n")
        var bad = ByteBuffer()
        #expect(!HTTP2RequestMapper.lastChunk(trailers: [("x", "a\nb")], into: &bad))
    }

    @Test func preface() {
        #expect(HTTP2Preface.match(ByteBuffer(string: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0")) == .match)
        #expect(HTTP2Preface.match(ByteBuffer(string: "PRI * HTTP/2")) == .partial)
        #expect(HTTP2Preface.match(ByteBuffer(string: "POST / HTTP/1.1\r\n")) == .mismatch)
        #expect(HTTP2Preface.match(ByteBuffer(string: "PRI * HTTP/1.1\r\n")) == .mismatch)
    }
}

@Suite struct HTTP2ResponseTranslatorTests {
    func translate(_ chunks: [String], method: HTTPMethod = .GET) throws -> [HTTP2ResponseTranslator.Part] {
        var translator = HTTP2ResponseTranslator(requestMethod: method)
        var parts: [HTTP2ResponseTranslator.Part] = []
        for chunk in chunks {
            try translator.consume(ByteBuffer(string: chunk), into: &parts)
        }
        return parts
    }

    func names(_ part: HTTP2ResponseTranslator.Part) -> [String] {
        if case .head(let fields, _, _) = part { return fields.map(\.0) }
        return []
    }

    @Test func contentLengthBodyEndsOnItsLastByte() throws {
        let parts = try translate([
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nContent-Length: 5\r\n\r\nhe", "llo",
        ])
        #expect(parts.count == 3)
        #expect(names(parts[0]) == [":status", "content-type", "content-length"])
        #expect(parts[1] == .data(ByteBuffer(string: "he"), endStream: false))
        #expect(parts[2] == .data(ByteBuffer(string: "llo"), endStream: true))
    }

    @Test func chunkedIsDechunkedAndTrailersBecomeHeaders() throws {
        let parts = try translate([
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "lo\r\n0\r\nGrpc-Status: 0\r\n\r\n",
        ])
        #expect(names(parts[0]) == [":status"])
        #expect(parts[1] == .data(ByteBuffer(string: "hel"), endStream: false))
        #expect(parts[2] == .data(ByteBuffer(string: "lo"), endStream: false))
        #expect(parts[3] == .trailers([("grpc-status", "0")]))
        #expect(parts.count == 4)
        let plain = try translate(["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"])
        #expect(plain.last == .data(ByteBuffer(), endStream: true))
    }

    @Test func interimHeadsAreNotFinal() throws {
        let parts = try translate(["HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"])
        #expect(parts.count == 2)
        guard case .head(let early, let isFinal, let end) = parts[0], case .head(_, let final2, let end2) = parts[1] else {
            Issue.record("\(parts)")
            return
        }
        #expect(early.first! == (":status", "103") && !isFinal && !end)
        #expect(final2 && end2)
    }

    @Test func headAnd304HaveNoData() throws {
        let head = try translate(["HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"], method: .HEAD)
        #expect(head.count == 1)
        if case .head(let fields, _, let end) = head[0] {
            #expect(end)
            #expect(fields.contains { $0 == ("content-length", "100") })
        }
        let notModified = try translate(["HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"])
        #expect(notModified.count == 1)
    }

    @Test func untilCloseEndsOnFinish() throws {
        var translator = HTTP2ResponseTranslator(requestMethod: .GET)
        var parts: [HTTP2ResponseTranslator.Part] = []
        try translator.consume(ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\nabc"), into: &parts)
        #expect(parts.count == 2)
        let (last, complete) = translator.finish()
        #expect(complete)
        #expect(last == .data(ByteBuffer(), endStream: true))
    }

    @Test func invalidBytesFail() {
        #expect(throws: HTTP2ResponseTranslator.Failure.self) {
            _ = try translate(["HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"])
        }
        #expect(throws: HTTP2ResponseTranslator.Failure.self) {
            _ = try translate(["HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab"])
        }
    }
}
