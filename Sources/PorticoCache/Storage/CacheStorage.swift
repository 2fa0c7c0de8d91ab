/// Where complete responses are kept. Shared by every worker (event loop), so every
/// implementation is thread-safe; calls are short (a dictionary and an LRU list
/// under a lock), never I/O on a caller's event loop beyond what is documented.
public protocol CacheStorage: AnyObject, Sendable {
    /// Every stored variant of `primaryKey` (compressed copies included), marking
    /// them recently used. Empty when none.
    func variants(for primaryKey: String) -> [CacheEntry]
    /// Stores `entry`, replacing the one with the same primary and variant key.
    /// Returns false when it is larger than the per-object limit (nothing stored).
    /// Evicts least recently used entries until the byte bound holds.
    @discardableResult func insert(_ entry: CacheEntry) -> Bool
    /// Removes one variant (and nothing else).
    func remove(primaryKey: String, variantKey: String)
    /// Removes every variant of `primaryKey` (RFC 9111 §4.4 invalidation).
    func removeVariants(for primaryKey: String)
    /// Removes every entry whose primary key satisfies `predicate`; returns how many
    /// entries went (purge by URL or by prefix).
    @discardableResult func removeAll(where predicate: (String) -> Bool) -> Int
    var statistics: CacheStorageStatistics { get }
}

/// A store's counters, for metrics and the admin API.
public struct CacheStorageStatistics: Sendable, Equatable {
    public var entries: Int
    public var bytes: Int
    public var capacityBytes: Int
    /// Entries evicted to keep the byte bound (not purges or invalidations).
    public var evictions: Int

    public init(entries: Int = 0, bytes: Int = 0, capacityBytes: Int = 0, evictions: Int = 0) {
        self.entries = entries
        self.bytes = bytes
        self.capacityBytes = capacityBytes
        self.evictions = evictions
    }
}
