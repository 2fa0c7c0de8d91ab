import Logging
import NIOConcurrencyHelpers
import NIOPosix
import PorticoCore
import PorticoProxy
import PorticoServer
import PorticoTesting

/// An `AdminBackend` over a real `ProxyServer` for upstream state, admin state and the
/// configuration, with canned metrics, stats and reload results (those belong to other
/// components).
final class TestAdminBackend: AdminBackend {
    static let exposition = "# TYPE portico_test_total counter\nportico_test_total 7\n"
    static let stats = #"{"interval_seconds":1,"samples":[],"totals":{"requests":3,"errors_5xx":1}}"#

    let server: ProxyServer
    let ready = Toggle(true)
    /// Whether the next reload succeeds.
    let reloadSucceeds = Toggle(true)

    init(server: ProxyServer) {
        self.server = server
    }

    var reloadLog: ReloadLog { self.server.reloadLog }
    func prometheusExposition() async -> String { Self.exposition }
    func statsJSON() async -> String { Self.stats }
    func upstreamStatus() -> [UpstreamServerStatus] { self.server.upstreamStatus() }
    func currentConfig() -> PorticoConfig { self.server.currentConfig() }
    func isReady() -> Bool { self.ready.isOn }
    // The fixture's proxy has no `cache:` route: the cache endpoints answer 404.
    func purgeCache(url: String?, prefix: String?) -> Int? { self.server.purgeCache(url: url, prefix: prefix) }
    func cacheStatus() -> CacheMetrics? { self.server.cacheMetrics() }

    func setAdminState(_ state: ServerAdminState, group: String, server: String) -> Bool {
        self.server.setAdminState(state, group: group, server: server)
    }

    func reload(trigger: ReloadEvent.Trigger) async -> ReloadEvent {
        let event =
            self.reloadSucceeds.isOn
            ? ReloadEvent(time: 1_700_000_000.5, trigger: trigger, succeeded: true, message: "configuration reloaded")
            : ReloadEvent(
                time: 1_700_000_001, trigger: trigger, succeeded: false, message: "configuration refused (1 error)",
                diagnostics: ["portico.yaml:3:5: routes[0].upstream: unknown upstream \"nope\""]
            )
        self.reloadLog.record(event)
        return event
    }
}

/// A proxy over named origins plus its admin listener on 127.0.0.1 (port 0).
struct AdminFixture {
    let proxy: ProxyFixture
    let origins: NamedOrigins
    let backend: TestAdminBackend
    let admin: AdminServer
    let adminPort: Int

    static func start(
        token: String? = nil,
        origins names: [String] = ["a", "b"],
        configure: (inout PorticoConfig) -> Void = { _ in }
    ) async throws -> AdminFixture {
        let origins = try await NamedOrigins.start(names)
        let proxy = try await ProxyFixture.start(origins: origins.origins, configure: configure)
        let backend = TestAdminBackend(server: proxy.server)
        var logger = Logger(label: "portico-admin-test")
        logger.logLevel = .warning
        let admin = AdminServer(
            config: AdminConfig(address: HostPort(host: "127.0.0.1", port: 0), token: token),
            backend: backend,
            group: MultiThreadedEventLoopGroup.singleton,
            logger: logger
        )
        let address = try await admin.start()
        return AdminFixture(proxy: proxy, origins: origins, backend: backend, admin: admin, adminPort: address.port ?? 0)
    }

    /// `ip:port` of origin `index`, as the admin API names servers.
    func serverAddress(_ index: Int) -> String { "127.0.0.1:\(self.origins.origins[index].port)" }

    func get(_ path: String, token: String? = nil) async throws -> RawResponse {
        try await self.request("GET", path, token: token)
    }

    func request(
        _ method: String, _ path: String, token: String? = nil, headers: [(String, String)] = [], body: [UInt8]? = nil
    ) async throws -> RawResponse {
        let client = HTTPTestClient(port: self.adminPort)
        var fields = headers
        if let token { fields.append(("Authorization", "Bearer \(token)")) }
        let response = try await client.request(method: method, path: path, headers: fields, body: body)
        await client.close()
        return response
    }

    func stop() async {
        await self.admin.shutdown()
        await self.proxy.stop()
        await self.origins.stop()
    }
}
