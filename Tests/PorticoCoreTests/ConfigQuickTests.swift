import PorticoCore
import Testing

/// `portico run --listen ADDR --upstream URL...`.
@Suite("Config quick form")
struct ConfigQuickTests {
    @Test func buildsOneListenerOneGroupAndOneCatchAllRoute() throws {
        let config = try PorticoConfig.quick(listen: ":8080", upstreams: ["127.0.0.1:9001", "http://localhost"])
        #expect(config == PorticoConfig(
            listeners: [ListenerConfig(name: ":8080", address: HostPort(host: "0.0.0.0", port: 8080))],
            upstreams: [UpstreamGroupConfig(name: "default", servers: [
                UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: 9001)),
                UpstreamServerConfig(address: HostPort(host: "localhost", port: 80)),
            ])],
            routes: [RouteConfig(name: "default", action: .upstream("default"))]
        ))
    }

    @Test func reportsEveryBadOption() {
        let error = #expect(throws: ConfigError.self) {
            try PorticoConfig.quick(listen: "localhost", upstreams: ["127.0.0.1:9001", "ftp://a", ":9000"])
        }
        let diagnostics = error?.diagnostics ?? []
        #expect(diagnostics.map(\.path) == ["--listen", "--upstream[1]", "--upstream[2]"])
        #expect(diagnostics.allSatisfy { $0.file == "command line" && $0.line == 0 && $0.column == 0 })
        #expect(diagnostics.first?.description == "command line: --listen: invalid address \"localhost\": missing port (expected host:port)")
        #expect(diagnostics.last?.message.contains("missing host") == true)
    }

    @Test func requiresAnUpstream() {
        let error = #expect(throws: ConfigError.self) {
            try PorticoConfig.quick(listen: "127.0.0.1:8080", upstreams: [])
        }
        #expect(error?.diagnostics.map(\.path) == ["--upstream"])
    }
}
