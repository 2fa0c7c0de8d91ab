import PorticoCache
import PorticoCore
import Synchronization

/// The process's shared response cache: one store and one collapser for every worker
/// and route (like an nginx `proxy_cache_path` zone), kept across reloads while the
/// top-level `cache:` settings stay the same.
///
/// Lookups take the store's lock once per cacheable request; nothing else on the data
/// path is shared. Counters sit behind one short lock (read by metrics and the status page).
public final class ResponseCache: Sendable {
    public let config: CacheStorageConfig
    public let storage: any CacheStorage
    public let collapser = RequestCollapser()
    /// Requests per `CacheOutcome` (in `allCases` order) and bytes stored.
    private let counters = Mutex<(outcomes: [Int], storedBytes: Int)>((Array(repeating: 0, count: CacheOutcome.allCases.count), 0))

    /// Opens the store: memory only, or memory in front of `cache.disk` (whose
    /// directory is created or re-indexed here, so a bad path fails start or reload).
    public init(config: CacheStorageConfig) throws {
        self.config = config
        let memory = MemoryCacheStorage(capacityBytes: config.memoryBytes, maxObjectBytes: config.maxObjectBytes)
        if let disk = config.disk {
            self.storage = try DiskCacheStorage(
                directory: disk.path, capacityBytes: disk.maxBytes, maxObjectBytes: config.maxObjectBytes, memory: memory
            )
        } else {
            self.storage = memory
        }
    }

    /// A cache over a given store (tests, and stores made elsewhere).
    public init(config: CacheStorageConfig, storage: any CacheStorage) {
        self.config = config
        self.storage = storage
    }

    /// The cache of a new configuration generation: the previous one when its storage
    /// settings are unchanged (entries survive the reload), a new one when they
    /// changed, none when no route caches.
    static func forGeneration(_ config: PorticoConfig, previous: ResponseCache?) throws -> ResponseCache? {
        guard config.routes.contains(where: { $0.cache != nil }) else { return nil }
        if let previous, previous.config == config.cache { return previous }
        return try ResponseCache(config: config.cache)
    }

    func count(_ outcome: CacheOutcome) {
        guard let index = CacheOutcome.allCases.firstIndex(of: outcome) else { return }
        self.counters.withLock { $0.outcomes[index] += 1 }
    }

    func countStored(bytes: Int) {
        self.counters.withLock { $0.storedBytes += bytes }
    }

    /// Requests per outcome since start (for `portico_cache_requests_total`).
    public var outcomeCounts: [(outcome: CacheOutcome, count: Int)] {
        let counts = self.counters.withLock { $0.outcomes }
        return CacheOutcome.allCases.enumerated().map { ($0.element, counts[$0.offset]) }
    }

    /// Bytes of responses written to the store since start.
    public var storedBytes: Int { self.counters.withLock { $0.storedBytes } }

    /// Removes the entries of one URL (every variant and key addition), or of every URL
    /// starting with `prefix`. Returns how many entries went.
    @discardableResult
    public func purge(url: String? = nil, prefix: String? = nil) -> Int {
        self.storage.removeAll { primary in
            let entryURL = CacheKey.url(ofPrimary: primary)
            if let url, entryURL == url[...] { return true }
            if let prefix, entryURL.hasPrefix(prefix) { return true }
            return false
        }
    }
}
