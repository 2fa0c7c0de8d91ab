import PorticoCore
import PorticoProxy

/// What the admin listener needs from a running proxy. `ProxyServer` conforms; tests
/// substitute their own backend.
public protocol AdminBackend: Sendable {
    func prometheusExposition() async -> String
    func statsJSON() async -> String
    func upstreamStatus() -> [UpstreamServerStatus]
    func currentConfig() -> PorticoConfig
    func reload(trigger: ReloadEvent.Trigger) async -> ReloadEvent
    var reloadLog: ReloadLog { get }
    func setAdminState(_ state: ServerAdminState, group: String, server: String) -> Bool
    func isReady() -> Bool
    /// Removes the cached responses of one absolute URL (every variant), or of every
    /// URL starting with `prefix` (exactly one is given). Returns how many entries
    /// went; nil when no cache is configured.
    func purgeCache(url: String?, prefix: String?) -> Int?
    /// The response cache's figures now; nil when no cache is configured.
    func cacheStatus() -> CacheMetrics?
}
