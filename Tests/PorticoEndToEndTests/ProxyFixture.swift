import Logging
import NIOCore
import PorticoCore
import PorticoServer
import PorticoTesting

/// A real Portico on 127.0.0.1 (port 0) in front of in-process origins.
struct ProxyFixture {
    let server: ProxyServer
    let port: Int

    /// Starts a proxy with one upstream group `origin` over `origins` and a catch-all
    /// route to it; `configure` may change anything before start.
    static func start(
        origins: [TestOrigin],
        extraServers: [HostPort] = [],
        configure: (inout PorticoConfig) -> Void = { _ in }
    ) async throws -> ProxyFixture {
        let servers =
            extraServers.map { UpstreamServerConfig(address: $0) }
            + origins.map { UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: $0.port)) }
        var config = PorticoConfig(
            listeners: [ListenerConfig(name: "test", address: HostPort(host: "127.0.0.1", port: 0))],
            upstreams: [UpstreamGroupConfig(name: "origin", servers: servers)],
            routes: [RouteConfig(name: "default", action: .upstream("origin"))],
            workers: 2,
            accessLog: AccessLogConfig(destination: .off)
        )
        configure(&config)
        var logger = Logger(label: "portico-test")
        logger.logLevel = .warning
        let server = try ProxyServer(config: config, logger: logger)
        try await server.start()
        return ProxyFixture(server: server, port: server.listeningPorts[0])
    }

    func connect() async throws -> RawHTTPClient {
        try await RawHTTPClient.connect(port: self.port)
    }

    func stop() async {
        await self.server.shutdown(grace: .seconds(1))
    }
}

/// A port on which nothing listens. Port 1 (tcpmux) is below the ephemeral range, so
/// no origin started by a parallel test can take it; a port freed by a closed listener
/// could be reused by one, turning a "dead" server into a live one.
func unusedPort() async throws -> Int {
    1
}

extension RawHTTPClient {
    /// Sends a simple request and reads its response.
    func roundTrip(_ request: String, timeout: Duration = .seconds(10), head: Bool = false) async throws -> RawResponse {
        try await self.send(request)
        return try await self.readResponse(timeout: timeout, requestWasHead: head)
    }
}

func get(_ path: String, host: String = "example.test", extra: String = "") -> String {
    "GET \(path) HTTP/1.1\r\nHost: \(host)\r\n\(extra)\r\n"
}
