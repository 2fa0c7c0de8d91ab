import NIOCore
import NIOEmbedded
import NIOHTTP1
import PorticoCore
import Testing

@testable import PorticoProxy

/// Channel-level tests: wire bytes in, wire bytes out, through the real downstream
/// pipeline on an `EmbeddedChannel` (no sockets). Routes here answer locally, so no
/// upstream connection is needed; forwarding is covered end to end.
@Suite struct DownstreamHandlerTests {
    static let config = PorticoConfig(
        listeners: [ListenerConfig(name: "test", address: HostPort(host: "127.0.0.1", port: 0))],
        upstreams: [],
        routes: [
            RouteConfig(name: "hello", match: RouteMatch(path: "/hello"), action: .respond(status: 200, body: "hi\n", contentType: "text/plain")),
            RouteConfig(name: "moved", match: RouteMatch(path: "/old"), action: .redirect(status: 301, location: "/new")),
            RouteConfig(
                name: "tagged",
                match: RouteMatch(path: "/tagged"),
                action: .respond(status: 200, body: "", contentType: "text/plain"),
                responseHeaders: HeaderRules(set: [.init(name: "X-Tag", value: "1")])
            ),
        ],
        accessLog: AccessLogConfig(destination: .off)
    )

    final class Harness {
        let channel: EmbeddedChannel
        let loop: EmbeddedEventLoop

        init(config: PorticoConfig = DownstreamHandlerTests.config) throws {
            self.loop = EmbeddedEventLoop()
            self.channel = EmbeddedChannel(loop: self.loop)
            let worker = ProxyWorker(eventLoop: self.loop, snapshot: try! RuntimeSnapshot(config: config), accessLogWriter: nil)
            try DownstreamPipeline.configure(self.channel, worker: worker)
            try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        func send(_ text: String) throws {
            try self.channel.writeInbound(ByteBuffer(string: text))
        }

        /// Everything written to the client so far, as text.
        func output() throws -> String {
            var text = ""
            while var buffer = try self.channel.readOutbound(as: IOData.self).map({ data -> ByteBuffer in
                guard case .byteBuffer(let buffer) = data else { return ByteBuffer() }
                return buffer
            }) {
                text += buffer.readString(length: buffer.readableBytes) ?? ""
            }
            while var buffer = try self.channel.readOutbound(as: ByteBuffer.self) {
                text += buffer.readString(length: buffer.readableBytes) ?? ""
            }
            return text
        }

        var isOpen: Bool { self.channel.isActive }
    }

    @Test func fixedResponseHasLengthDateAndBody() throws {
        let h = try Harness()
        try h.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
        let out = try h.output()
        #expect(out.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(out.contains("Content-Length: 3\r\n"))
        #expect(out.contains("Date: "))
        #expect(out.contains("Server: portico\r\n"))
        #expect(out.hasSuffix("\r\n\r\nhi\n"))
        #expect(h.isOpen)
    }

    @Test func redirectCarriesLocation() throws {
        let h = try Harness()
        try h.send("GET /old HTTP/1.1\r\nHost: a\r\n\r\n")
        let out = try h.output()
        #expect(out.hasPrefix("HTTP/1.1 301 Moved Permanently\r\n"))
        #expect(out.contains("Location: /new\r\n"))
    }

    @Test func unknownPathIs404WithRequestID() throws {
        let h = try Harness()
        try h.send("GET /nope HTTP/1.1\r\nHost: a\r\n\r\n")
        let out = try h.output()
        #expect(out.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(out.contains("X-Request-ID: "))
        #expect(out.contains("request-id: "))
        #expect(h.isOpen)
    }

    @Test func responseHeaderRulesApplyToLocalResponses() throws {
        let h = try Harness()
        try h.send("GET /tagged HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try h.output().contains("X-Tag: 1\r\n"))
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let h = try Harness()
        try h.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\nGET /old HTTP/1.1\r\nHost: a\r\n\r\nGET /nope HTTP/1.1\r\nHost: a\r\n\r\n")
        let out = try h.output()
        let statuses = out.split(separator: "HTTP/1.1 ").map { $0.prefix(3) }
        #expect(statuses == ["200", "301", "404"])
    }

    @Test func http10WithoutKeepAliveCloses() throws {
        let h = try Harness()
        try h.send("GET /hello HTTP/1.0\r\n\r\n")
        let out = try h.output()
        #expect(out.contains("Connection: close\r\n"))
        #expect(!h.isOpen)
    }

    @Test func http10KeepAliveStaysOpen() throws {
        let h = try Harness()
        try h.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try h.output().contains("Connection: keep-alive\r\n"))
        #expect(h.isOpen)
    }

    @Test func headResponseHasNoBody() throws {
        let h = try Harness()
        try h.send("HEAD /hello HTTP/1.1\r\nHost: a\r\n\r\n")
        let out = try h.output()
        #expect(out.contains("Content-Length: 3\r\n"))
        #expect(out.hasSuffix("\r\n\r\n"))
    }

    @Test(arguments: [
        ("POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "400"),
        ("POST /hello HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", "400"),
        ("POST /hello HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "501"),
        ("GET /hello HTTP/1.1\r\n\r\n", "400"),
        ("GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "400"),
        ("GET /hello HTTP/1.1\r\nHost : a\r\n\r\n", "400"),
        ("GET /hello HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", "400"),
        ("GET /hello HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", "400"),
    ])
    func malformedRequestsAreRejectedAndClosed(request: String, status: String) throws {
        let h = try Harness()
        do {
            try h.send(request)
        } catch {
            // The decoder may surface the parse error through the pipeline as well.
        }
        let out = try h.output()
        #expect(out.hasPrefix("HTTP/1.1 \(status) "), "got: \(out.prefix(60))")
        #expect(!h.isOpen)
    }

    @Test func overlongRequestLineIs414() throws {
        var limits = LimitsConfig()
        limits.maxRequestLine = 64
        var config = Self.config
        config.limits = limits
        let h = try Harness(config: config)
        try h.send("GET /hello?\(String(repeating: "a", count: 100)) HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try h.output().hasPrefix("HTTP/1.1 414 "))
    }

    @Test func tooManyHeadersIs431() throws {
        var config = Self.config
        config.limits.maxHeaderCount = 3
        let h = try Harness(config: config)
        try h.send("GET /hello HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n")
        #expect(try h.output().hasPrefix("HTTP/1.1 431 "))
    }

    @Test func slowHeaderGets408() throws {
        let h = try Harness()
        try h.send("GET /hello HTTP/1.1\r\nHo")
        h.loop.advanceTime(by: .seconds(11))
        #expect(try h.output().hasPrefix("HTTP/1.1 408 "))
        #expect(!h.isOpen)
    }

    @Test func idleKeepAliveConnectionClosesSilently() throws {
        let h = try Harness()
        try h.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try h.output()
        h.loop.advanceTime(by: .seconds(76))
        #expect(try h.output().isEmpty)
        #expect(!h.isOpen)
    }

    @Test func bodyOfLocallyAnsweredRequestIsDiscardedAndConnectionReused() throws {
        let h = try Harness()
        try h.send("POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhel")
        try h.send("lo")
        try h.send("GET /old HTTP/1.1\r\nHost: a\r\n\r\n")
        let out = try h.output()
        #expect(out.contains("HTTP/1.1 200 OK"))
        #expect(out.contains("HTTP/1.1 301 "))
        #expect(h.isOpen)
    }
}
