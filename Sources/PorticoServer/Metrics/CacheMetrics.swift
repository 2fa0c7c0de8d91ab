import PorticoCache
import PorticoProxy

/// The response cache's figures at one moment, for the exposition, the status page's
/// hit ratio and `GET /api/cache`. A plain value copied from the process's shared
/// `ResponseCache` (one short lock for the counters, one for the store's statistics).
///
/// The outcome counters belong to one `ResponseCache`: a reload that changes the
/// top-level `cache:` settings opens a new cache whose counters start at zero again,
/// which Prometheus treats as an ordinary counter reset.
public struct CacheMetrics: Sendable, Equatable {
    /// Requests per outcome since the cache was opened; every `CacheOutcome` is present.
    public var requests: [CacheOutcome: Int]
    /// Entries and bytes in the store now, and its byte bound.
    public var entries: Int
    public var bytes: Int
    public var capacityBytes: Int
    /// Entries evicted to keep the byte bound (not purges or invalidations).
    public var evictions: Int
    /// Bytes of responses written to the store since the cache was opened.
    public var storedBytes: Int

    public init(
        requests: [CacheOutcome: Int] = [:],
        entries: Int = 0,
        bytes: Int = 0,
        capacityBytes: Int = 0,
        evictions: Int = 0,
        storedBytes: Int = 0
    ) {
        var complete: [CacheOutcome: Int] = [:]
        for outcome in CacheOutcome.allCases { complete[outcome] = requests[outcome] ?? 0 }
        self.requests = complete
        self.entries = entries
        self.bytes = bytes
        self.capacityBytes = capacityBytes
        self.evictions = evictions
        self.storedBytes = storedBytes
    }

    /// The figures of `cache`, now.
    public init(cache: ResponseCache) {
        let statistics = cache.storage.statistics
        self.init(
            requests: Dictionary(cache.outcomeCounts.map { ($0.outcome, $0.count) }, uniquingKeysWith: +),
            entries: statistics.entries,
            bytes: statistics.bytes,
            capacityBytes: statistics.capacityBytes,
            evictions: statistics.evictions,
            storedBytes: cache.storedBytes
        )
    }

    public func count(_ outcome: CacheOutcome) -> Int {
        self.requests[outcome] ?? 0
    }

    /// Requests answered from storage: fresh hits, and stale responses served under
    /// `stale-while-revalidate` / `stale-if-error` (RFC 5861). Revalidated responses
    /// (a 304 from the origin) are not counted: the origin was asked.
    public var servedFromCache: Int {
        self.count(.hit) + self.count(.stale)
    }

    /// Requests the cache had a say in: every outcome except `bypass` (methods and
    /// `no-store`/`no-cache` requests the cache never looked at).
    public var lookups: Int {
        CacheOutcome.allCases.reduce(0) { $1 == .bypass ? $0 : $0 + self.count($1) }
    }
}
