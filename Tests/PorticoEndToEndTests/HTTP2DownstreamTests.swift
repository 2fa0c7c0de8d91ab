import Foundation
import Logging
import NIOCore
import NIOHTTP2
import NIOHPACK
import PorticoCore
import PorticoServer
import PorticoTesting
import Testing

/// HTTP/2 to clients over h2c with prior knowledge: requests on streams take the
/// HTTP/1.1 path (routing, stages, upstream relay), headers map both ways (RFC 9113
/// §8.3), many streams share one connection, and the connection is drained with GOAWAY.
@Suite(.timeLimit(.minutes(1)))
struct HTTP2DownstreamTests {
    static let logger: Logger = {
        var logger = Logger(label: "portico-h2-test")
        logger.logLevel = .warning
        return logger
    }()

    static func start(origins: [TestOrigin], configure: (inout PorticoConfig) -> Void = { _ in }) async throws -> ProxyFixture {
        try await ProxyFixture.start(origins: origins) { config in
            config.listeners[0].http2.cleartext = true
            configure(&config)
        }
    }

    @Test func getIsForwardedWithHeadersMappedBothWays() async throws {
        let origin = try await TestOrigin.start { _ in .echo }
        let proxy = try await Self.start(origins: [origin])
        let client = try await HTTP2TestClient.connect(port: proxy.port)
        let response = try await client.request(
            path: "/a/b?c=1",
            authority: "example.test",
            headers: [("cookie", "a=1"), ("x-custom", "yes"), ("cookie", "b=2"), ("te", "trailers")]
        )
        #expect(response.status == 200)
        let echo = try JSONDecoder().decode(EchoPayload.self, from: Data(response.body))
        #expect(echo.method == "GET")
        #expect(echo.uri == "/a/b?c=1")
        #expect(echo.header("host") == "example.test")
        #expect(echo.header("cookie") == "a=1; b=2")
        #expect(echo.header("x-custom") == "yes")
        #expect(echo.header("x-forwarded-proto") == "http")
        #expect(echo.header("transfer-encoding") == nil)
        // Connection-specific fields never reach an HTTP/2 client (§8.2.2).
        for name in ["connection", "keep-alive", "transfer-encoding", "upgrade"] {
            #expect(response.header(name) == nil, "\(name)")
        }
        #expect(response.header("content-length") != nil)
        #expect(response.headers.allSatisfy { $0.name == $0.name.lowercased() })
        #expect(response.header("x-request-id") != nil)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func postBodiesWithAndWithoutContentLength() async throws {
        let origin = try await TestOrigin.start { _ in .echo }
        let proxy = try await Self.start(origins: [origin])
        let client = try await HTTP2TestClient.connect(port: proxy.port)

        let sized = try await client.request(
            method: "POST", path: "/sized", headers: [("content-length", "5")], body: Array("hello".utf8)
        )
        let sizedEcho = try JSONDecoder().decode(EchoPayload.self, from: Data(sized.body))
        #expect(sizedEcho.body == "hello")
        #expect(sizedEcho.header("content-length") == "5")

        // No content-length: chunked upstream, trailers included.
        let stream = try await client.openStream(method: "POST", path: "/streamed")
        try await stream.send(Array("abc".utf8))
        try await stream.send(Array("def".utf8))
        try await stream.finish(trailers: [("x-checksum", "42")])
        let streamed = try await stream.response()
        #expect(streamed.status == 200)
        let streamedEcho = try JSONDecoder().decode(EchoPayload.self, from: Data(streamed.body))
        #expect(streamedEcho.body == "abcdef")
        let seen = try #require(origin.requests().last)
        #expect(seen.header("transfer-encoding") == "chunked")
        #expect(seen.trailers.first(named: "x-checksum") == "42")
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func trailersAndInterimResponsesReachTheClient() async throws {
        let origin = try await TestOrigin.start { request in
            if request.uri == "/hints" {
                return .raw(
                    "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                )
            }
            return .raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: grpc-status\r\n\r\n3\r\nabc\r\n0\r\ngrpc-status: 0\r\n\r\n")
        }
        let proxy = try await Self.start(origins: [origin])
        let client = try await HTTP2TestClient.connect(port: proxy.port)
        let withTrailers = try await client.request(path: "/trailers")
        #expect(withTrailers.bodyString == "abc")
        #expect(withTrailers.trailers.first(named: "grpc-status") == "0")
        let hints = try await client.request(path: "/hints")
        #expect(hints.interim.first?.first(named: ":status") == "103")
        #expect(hints.interim.first?.first(named: "link") == "</a.css>; rel=preload")
        #expect(hints.status == 200)
        #expect(hints.bodyString == "ok")
        let head = try await client.request(method: "HEAD", path: "/hints")
        #expect(head.status == 200 && head.dataFrames == 0)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func hundredConcurrentStreamsOnOneConnection() async throws {
        let origin = try await TestOrigin.start { request in .text("echo \(request.uri)") }
        let proxy = try await Self.start(origins: [origin])
        let client = try await HTTP2TestClient.connect(port: proxy.port)
        let bodies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<100 {
                group.addTask {
                    let response = try await client.request(path: "/item/\(index)")
                    #expect(response.status == 200)
                    return (index, response.bodyString)
                }
            }
            var bodies: [Int: String] = [:]
            for try await (index, body) in group { bodies[index] = body }
            return bodies
        }
        #expect(bodies.count == 100)
        #expect((0..<100).allSatisfy { bodies[$0] == "echo /item/\($0)" })
        #expect(origin.requestCount == 100)
        #expect(try await proxy.server.openConnectionCount() == 1)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func http1StillWorksOnACleartextHTTP2Listener() async throws {
        let origin = try await TestOrigin.start { _ in .ok }
        let proxy = try await Self.start(origins: [origin])
        let client = try await proxy.connect()
        let response = try await client.roundTrip(get("/h1"))
        #expect(response.status == 200)
        // A request line that starts like the preface but is not it.
        let other = try await proxy.connect()
        let refused = try await other.roundTrip("PRI * HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(refused.status >= 400)
        await client.close()
        await other.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func withoutCleartextThePrefaceIsNotHTTP2() async throws {
        let origin = try await TestOrigin.start { _ in .ok }
        let proxy = try await ProxyFixture.start(origins: [origin])
        let client = try await HTTP2TestClient.connect(port: proxy.port)
        // Portico answers the unparseable request line with an HTTP/1.1 error and closes.
        var status = 0
        do {
            let stream = try await client.openStream(path: "/", endStream: true)
            status = try await stream.response(timeout: .seconds(10)).status
        } catch {}
        #expect(status == 0)
        #expect(origin.requestCount == 0)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func routingAndLocalResponsesUseTheSameStages() async throws {
        let origin = try await TestOrigin.start { request in .text("origin \(request.uri)") }
        let yaml = """
            listeners: [{ address: "127.0.0.1:0", http2: { cleartext: true } }]
            upstreams: [{ name: origin, servers: ["127.0.0.1:\(origin.port)"] }]
            routes:
              - name: api
                match: { host: api.test, path_prefix: /api }
                upstream: origin
              - name: private
                match: { path_prefix: /private }
                upstream: origin
                allow: [10.0.0.0/8]
              - name: limited
                match: { path_prefix: /limited }
                upstream: origin
                rate_limit: { rate: 1/m, burst: 0 }
            access_log: off
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: "h2.yaml")
        let server = try ProxyServer(config: config, logger: Self.logger)
        try await server.start()
        let client = try await HTTP2TestClient.connect(port: server.listeningPorts[0])

        let routed = try await client.request(path: "/api/x", authority: "api.test")
        #expect(routed.status == 200 && routed.bodyString == "origin /api/x")
        let otherHost = try await client.request(path: "/api/x", authority: "www.test")
        #expect(otherHost.status == 404)
        let forbidden = try await client.request(path: "/private", authority: "api.test")
        #expect(forbidden.status == 403)
        let first = try await client.request(path: "/limited", authority: "api.test")
        #expect(first.status == 200)
        let limited = try await client.request(path: "/limited", authority: "api.test")
        #expect(limited.status == 429)
        // A Host field that disagrees with :authority is malformed (§8.3.1): 400.
        let conflicting = try await client.request(path: "/api/x", authority: "api.test", headers: [("host", "other.test")])
        #expect(conflicting.status == 400)
        // A stream error does not end the connection.
        let after = try await client.request(path: "/api/y", authority: "api.test")
        #expect(after.status == 200)
        #expect(origin.requests().allSatisfy { $0.uri.hasPrefix("/api") || $0.uri == "/limited" })
        await client.close()
        await server.shutdown(grace: .seconds(1))
        try await origin.stop()
    }

    @Test func malformedRequestsAreStreamErrors() async throws {
        let origin = try await TestOrigin.start { _ in .ok }
        let proxy = try await Self.start(origins: [origin])
        let client = try await HTTP2TestClient.connect(port: proxy.port)
        var block = HPACKHeaders()
        block.add(name: ":method", value: "GET")
        block.add(name: ":scheme", value: "http")
        block.add(name: ":authority", value: "a.test")
        block.add(name: ":path", value: "/")
        block.add(name: "connection", value: "keep-alive")
        let stream = try await client.openStream(headerBlock: block, endStream: true)
        let response = try await stream.response()
        #expect(response.resetCode == .protocolError)
        #expect(response.status == 0)
        let fine = try await client.request(path: "/ok")
        #expect(fine.status == 200)
        #expect(origin.requestCount == 1)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }
}
