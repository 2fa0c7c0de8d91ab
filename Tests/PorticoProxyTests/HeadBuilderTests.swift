import NIOHTTP1
import PorticoCore
import Testing

@testable import PorticoProxy

@Suite struct UpstreamRequestBuilderTests {
    func build(
        _ head: HTTPRequestHead,
        framing: BodyFraming = .none,
        target: String? = nil,
        preserveHost: Bool = true,
        rules: HeaderRules = HeaderRules()
    ) -> HTTPRequestHead {
        UpstreamRequestBuilder.build(
            .init(
                clientHead: head,
                framing: framing,
                clientAddress: "192.0.2.7",
                scheme: .http,
                forwardedHeaders: ForwardedHeaders(),
                requestedHost: head.headers.first(name: "host"),
                target: target ?? head.uri,
                preserveHost: preserveHost,
                upstreamHostHeader: "10.0.0.1:9000",
                rules: rules
            )
        )
    }

    func head(_ method: HTTPMethod, uri: String = "/", version: HTTPVersion = .http1_1, _ headers: [(String, String)]) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(headers))
    }

    @Test func alwaysHTTP11WithForwardedHeaders() {
        let out = build(head(.GET, version: .http1_0, [("Host", "a.test"), ("Connection", "keep-alive")]))
        #expect(out.version == .http1_1)
        #expect(out.headers["x-forwarded-for"] == ["192.0.2.7"])
        #expect(out.headers["x-forwarded-proto"] == ["http"])
        #expect(out.headers["x-forwarded-host"] == ["a.test"])
        #expect(out.headers["via"] == ["1.0 portico"])
        #expect(out.headers["connection"].isEmpty)
    }

    @Test func expectIsConsumedByTheProxy() {
        let out = build(head(.POST, [("Host", "a"), ("Expect", "100-continue"), ("Content-Length", "3")]), framing: .contentLength(3))
        #expect(out.headers["expect"].isEmpty)
        #expect(out.headers["content-length"] == ["3"])
    }

    @Test func chunkedIsReframedExactlyOnce() {
        let out = build(head(.POST, [("Host", "a"), ("Transfer-Encoding", "chunked")]), framing: .chunked)
        #expect(out.headers["transfer-encoding"] == ["chunked"])
        #expect(out.headers["content-length"].isEmpty)
    }

    @Test func duplicateContentLengthIsCollapsed() {
        let out = build(head(.POST, [("Host", "a"), ("Content-Length", "5, 5")]), framing: .contentLength(5))
        #expect(out.headers["content-length"] == ["5"])
    }

    @Test func preserveHostFalseUsesTheServerAddress() {
        let out = build(head(.GET, [("Host", "a.test")]), preserveHost: false)
        #expect(out.headers["host"] == ["10.0.0.1:9000"])
        #expect(out.headers["x-forwarded-host"] == ["a.test"])
    }

    @Test func http10WithoutHostGetsTheServerAddress() {
        let out = build(head(.GET, version: .http1_0, []))
        #expect(out.headers["host"] == ["10.0.0.1:9000"])
    }

    @Test func rulesApplyAfterForwardedHeaders() {
        let rules = HeaderRules(set: [.init(name: "X-Forwarded-Proto", value: "https")], remove: ["Cookie"])
        let out = build(head(.GET, [("Host", "a"), ("Cookie", "s=1")]), rules: rules)
        #expect(out.headers["x-forwarded-proto"] == ["https"])
        #expect(out.headers["cookie"].isEmpty)
    }

    @Test func targetIsTheRewrittenOne() {
        #expect(build(head(.GET, uri: "/api/x?y=1", [("Host", "a")]), target: "/x?y=1").uri == "/x?y=1")
    }
}

@Suite struct ClientResponseBuilderTests {
    func build(
        _ headers: [(String, String)],
        status: HTTPResponseStatus = .ok,
        method: HTTPMethod = .GET,
        client: HTTPVersion = .http1_1,
        close: Bool = false
    ) -> ClientResponseBuilder.Output {
        var head = HTTPResponseHead(version: .http1_1, status: status)
        head.headers = HTTPHeaders(headers)
        return ClientResponseBuilder.build(
            upstream: head,
            requestMethod: method,
            clientVersion: client,
            closeConnection: close,
            rules: HeaderRules(),
            forwardedHeaders: ForwardedHeaders()
        )
    }

    @Test func contentLengthIsKeptAndViaAdded() {
        let out = build([("Content-Length", "5"), ("Keep-Alive", "timeout=5"), ("Connection", "keep-alive")])
        #expect(out.head.headers["content-length"] == ["5"])
        #expect(out.head.headers["via"] == ["1.1 portico"])
        #expect(out.head.headers["keep-alive"].isEmpty)
        #expect(out.head.headers["connection"].isEmpty)
        #expect(!out.closeConnection)
    }

    @Test func chunkedOrCloseDelimitedBodiesAreChunkedForHTTP11() {
        #expect(build([("Transfer-Encoding", "chunked")]).head.headers["transfer-encoding"] == ["chunked"])
        #expect(build([]).head.headers["transfer-encoding"] == ["chunked"])
    }

    @Test func http10ClientsGetCloseDelimitedBodies() {
        let out = build([("Transfer-Encoding", "chunked")], client: .http1_0)
        #expect(out.head.headers["transfer-encoding"].isEmpty)
        #expect(out.head.headers["connection"] == ["close"])
        #expect(out.closeConnection)
    }

    @Test func http10KeepAliveIsAnnounced() {
        let out = build([("Content-Length", "0")], client: .http1_0)
        #expect(out.head.headers["connection"] == ["keep-alive"])
    }

    @Test(arguments: [HTTPResponseStatus.noContent, .notModified])
    func bodylessStatusesGetNoFraming(status: HTTPResponseStatus) {
        let out = build([], status: status)
        #expect(out.head.headers["transfer-encoding"].isEmpty)
        #expect(!out.closeConnection)
    }

    @Test func headMirrorsChunkedFraming() {
        let out = build([("Transfer-Encoding", "chunked")], method: .HEAD)
        #expect(out.head.headers["transfer-encoding"] == ["chunked"])
    }

    @Test func closeRequestedIsAnnounced() {
        #expect(build([("Content-Length", "1")], close: true).head.headers["connection"] == ["close"])
    }
}
