import PorticoCore
import PorticoTesting
import Testing

/// Timeouts and upstream failures map to the right status, with a request id and
/// without upstream details.
@Suite(.timeLimit(.minutes(1))) struct TimeoutAndErrorTests {
    @Test func slowClientHeaderGets408() async throws {
        let origin = try await TestOrigin.start()
        // 3 s, not less: the first bytes must reach the proxy within the timeout of the
        // accept, or the connection is (rightly) closed without an answer.
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.timeouts.clientHeader = .seconds(3) }
        let client = try await proxy.connect()
        try await client.send("GET / HTTP/1.1\r\nHost: a\r\nX-Slow")
        let response = try await client.readResponse(timeout: .seconds(10))
        #expect(response.status == 408)
        #expect(await client.waitForClose())
        #expect(origin.requestCount == 0)
        await proxy.stop()
        try await origin.stop()
    }

    @Test func idleKeepAliveClientIsClosed() async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.timeouts.clientIdle = .milliseconds(300) }
        let client = try await proxy.connect()
        #expect(try await client.roundTrip(get("/")).status == 200)
        #expect(await client.waitForClose(timeout: .seconds(10)))
        await proxy.stop()
        try await origin.stop()
    }

    /// No server could be reached at all: 503 (HAProxy's and Envoy's convention; the
    /// load-balancing docs explain the 502/503/504 split).
    @Test func deadUpstreamGives503WithRequestID() async throws {
        let dead = HostPort(host: "127.0.0.1", port: try await unusedPort())
        let proxy = try await ProxyFixture.start(origins: [], extraServers: [dead])
        let client = try await proxy.connect()
        let response = try await client.roundTrip(get("/"))
        #expect(response.status == 503)
        #expect(response.bodyString.contains("no upstream server could be reached"))
        let requestID = try #require(response.header("X-Request-ID"))
        #expect(response.bodyString.contains(requestID))
        #expect(!response.bodyString.contains("127.0.0.1"))
        #expect(!response.closesConnection)
        #expect(try await client.roundTrip(get("/again")).status == 503)
        await client.close()
        await proxy.stop()
    }

    @Test func slowUpstreamGives504() async throws {
        let origin = try await TestOrigin.start { _ in .delayHead(.seconds(5), then: .ok) }
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.timeouts.upstreamHeader = .milliseconds(300) }
        let client = try await proxy.connect()
        let response = try await client.roundTrip(get("/"))
        #expect(response.status == 504)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func upstreamResetBeforeResponseGives502() async throws {
        let origin = try await TestOrigin.start { _ in .resetBeforeResponse }
        let proxy = try await ProxyFixture.start(origins: [origin])
        let client = try await proxy.connect()
        #expect(try await client.roundTrip(get("/")).status == 502)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func upstreamCloseMidBodyClosesClientConnection() async throws {
        let origin = try await TestOrigin.start { _ in .closeMidBody(declaredLength: 1000, sentBytes: 300) }
        let proxy = try await ProxyFixture.start(origins: [origin])
        let client = try await proxy.connect()
        try await client.send(get("/"))
        await #expect(throws: RawHTTPClientError.self) {
            _ = try await client.readResponse(timeout: .seconds(10))
        }
        #expect(await client.waitForClose())
        await proxy.stop()
        try await origin.stop()
    }

    @Test func stalledUpstreamBodyHitsIdleTimeoutAndClosesClient() async throws {
        let origin = try await TestOrigin.start { _ in .stallMidBody(declaredLength: 1000, sentBytes: 300) }
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.timeouts.upstreamIdle = .milliseconds(300) }
        let client = try await proxy.connect()
        try await client.send(get("/"))
        // The head and 300 bytes arrive, then nothing: after the idle timeout Portico
        // closes both connections rather than leave the client hanging.
        await #expect(throws: RawHTTPClientError.self) {
            _ = try await client.readResponse(timeout: .seconds(10))
        }
        #expect(await client.waitForClose(timeout: .seconds(5)))
        await proxy.stop()
        try await origin.stop()
    }

    @Test func noRouteGives404() async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.routes = [RouteConfig(name: "api", match: RouteMatch(pathPrefix: "/api"), action: .upstream("origin"))]
        }
        let client = try await proxy.connect()
        #expect(try await client.roundTrip(get("/other")).status == 404)
        #expect(try await client.roundTrip(get("/api/x")).status == 200)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }
}
