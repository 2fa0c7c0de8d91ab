import Logging
import NIOCore
import NIOPosix
import PorticoCore

/// What `portico demo` runs: two demo origins on loopback and a proxy in front of
/// them, all in one process, with a configuration that shows routing, a fixed
/// response, a redirect, prefix stripping and header rules.
public final class DemoEnvironment: Sendable {
    public let server: ProxyServer
    public let origins: [DemoOrigin]

    private init(server: ProxyServer, origins: [DemoOrigin]) {
        self.server = server
        self.origins = origins
    }

    /// The demo configuration for origins on `originPorts`, listening on `listen`.
    public static func config(originPorts: [Int], listen: HostPort) -> PorticoConfig {
        let servers = originPorts.map { UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: $0)) }
        return PorticoConfig(
            listeners: [ListenerConfig(name: "demo", address: listen)],
            upstreams: [UpstreamGroupConfig(name: "demo-origins", servers: servers)],
            routes: [
                RouteConfig(
                    name: "hello",
                    match: RouteMatch(path: "/hello"),
                    action: .respond(status: 200, body: "Hello from Portico!\n", contentType: "text/plain; charset=utf-8")
                ),
                RouteConfig(
                    name: "old-home",
                    match: RouteMatch(path: "/old"),
                    action: .redirect(status: 301, location: "/")
                ),
                RouteConfig(
                    name: "api",
                    match: RouteMatch(pathPrefix: "/api"),
                    action: .upstream("demo-origins"),
                    stripPrefix: "/api",
                    requestHeaders: HeaderRules(set: [.init(name: "X-Demo", value: "api-route")]),
                    responseHeaders: HeaderRules(set: [.init(name: "X-Served-By", value: "portico")])
                ),
                Self.cachedRoute,
                RouteConfig(name: "default", action: .upstream("demo-origins")),
            ],
            accessLog: AccessLogConfig(destination: .stdout, format: .text)
        )
    }

    /// `/cached/...`: the shared cache and compression (docs/caching.md, compression.md).
    static var cachedRoute: RouteConfig {
        var route = RouteConfig(name: "cached", match: RouteMatch(pathPrefix: "/cached"), action: .upstream("demo-origins"))
        route.cache = RouteCacheConfig()
        route.compression = CompressionConfig()
        return route
    }

    /// Starts the origins (on ephemeral ports) and the proxy on `listen`.
    public static func start(listen: HostPort, logger: Logger) async throws -> DemoEnvironment {
        let group = MultiThreadedEventLoopGroup.singleton
        var origins: [DemoOrigin] = []
        for name in ["origin-a", "origin-b"] {
            origins.append(try await DemoOrigin.start(name: name, group: group))
        }
        let config = Self.config(originPorts: origins.map(\.port), listen: listen)
        let server = try ProxyServer(config: config, logger: logger)
        return DemoEnvironment(server: server, origins: origins)
    }

    public func stopOrigins() async {
        for origin in self.origins {
            try? await origin.stop()
        }
    }
}
