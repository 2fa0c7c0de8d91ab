/// CONTRACT placeholder: a byte-bounded in-memory LRU store (the storage work implements it).
public final class MemoryCacheStorage: CacheStorage {
    public init(capacityBytes: Int, maxObjectBytes: Int) { fatalError("placeholder") }
    public func variants(for primaryKey: String) -> [CacheEntry] { fatalError("placeholder") }
    @discardableResult public func insert(_ entry: CacheEntry) -> Bool { fatalError("placeholder") }
    public func remove(primaryKey: String, variantKey: String) { fatalError("placeholder") }
    public func removeVariants(for primaryKey: String) { fatalError("placeholder") }
    @discardableResult public func removeAll(where predicate: (String) -> Bool) -> Int { fatalError("placeholder") }
    public var statistics: CacheStorageStatistics { fatalError("placeholder") }
}

/// CONTRACT placeholder: a size-bounded directory store that survives restarts, with
/// a memory store in front (the storage work implements it).
public final class DiskCacheStorage: CacheStorage {
    /// Loads the index of what an earlier process left in `directory` (creating it if
    /// missing). Throws when the directory cannot be created or written.
    public init(directory: String, capacityBytes: Int, maxObjectBytes: Int, memory: MemoryCacheStorage) throws {
        fatalError("placeholder")
    }
    public func variants(for primaryKey: String) -> [CacheEntry] { fatalError("placeholder") }
    @discardableResult public func insert(_ entry: CacheEntry) -> Bool { fatalError("placeholder") }
    public func remove(primaryKey: String, variantKey: String) { fatalError("placeholder") }
    public func removeVariants(for primaryKey: String) { fatalError("placeholder") }
    @discardableResult public func removeAll(where predicate: (String) -> Bool) -> Int { fatalError("placeholder") }
    public var statistics: CacheStorageStatistics { fatalError("placeholder") }
}
