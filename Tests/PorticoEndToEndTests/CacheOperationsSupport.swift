import NIOConcurrencyHelpers
import PorticoCache
import PorticoCore
import PorticoProxy
import PorticoServer

/// A `CacheStorage` that only remembers primary keys, for exercising purges and
/// statistics without the real stores.
final class FakeCacheStorage: CacheStorage {
    private let keys: NIOLockedValueBox<[String]>
    let fixedStatistics: CacheStorageStatistics

    init(primaryKeys: [String], statistics: CacheStorageStatistics = CacheStorageStatistics()) {
        self.keys = NIOLockedValueBox(primaryKeys)
        self.fixedStatistics = statistics
    }

    var primaryKeys: [String] { self.keys.withLockedValue { $0 } }

    func variants(for primaryKey: String) -> [CacheEntry] { [] }
    func insert(_ entry: CacheEntry) -> Bool { false }
    func remove(primaryKey: String, variantKey: String) {}
    func removeVariants(for primaryKey: String) {
        self.keys.withLockedValue { $0.removeAll { $0 == primaryKey } }
    }

    func removeAll(where predicate: (String) -> Bool) -> Int {
        self.keys.withLockedValue { keys in
            let before = keys.count
            keys.removeAll(where: predicate)
            return before - keys.count
        }
    }

    var statistics: CacheStorageStatistics { self.fixedStatistics }
}

/// An `AdminBackend` without a proxy: a parsed configuration, canned metrics, and an
/// optional `ResponseCache` over a `FakeCacheStorage` (for `AdminAPI.handle` tests
/// without sockets).
final class CacheAdminBackend: AdminBackend {
    let config: PorticoConfig
    let cache: ResponseCache?
    let reloadLog = ReloadLog()

    init(cache: ResponseCache?, token: String? = nil) throws {
        var yaml = """
            listeners: [{ address: "127.0.0.1:8080" }]
            upstreams: [{ name: app, servers: ["127.0.0.1:9001"] }]
            routes: [{ name: all, upstream: app }]
            """
        if let token { yaml += "\nadmin: { address: \"127.0.0.1:9901\", token: \(token) }" }
        self.config = try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
        self.cache = cache
    }

    func prometheusExposition() async -> String { "" }
    func statsJSON() async -> String { "{}" }
    func upstreamStatus() -> [UpstreamServerStatus] { [] }
    func currentConfig() -> PorticoConfig { self.config }
    func reload(trigger: ReloadEvent.Trigger) async -> ReloadEvent {
        ReloadEvent(time: 0, trigger: trigger, succeeded: false, message: "not here")
    }
    func setAdminState(_ state: ServerAdminState, group: String, server: String) -> Bool { false }
    func isReady() -> Bool { true }
    func purgeCache(url: String?, prefix: String?) -> Int? { self.cache?.purge(url: url, prefix: prefix) }
    func cacheStatus() -> CacheMetrics? { self.cache.map(CacheMetrics.init(cache:)) }
}
