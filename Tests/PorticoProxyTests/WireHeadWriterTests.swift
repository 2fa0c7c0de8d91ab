import NIOCore
import PorticoCore
import Testing

@testable import PorticoProxy

/// The wire writers produce the upstream request head and the client response head
/// straight from received bytes; these tests read the produced text.
@Suite struct WireHeadWriterTests {
    func request(_ text: String) throws -> ParsedRequestHead {
        var buffer = ByteBuffer(string: text)
        var parser = HTTP1RequestHeadParser(limits: LimitsConfig())
        guard case .complete(let head) = parser.parse(&buffer) else {
            throw ParseFailure(text: text)
        }
        return head
    }

    func response(_ text: String) throws -> ParsedResponseHead {
        var buffer = ByteBuffer(string: text)
        var parser = HTTP1ResponseHeadParser()
        guard case .complete(let head) = parser.parse(&buffer) else {
            throw ParseFailure(text: text)
        }
        return head
    }

    struct ParseFailure: Error { var text: String }

    func upstream(
        _ text: String,
        target: String? = nil,
        host: String? = nil,
        rules: HeaderRules = HeaderRules()
    ) throws -> String {
        let head = try request(text)
        var out = ByteBuffer()
        WireHeadWriter.writeRequest(
            head,
            edits: .init(
                target: target,
                host: host,
                forwardedHost: "a.test",
                clientAddress: "192.0.2.7",
                proto: .http,
                rules: CompiledHeaderRules(rules)
            ),
            into: &out
        )
        return String(buffer: out)
    }

    @Test func unchangedFieldsAreCopiedAndProxyFieldsAppended() throws {
        let out = try upstream("GET /x?y=1 HTTP/1.1\r\nHost: a.test\r\nAccept: */*\r\nUser-Agent: t\r\n\r\n")
        #expect(
            out == "GET /x?y=1 HTTP/1.1\r\nHost: a.test\r\nAccept: */*\r\nUser-Agent: t\r\n"
                + "X-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: a.test\r\n"
                + "Via: 1.1 portico\r\n\r\n"
        )
    }

    @Test func hopByHopAndNominatedFieldsAreDropped() throws {
        let out = try upstream(
            "GET / HTTP/1.1\r\nConnection: keep-alive, X-Hop\r\nHost: a.test\r\nX-Hop: 1\r\nKeep-Alive: 5\r\n"
                + "TE: trailers\r\nProxy-Connection: x\r\nUpgrade: h2c\r\nX-Keep: 1\r\nExpect: 100-continue\r\n\r\n"
        )
        for dropped in ["Connection", "X-Hop", "Keep-Alive", "TE:", "Proxy-Connection", "Upgrade", "Expect"] {
            #expect(!out.contains(dropped), "\(dropped) crossed")
        }
        #expect(out.contains("Host: a.test\r\n"))
        #expect(out.contains("X-Keep: 1\r\n"))
    }

    @Test func forwardedForAndViaAreMergedAndAppended() throws {
        let out = try upstream(
            "GET / HTTP/1.0\r\nX-Forwarded-For: 203.0.113.1\r\nVia: 1.1 edge\r\nX-Forwarded-For: 203.0.113.2\r\n"
                + "X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil\r\n\r\n"
        )
        #expect(out.contains("X-Forwarded-For: 203.0.113.1, 203.0.113.2, 192.0.2.7\r\n"))
        #expect(out.contains("Via: 1.1 edge, 1.0 portico\r\n"))
        #expect(out.contains("X-Forwarded-Proto: http\r\n"))
        #expect(!out.contains("evil"))
        #expect(out.hasPrefix("GET / HTTP/1.1\r\n"))
    }

    @Test func framingIsReemittedExactlyOnce() throws {
        let chunked = try upstream("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(chunked.components(separatedBy: "Transfer-Encoding").count == 2)
        #expect(chunked.contains("Transfer-Encoding: chunked\r\n"))
        let length = try upstream("POST / HTTP/1.1\r\nHost: a\r\ncontent-length:   5 \r\n\r\n")
        #expect(length.contains("Content-Length: 5\r\n"))
        #expect(!length.contains("content-length"))
    }

    @Test func targetAndHostCanBeReplaced() throws {
        let out = try upstream("GET /api/x HTTP/1.1\r\nHost: a.test\r\n\r\n", target: "/x", host: "10.0.0.1:9000")
        #expect(out.hasPrefix("GET /x HTTP/1.1\r\n"))
        #expect(out.contains("Host: 10.0.0.1:9000\r\n"))
        #expect(!out.contains("\r\nHost: a.test"))
    }

    @Test func rulesRemoveSetAndAddAndOverrideProxyFields() throws {
        let rules = HeaderRules(
            set: [.init(name: "X-Forwarded-Proto", value: "https"), .init(name: "X-Env", value: "prod")],
            add: [.init(name: "X-Tag", value: "2")],
            remove: ["Cookie"]
        )
        let out = try upstream("GET / HTTP/1.1\r\nHost: a\r\nCookie: s=1\r\nX-Env: dev\r\nX-Tag: 1\r\n\r\n", rules: rules)
        #expect(!out.contains("Cookie"))
        #expect(!out.contains("X-Env: dev"))
        #expect(out.contains("X-Env: prod\r\n"))
        #expect(out.contains("X-Tag: 1\r\n") && out.contains("X-Tag: 2\r\n"))
        #expect(out.contains("X-Forwarded-Proto: https\r\n"))
        #expect(!out.contains("X-Forwarded-Proto: http\r\n"))
    }

    func client(
        _ text: String,
        framing: WireHeadWriter.ClientFraming = .asReceived,
        connection: WireHeadWriter.ConnectionHeader = .none,
        rules: HeaderRules = HeaderRules()
    ) throws -> String {
        let head = try response(text)
        var out = ByteBuffer()
        WireHeadWriter.writeResponse(head, framing: framing, connection: connection, rules: CompiledHeaderRules(rules), into: &out)
        return String(buffer: out)
    }

    @Test func responseKeepsEndToEndFieldsAndAppendsVia() throws {
        let out = try client("HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive, X-Up\r\nX-Up: 1\r\nKeep-Alive: 5\r\nServer: origin\r\n\r\n")
        #expect(out == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: origin\r\nVia: 1.0 portico\r\n\r\n")
    }

    @Test func responseFramingAndConnectionAreReemitted() throws {
        let out = try client(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            framing: .chunked,
            connection: .close,
            rules: HeaderRules(set: [.init(name: "X-Served-By", value: "portico")], remove: ["Server"])
        )
        #expect(out.contains("Transfer-Encoding: chunked\r\n"))
        #expect(out.components(separatedBy: "Transfer-Encoding").count == 2)
        #expect(out.contains("Connection: close\r\n"))
        #expect(out.contains("X-Served-By: portico\r\n"))
    }

    @Test func reasonPhraseIsKept() throws {
        #expect(try client("HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n").hasPrefix("HTTP/1.1 418 I'm a teapot\r\n"))
    }
}

/// Request ids and trace context on the upstream and client heads.
@Suite struct WireHeadWriterTracingTests {
    let writerTests = WireHeadWriterTests()

    func upstream(_ text: String, trace: TraceContext?, keepTraceState: Bool) throws -> (String, Int?) {
        let head = try writerTests.request(text)
        var out = ByteBuffer()
        let offset = WireHeadWriter.writeRequest(
            head,
            edits: .init(
                target: nil, host: nil, forwardedHost: nil, clientAddress: "192.0.2.7", proto: .http,
                rules: .none,
                requestID: .generated(RequestID(rawValue: 0x1234)),
                trace: trace,
                keepTraceState: keepTraceState
            ),
            into: &out
        )
        return (String(buffer: out), offset)
    }

    @Test func replacesRequestIDAndTraceparentKeepsTracestate() throws {
        let trace = TraceContext(traceIDHigh: 1, traceIDLow: 2, parentID: 3, flags: 1)
        let (out, offset) = try upstream(
            "GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: evil id\r\ntraceparent: 00-x\r\ntracestate: a=1\r\nAccept: */*\r\n\r\n",
            trace: trace, keepTraceState: true
        )
        #expect(!out.contains("evil"))
        #expect(!out.contains("00-x"))
        #expect(out.contains("\r\ntracestate: a=1\r\nAccept: */*\r\n"))
        #expect(out.contains("\r\nX-Request-ID: 0000000000001234\r\n"))
        #expect(out.contains("\r\ntraceparent: 00-00000000000000010000000000000002-0000000000000003-01\r\n"))
        let start = try #require(offset)
        let utf8 = Array(out.utf8)
        #expect(String(decoding: utf8[start..<(start + 16)], as: UTF8.self) == "0000000000000003")
    }

    @Test func dropsTracestateWithoutAValidTraceparent() throws {
        let trace = TraceContext(traceIDHigh: 1, traceIDLow: 2, parentID: 3, flags: 0)
        let (out, _) = try upstream("GET / HTTP/1.1\r\nHost: a\r\ntracestate: a=1\r\n\r\n", trace: trace, keepTraceState: false)
        #expect(!out.contains("tracestate"))
    }

    @Test func propagationOffPassesTraceFieldsThrough() throws {
        let (out, offset) = try upstream(
            "GET / HTTP/1.1\r\nHost: a\r\ntraceparent: 00-x\r\ntracestate: a=1\r\n\r\n", trace: nil, keepTraceState: true
        )
        #expect(out.contains("\r\ntraceparent: 00-x\r\ntracestate: a=1\r\n"))
        #expect(offset == nil)
    }

    @Test func responseRequestIDReplacesTheOrigins() throws {
        let head = try writerTests.response("HTTP/1.1 200 OK\r\nX-Request-ID: origin\r\nContent-Length: 0\r\n\r\n")
        var out = ByteBuffer()
        WireHeadWriter.writeResponse(
            head, framing: .asReceived, connection: .none, rules: .none,
            requestID: .received("client-id"), into: &out
        )
        let text = String(buffer: out)
        #expect(!text.contains("origin"))
        #expect(text.contains("\r\nX-Request-ID: client-id\r\n"))
        var plain = ByteBuffer()
        WireHeadWriter.writeResponse(head, framing: .asReceived, connection: .none, rules: .none, into: &plain)
        #expect(String(buffer: plain).contains("X-Request-ID: origin\r\n"))
    }
}
