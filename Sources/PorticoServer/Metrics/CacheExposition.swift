import PorticoCache

/// Renders the response cache's families (`portico_cache_*`).
///
/// The families appear only when a cache exists (some route has `cache:`): a proxy
/// without one has nothing to report, and an always-present `portico_cache_capacity_bytes 0`
/// would read as a misconfigured cache. Alert rules on the hit ratio therefore see no
/// series, rather than a ratio of 0/0, on proxies that do not cache. Rendered by hand,
/// like `TrafficExposition`, because the counters live in `ResponseCache` and are only
/// read at scrape time.
enum CacheExposition {
    static func render(_ cache: CacheMetrics, into out: inout String) {
        PrometheusText.header(
            "portico_cache_requests_total", .counter,
            help: "Requests by what the response cache did with them (the Cache-Status words: hit, miss, stale, revalidated, expired, bypass, uncacheable).",
            into: &out
        )
        for outcome in CacheOutcome.allCases {
            PrometheusText.sample("portico_cache_requests_total", [("outcome", outcome.rawValue)], cache.count(outcome), into: &out)
        }
        PrometheusText.header("portico_cache_entries", .gauge, help: "Responses in the cache now (every variant counts).", into: &out)
        PrometheusText.sample("portico_cache_entries", [], cache.entries, into: &out)
        PrometheusText.header("portico_cache_bytes", .gauge, help: "Bytes the cached responses take now.", into: &out)
        PrometheusText.sample("portico_cache_bytes", [], cache.bytes, into: &out)
        PrometheusText.header(
            "portico_cache_capacity_bytes", .gauge, help: "The cache's byte bound (cache.memory_size, or cache.disk.max_size with a disk tier).",
            into: &out
        )
        PrometheusText.sample("portico_cache_capacity_bytes", [], cache.capacityBytes, into: &out)
        PrometheusText.header(
            "portico_cache_evictions_total", .counter,
            help: "Entries evicted (least recently used first) to keep the cache within its byte bound.", into: &out
        )
        PrometheusText.sample("portico_cache_evictions_total", [], cache.evictions, into: &out)
        PrometheusText.header(
            "portico_cache_stored_bytes_total", .counter, help: "Bytes of responses written to the cache.", into: &out
        )
        PrometheusText.sample("portico_cache_stored_bytes_total", [], cache.storedBytes, into: &out)
    }
}
