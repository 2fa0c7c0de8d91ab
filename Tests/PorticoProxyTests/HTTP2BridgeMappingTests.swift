import NIOCore
import NIOHTTP1
import PorticoCore
import Testing

@testable import PorticoProxy

/// The pure HTTP/1.1 ⇄ HTTP/2 mapping behind upstream HTTP/2 streams
/// (RFC 9113 §8.2.2, §8.3.1; RFC 9112 §7.1 for the chunked side).
@Suite("HTTP/2 bridge mapping")
struct HTTP2BridgeMappingTests {
    static func fields(_ part: HTTP1RequestToHTTP2.Part?) -> [String] {
        switch part {
        case .headers(let fields, _), .trailers(let fields): return fields.map { "\($0.name): \($0.value)" }
        default: return []
        }
    }

    @Test func requestHeadBecomesPseudoFieldsWithoutConnectionSpecificFields() throws {
        var mapper = HTTP1RequestToHTTP2(scheme: "https")
        let head = "GET /a/b?c=d HTTP/1.1\r\nHost: api.test:8443\r\nConnection: keep-alive, x-hop\r\nKeep-Alive: timeout=5\r\nX-Trace: 1\r\nAccept: */*\r\n\r\n"
        let parts = try mapper.feed(ByteBuffer(string: head))
        #expect(parts.count == 1)
        #expect(Self.fields(parts.first) == [
            ":method: GET", ":scheme: https", ":authority: api.test:8443", ":path: /a/b?c=d",
            "x-trace: 1", "accept: */*", "te: trailers",
        ])
        if case .headers(_, let endStream) = parts.first { #expect(endStream) }
        #expect(mapper.isComplete)
    }

    @Test func contentLengthBodyEndsTheStreamWithItsLastByte() throws {
        var mapper = HTTP1RequestToHTTP2(scheme: "http")
        var parts = try mapper.feed(ByteBuffer(string: "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabc"))
        #expect(parts.count == 2)
        #expect(Self.fields(parts.first).contains("content-length: 6"))
        #expect(parts.last == .data(ByteBuffer(string: "abc"), endStream: false))
        parts = try mapper.feed(ByteBuffer(string: "def"))
        #expect(parts == [.data(ByteBuffer(string: "def"), endStream: true)])
        #expect(mapper.isComplete)
    }

    @Test func chunkedBodyIsDecodedAndItsTrailersEndTheStream() throws {
        var mapper = HTTP1RequestToHTTP2(scheme: "http")
        let head = "POST /g HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTE: trailers\r\n\r\n"
        var parts = try mapper.feed(ByteBuffer(string: head + "3\r\nabc\r\n"))
        #expect(!Self.fields(parts.first).contains { $0.hasPrefix("transfer-encoding") })
        #expect(Self.fields(parts.first).filter { $0.hasPrefix("te:") } == ["te: trailers"])
        #expect(parts.last == .data(ByteBuffer(string: "abc"), endStream: false))
        parts = try mapper.feed(ByteBuffer(string: "0\r\nX-Checksum: 42\r\n\r\n"))
        #expect(parts == [.trailers([HTTP2Field("x-checksum", "42")])])
        #expect(mapper.isComplete)
    }

    @Test func chunkedBodyWithoutTrailersEndsWithAnEmptyDataFrame() throws {
        var mapper = HTTP1RequestToHTTP2(scheme: "http")
        let parts = try mapper.feed(ByteBuffer(string: "POST /g HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
        #expect(parts.last == .data(ByteBuffer(), endStream: true))
    }

    @Test func connectCannotBeMapped() {
        var mapper = HTTP1RequestToHTTP2(scheme: "http")
        #expect(throws: HTTP1RequestToHTTP2.Failure.self) {
            try mapper.feed(ByteBuffer(string: "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"))
        }
    }

    // MARK: Responses

    static func text(_ buffer: ByteBuffer?) -> String {
        buffer.map { String(buffer: $0) } ?? ""
    }

    @Test func responseWithoutLengthIsChunkedAndTrailersFollowTheLastChunk() throws {
        var mapper = HTTP2ResponseToHTTP1(requestMethod: .POST)
        let head = try mapper.headers([HTTP2Field(":status", "200"), HTTP2Field("content-type", "application/grpc")], endStream: false)
        #expect(Self.text(head) == "HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\ntransfer-encoding: chunked\r\n\r\n")
        #expect(Self.text(try mapper.data(ByteBuffer(string: "hello"), endStream: false)) == "5\r\nhello\r\n")
        let trailers = try mapper.headers([HTTP2Field("grpc-status", "0"), HTTP2Field("grpc-message", "ok")], endStream: true)
        #expect(Self.text(trailers) == "0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n")
        #expect(mapper.isComplete)
    }

    @Test func responseWithLengthPassesDataUnchanged() throws {
        var mapper = HTTP2ResponseToHTTP1(requestMethod: .GET)
        let head = try mapper.headers([HTTP2Field(":status", "404"), HTTP2Field("content-length", "2")], endStream: false)
        #expect(Self.text(head) == "HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n")
        #expect(Self.text(try mapper.data(ByteBuffer(string: "no"), endStream: true)) == "no")
        #expect(mapper.isComplete)
    }

    @Test func headersOnlyResponseGetsAZeroLengthUnlessBodiless() throws {
        var get = HTTP2ResponseToHTTP1(requestMethod: .GET)
        #expect(Self.text(try get.headers([HTTP2Field(":status", "200")], endStream: true)) == "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        var head = HTTP2ResponseToHTTP1(requestMethod: .HEAD)
        let headText = Self.text(try head.headers([HTTP2Field(":status", "200"), HTTP2Field("content-length", "10")], endStream: true))
        #expect(headText == "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n")
        var notModified = HTTP2ResponseToHTTP1(requestMethod: .GET)
        #expect(Self.text(try notModified.headers([HTTP2Field(":status", "304")], endStream: true)) == "HTTP/1.1 304 Not Modified\r\n\r\n")
    }

    @Test func informationalHeadThenFinalHead() throws {
        var mapper = HTTP2ResponseToHTTP1(requestMethod: .GET)
        let early = Self.text(try mapper.headers([HTTP2Field(":status", "103"), HTTP2Field("link", "</a>")], endStream: false))
        #expect(early.hasPrefix("HTTP/1.1 103 ") && early.hasSuffix("\r\nlink: </a>\r\n\r\n"))
        #expect(Self.text(try mapper.headers([HTTP2Field(":status", "200")], endStream: true)).hasPrefix("HTTP/1.1 200 OK\r\n"))
    }

    @Test func malformedResponsesAreRejected() {
        var noStatus = HTTP2ResponseToHTTP1(requestMethod: .GET)
        #expect(throws: HTTP2ResponseToHTTP1.Failure.self) { try noStatus.headers([HTTP2Field("a", "b")], endStream: true) }
        var dataFirst = HTTP2ResponseToHTTP1(requestMethod: .GET)
        #expect(throws: HTTP2ResponseToHTTP1.Failure.self) { try dataFirst.data(ByteBuffer(string: "x"), endStream: true) }
    }
}
