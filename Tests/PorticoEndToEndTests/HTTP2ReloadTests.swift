import PorticoCore
import PorticoServer
import PorticoTesting
import Testing

/// A configuration reload does not disturb HTTP/2 connections: a stream in flight
/// during the reload completes, and new streams on the same connection get the new
/// configuration (each request reads the current snapshot once, at its start).
@Suite("HTTP/2 across a reload", .timeLimit(.minutes(1)))
struct HTTP2ReloadTests {
    @Test func anHTTP2ConnectionKeepsWorkingAndSeesTheNewRoutes() async throws {
        let origin = try await TestOrigin.start { request in
            request.uri == "/slow" ? .delayHead(.seconds(1), then: .text("slow done")) : .text("origin")
        }
        var config = PorticoConfig()
        let proxy = try await ProxyFixture.start(origins: [origin]) { configuration in
            configuration.listeners[0].http2.cleartext = true
            config = configuration
        }
        let client = try await HTTP2TestClient.connect(port: proxy.port)
        #expect(try await client.request(path: "/new").bodyString == "origin")
        let inFlight = try await client.openStream(path: "/slow", endStream: true)

        config.routes.insert(
            RouteConfig(
                name: "new", match: RouteMatch(path: "/new"),
                action: .respond(status: 200, body: "reloaded", contentType: "text/plain")
            ),
            at: 0
        )
        try await proxy.server.reload(config: config)

        let slow = try await inFlight.response(timeout: .seconds(20))
        #expect(slow.status == 200)
        #expect(slow.bodyString == "slow done")
        #expect(try await client.request(path: "/new").bodyString == "reloaded")
        #expect(!(await client.isClosed))
        #expect(try await client.goAways().isEmpty)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }
}
