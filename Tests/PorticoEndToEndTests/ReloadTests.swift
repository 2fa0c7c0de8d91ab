import PorticoCore
import PorticoTesting
import Testing

/// `ProxyServer.reload(config:)`: a good configuration takes effect for new requests on
/// open keep-alive connections; one that cannot be compiled is refused and the running
/// one stays.
@Suite(.timeLimit(.minutes(1))) struct ReloadTests {
    static func respond(_ body: String) -> RouteConfig {
        RouteConfig(name: "fixed", action: .respond(status: 200, body: body, contentType: "text/plain"))
    }

    @Test func reloadAppliesToOpenConnectionsAndABadConfigurationIsRefused() async throws {
        var config = PorticoConfig()
        let proxy = try await ProxyFixture.start(origins: []) { base in
            base.upstreams = []
            base.routes = [Self.respond("one")]
            config = base
        }
        let client = try await proxy.connect()
        #expect(try await client.roundTrip(get("/")).bodyString == "one")

        config.routes = [Self.respond("two")]
        try proxy.server.reload(config: config)
        // Same keep-alive connection, next request: the new generation answers.
        let afterGood = try await client.roundTrip(get("/"))
        #expect(afterGood.bodyString == "two")
        #expect(!afterGood.closesConnection)

        var broken = config
        broken.routes = [
            RouteConfig(
                name: "guarded", action: .respond(status: 200, body: "three", contentType: "text/plain"),
                auth: .basic(BasicAuthConfig(realm: "x", htpasswdPath: "/nonexistent/portico-users"))
            )
        ]
        #expect(throws: (any Error).self) { try proxy.server.reload(config: broken) }
        #expect(try await client.roundTrip(get("/")).bodyString == "two")
        await client.close()
        await proxy.stop()
    }
}
