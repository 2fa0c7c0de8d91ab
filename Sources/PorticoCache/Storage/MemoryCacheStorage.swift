import Synchronization

/// A byte-bounded in-memory store with least-recently-used eviction: the cache every
/// route's hits come from (RFC 9111 §3 leaves what to keep, and for how long beyond
/// freshness, to the cache; bounding by bytes and evicting the coldest variant is
/// what nginx's `proxy_cache` zones and Varnish's malloc storage do).
///
/// Shared by every worker. One `Mutex` guards a dictionary (primary key → variant key
/// → entry) and an O(1) recency list, so a lookup or insert is a few dictionary
/// probes under the lock; entries are immutable (`CacheEntry`), so handing one out
/// needs no copy. Sizes are `CacheEntry.size` (body, fields and keys).
public final class MemoryCacheStorage: CacheStorage {
    private struct State: Sendable {
        var index = LRUVariantIndex<CacheEntry>()
        var evictions = 0
    }

    /// The byte bound.
    public let capacityBytes: Int
    /// Entries larger than this are refused (`insert` returns false).
    public let maxObjectBytes: Int
    private let state = Mutex(State())

    public init(capacityBytes: Int, maxObjectBytes: Int) {
        self.capacityBytes = max(0, capacityBytes)
        self.maxObjectBytes = max(0, maxObjectBytes)
    }

    public func variants(for primaryKey: String) -> [CacheEntry] {
        self.state.withLock { state in state.index.touchVariants(of: primaryKey).map(\.payload) }
    }

    /// Stores `entry`, evicting least recently used variants until the bound holds.
    ///
    /// An entry larger than `maxObjectBytes`, or than the whole capacity, is refused;
    /// the variant it would have replaced is removed anyway, because a newer response
    /// for it exists and the stored one is outdated (RFC 9111 §4.4 spirit: never serve
    /// what the origin has since replaced).
    @discardableResult
    public func insert(_ entry: CacheEntry) -> Bool {
        let size = entry.size
        let primaryKey = entry.key.primary
        let fits = size <= self.maxObjectBytes && size <= self.capacityBytes
        return self.state.withLock { state in
            guard fits else {
                state.index.remove(primaryKey: primaryKey, variantKey: entry.variantKey)
                return false
            }
            state.index.upsert(primaryKey: primaryKey, variantKey: entry.variantKey, payload: entry, size: size)
            // The new entry is the most recently used and fits alone, so eviction
            // stops before reaching it.
            while state.index.bytes > self.capacityBytes, state.index.removeLeastRecent() != nil {
                state.evictions += 1
            }
            return true
        }
    }

    public func remove(primaryKey: String, variantKey: String) {
        self.state.withLock { state in _ = state.index.remove(primaryKey: primaryKey, variantKey: variantKey) }
    }

    public func removeVariants(for primaryKey: String) {
        _ = self.removeVariantKeys(for: primaryKey)
    }

    /// Walks every primary key (purges are rare). `predicate` runs outside the lock,
    /// so it may be slow or even call this store.
    @discardableResult
    public func removeAll(where predicate: (String) -> Bool) -> Int {
        self.removeAllReturningIDs(where: predicate).count
    }

    public var statistics: CacheStorageStatistics {
        self.state.withLock { state in
            CacheStorageStatistics(
                entries: state.index.count,
                bytes: state.index.bytes,
                capacityBytes: self.capacityBytes,
                evictions: state.evictions
            )
        }
    }

    /// `(primaryKey, variantKey)` pairs from most to least recently used (tests,
    /// diagnostics; O(n) under the lock, do not call per request).
    public var keysByRecency: [(primaryKey: String, variantKey: String)] {
        self.state.withLock { state in state.index.idsByRecency.map { ($0.primaryKey, $0.variantKey) } }
    }

    // MARK: - For DiskCacheStorage

    /// Removes every variant of `primaryKey`, returning their variant keys.
    func removeVariantKeys(for primaryKey: String) -> [String] {
        self.state.withLock { state in state.index.removeVariants(of: primaryKey).map(\.variantKey) }
    }

    /// `removeAll(where:)`, returning what went.
    func removeAllReturningIDs(where predicate: (String) -> Bool) -> [VariantID] {
        let keys = self.state.withLock { state in state.index.primaryKeys }
        let doomed = keys.filter(predicate)
        guard !doomed.isEmpty else { return [] }
        return self.state.withLock { state in
            doomed.flatMap { primaryKey in
                state.index.removeVariants(of: primaryKey).map {
                    VariantID(primaryKey: primaryKey, variantKey: $0.variantKey)
                }
            }
        }
    }
}
