import PorticoProxy

extension ProxyServer {
    /// The response cache of the configuration generation in force (one per process,
    /// kept across reloads while `cache:` is unchanged); nil when no route caches.
    public var responseCache: ResponseCache? {
        self.current.withLockedValue { $0 }.cache
    }

    /// `ResponseCache.purge(url:prefix:)` on the cache in force; nil without one.
    public func purgeCache(url: String?, prefix: String?) -> Int? {
        self.responseCache?.purge(url: url, prefix: prefix)
    }

    /// The cache's figures now; nil without a cache.
    public func cacheMetrics() -> CacheMetrics? {
        self.responseCache.map(CacheMetrics.init(cache:))
    }
}
