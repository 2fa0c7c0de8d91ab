import Foundation
import PorticoCache
import PorticoCore
@testable import PorticoProxy
import PorticoServer
import Testing

/// The response cache's operational surface, from synthetic values (no sockets, no real
/// store): the `portico_cache_*` families, the status page's hit ratio, and the admin
/// API's `/api/cache` and `/api/cache/purge` (through `AdminAPI.handle`).
@Suite("Cache operations")
struct CacheOperationsTests {
    static func metrics(hit: Int = 0, miss: Int = 0, stale: Int = 0, bypass: Int = 0, uncacheable: Int = 0) -> CacheMetrics {
        CacheMetrics(
            requests: [.hit: hit, .miss: miss, .stale: stale, .bypass: bypass, .uncacheable: uncacheable],
            entries: 12, bytes: 34_000, capacityBytes: 1_048_576, evictions: 3, storedBytes: 56_000
        )
    }

    static func snapshot(requests: Int, cache: CacheMetrics?) -> ProxyMetricsSnapshot {
        var snapshot = MetricsExpositionTests.snapshot(
            traffic: MetricsExpositionTests.traffic(requests: requests, errors: 0, latencyNanos: 1_000_000, bytes: 0)
        )
        snapshot.cache = cache
        return snapshot
    }

    static func cache(keys: [String], statistics: CacheStorageStatistics = CacheStorageStatistics()) -> (ResponseCache, FakeCacheStorage) {
        let storage = FakeCacheStorage(primaryKeys: keys, statistics: statistics)
        return (ResponseCache(config: CacheStorageConfig(), storage: storage), storage)
    }

    // MARK: Prometheus families

    @Test func cacheFamiliesParseBackWithTheirTypesAndValues() throws {
        let text = ControlPlaneMetrics().exposition(of: Self.snapshot(requests: 5, cache: Self.metrics(hit: 7, miss: 2, stale: 1, bypass: 4)))
        let parsed = try ParsedExposition(text)
        #expect(parsed.types["portico_cache_requests_total"] == "counter")
        #expect(parsed.types["portico_cache_entries"] == "gauge")
        #expect(parsed.types["portico_cache_bytes"] == "gauge")
        #expect(parsed.types["portico_cache_capacity_bytes"] == "gauge")
        #expect(parsed.types["portico_cache_evictions_total"] == "counter")
        #expect(parsed.types["portico_cache_stored_bytes_total"] == "counter")
        #expect(parsed.value("portico_cache_requests_total", ["outcome": "hit"]) == 7)
        #expect(parsed.value("portico_cache_requests_total", ["outcome": "miss"]) == 2)
        #expect(parsed.value("portico_cache_requests_total", ["outcome": "stale"]) == 1)
        #expect(parsed.value("portico_cache_requests_total", ["outcome": "bypass"]) == 4)
        #expect(parsed.value("portico_cache_entries") == 12)
        #expect(parsed.value("portico_cache_bytes") == 34_000)
        #expect(parsed.value("portico_cache_capacity_bytes") == 1_048_576)
        #expect(parsed.value("portico_cache_evictions_total") == 3)
        #expect(parsed.value("portico_cache_stored_bytes_total") == 56_000)
        // Every outcome has a series, zero or not, so rate() over any of them works from the start.
        let outcomes = parsed.samples.filter { $0.name == "portico_cache_requests_total" }.compactMap { $0.labels["outcome"] }
        #expect(outcomes == ["hit", "miss", "revalidated", "stale", "expired", "bypass", "uncacheable"])
        // The rest of the exposition is unchanged.
        #expect(parsed.value("portico_requests_total", ["route": "api", "upstream": "origin", "code_class": "2xx"]) == 5)
    }

    @Test func noCacheFamiliesWithoutACache() throws {
        let text = ControlPlaneMetrics().exposition(of: Self.snapshot(requests: 5, cache: nil))
        let parsed = try ParsedExposition(text)
        #expect(!parsed.types.keys.contains { $0.hasPrefix("portico_cache_") })
        #expect(!text.contains("portico_cache_"))
    }

    @Test func metricsAreReadFromTheResponseCache() {
        let (cache, _) = Self.cache(
            keys: [], statistics: CacheStorageStatistics(entries: 4, bytes: 4096, capacityBytes: 8192, evictions: 2)
        )
        cache.count(.hit)
        cache.count(.hit)
        cache.count(.stale)
        cache.count(.miss)
        cache.count(.bypass)
        cache.countStored(bytes: 300)
        let metrics = CacheMetrics(cache: cache)
        #expect(metrics.count(.hit) == 2)
        #expect(metrics.count(.expired) == 0)
        #expect(metrics.servedFromCache == 3)
        #expect(metrics.lookups == 4)
        #expect(metrics == CacheMetrics(
            requests: [.hit: 2, .stale: 1, .miss: 1, .bypass: 1],
            entries: 4, bytes: 4096, capacityBytes: 8192, evictions: 2, storedBytes: 300
        ))
    }

    // MARK: Stats history

    @Test func historyHitRatioIsPerInterval() throws {
        let history = StatsHistory(capacity: 10)
        history.record(Self.snapshot(requests: 10, cache: Self.metrics(hit: 5, miss: 5, bypass: 3)), at: 100)
        // +6 hits, +1 stale, +2 misses, +1 uncacheable, +10 bypass in the interval: 7 of 10 lookups.
        history.record(Self.snapshot(requests: 30, cache: Self.metrics(hit: 11, miss: 7, stale: 1, bypass: 13, uncacheable: 1)), at: 101)
        // Only bypasses: no lookup, no ratio.
        history.record(Self.snapshot(requests: 35, cache: Self.metrics(hit: 11, miss: 7, stale: 1, bypass: 18, uncacheable: 1)), at: 102)
        let samples = history.samples
        #expect(samples.count == 2)
        #expect(samples[0].cacheConfigured)
        #expect(abs(samples[0].cacheHitRatio! - 0.7) < 1e-12)
        #expect(samples[1].cacheConfigured)
        #expect(samples[1].cacheHitRatio == nil)
        let json = history.json()
        #expect(json.contains(#""bytes_out_per_second":0,"cache_hit_ratio":0.7}"#), "\(json)")
        #expect(json.contains(#""bytes_out_per_second":0,"cache_hit_ratio":null}"#), "\(json)")
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let first = try #require((decoded["samples"] as? [[String: Any]])?.first)
        #expect(first["cache_hit_ratio"] as? Double == 0.7)
    }

    @Test func historyOmitsTheHitRatioWithoutACache() {
        let history = StatsHistory()
        history.record(Self.snapshot(requests: 1, cache: nil), at: 100)
        history.record(Self.snapshot(requests: 2, cache: nil), at: 101)
        #expect(history.samples.first?.cacheConfigured == false)
        #expect(history.samples.first?.cacheHitRatio == nil)
        #expect(!history.json().contains("cache_hit_ratio"))
    }

    @Test func historyCountsANewCacheFromZero() {
        let history = StatsHistory()
        // No cache, then a reload adds one; later a reload replaces it (counters restart).
        history.record(Self.snapshot(requests: 1, cache: nil), at: 100)
        history.record(Self.snapshot(requests: 2, cache: Self.metrics(hit: 1, miss: 3)), at: 101)
        history.record(Self.snapshot(requests: 3, cache: Self.metrics(hit: 49, miss: 51)), at: 102)
        history.record(Self.snapshot(requests: 4, cache: Self.metrics(hit: 3, miss: 1)), at: 103)
        #expect(history.samples.map(\.cacheHitRatio) == [0.25, 0.5, 0.75])
    }

    @Test func statusPageShowsTheHitRatioOnlyWithACache() async throws {
        let api = AdminAPI(backend: try CacheAdminBackend(cache: nil), token: nil)
        let html = await api.handle(method: "GET", target: "/", authorization: nil).body
        #expect(html.contains(#"data-metric="cache_hit_ratio""#))
        #expect(html.contains(#"<div class="tile" id="cache-tile" hidden>"#))
        #expect(html.contains(#"<div class="panel" id="cache-panel" hidden>"#))
        #expect(html.contains(#"data-chart="cache_hit_ratio""#))
        #expect(html.contains("last.cache_hit_ratio !== undefined"))
    }

    // MARK: Admin API

    static let keys = [
        "GET https://example.com/static/app.js",
        "GET https://example.com/static/app.css\u{1}tenant=a",
        "GET https://example.com/static/app.css\u{1}tenant=b",
        "GET https://example.com/page?x=1",
        "GET https://example.com/a b",
    ]

    @Test func purgeByURLRemovesEveryVariantOfThatURLOnly() async throws {
        let (cache, storage) = Self.cache(keys: Self.keys)
        let api = AdminAPI(backend: try CacheAdminBackend(cache: cache), token: nil)
        let response = await api.handle(
            method: "POST", target: "/api/cache/purge?url=https%3A%2F%2Fexample.com%2Fstatic%2Fapp.css", authorization: nil
        )
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.body == "{\"purged\":2}\n")
        #expect(storage.primaryKeys == [Self.keys[0], Self.keys[3], Self.keys[4]])
        // The query of the URL is part of it; a space arrives percent-encoded.
        let page = await api.handle(method: "POST", target: "/api/cache/purge?url=https://example.com/page%3Fx%3D1", authorization: nil)
        #expect(page.body == "{\"purged\":1}\n")
        let spaced = await api.handle(method: "POST", target: "/api/cache/purge?url=https://example.com/a%20b", authorization: nil)
        #expect(spaced.body == "{\"purged\":1}\n")
        let again = await api.handle(method: "POST", target: "/api/cache/purge?url=https://example.com/a%20b", authorization: nil)
        #expect(again.status == 200)
        #expect(again.body == "{\"purged\":0}\n")
    }

    @Test func purgeByPrefixRemovesEveryURLUnderIt() async throws {
        let (cache, storage) = Self.cache(keys: Self.keys)
        let api = AdminAPI(backend: try CacheAdminBackend(cache: cache), token: nil)
        let response = await api.handle(method: "POST", target: "/api/cache/purge?prefix=https://example.com/static/", authorization: nil)
        #expect(response.status == 200)
        #expect(response.body == "{\"purged\":3}\n")
        #expect(storage.primaryKeys == [Self.keys[3], Self.keys[4]])
    }

    @Test func purgeAndStatusAnswer404WithoutACache() async throws {
        let api = AdminAPI(backend: try CacheAdminBackend(cache: nil), token: nil)
        for (method, target) in [("POST", "/api/cache/purge?prefix=https://example.com/"), ("GET", "/api/cache")] {
            let response = await api.handle(method: method, target: target, authorization: nil)
            #expect(response.status == 404, "\(target)")
            #expect(response.body == "{\"error\":\"no cache is configured\"}\n")
        }
    }

    @Test func purgeRejectsMissingBothAndUnknownParameters() async throws {
        let (cache, storage) = Self.cache(keys: Self.keys)
        let api = AdminAPI(backend: try CacheAdminBackend(cache: cache), token: nil)
        for target in [
            "/api/cache/purge", "/api/cache/purge?", "/api/cache/purge?url=https://a/&prefix=https://a/",
            "/api/cache/purge?urls=https://a/", "/api/cache/purge?url=/relative", "/api/cache/purge?url=",
            "/api/cache/purge?url=https://a/&url=https://b/", "/api/cache/purge?prefix=%zz",
        ] {
            let response = await api.handle(method: "POST", target: target, authorization: nil)
            #expect(response.status == 400, "\(target)")
            #expect(response.body.hasPrefix("{\"error\":"), "\(target)")
        }
        #expect(storage.primaryKeys == Self.keys)
        let get = await api.handle(method: "GET", target: "/api/cache/purge?prefix=https://example.com/", authorization: nil)
        #expect(get.status == 405)
        #expect(get.header("Allow") == "POST")
    }

    @Test func cacheEndpointsRequireTheAdminToken() async throws {
        let (cache, storage) = Self.cache(keys: Self.keys)
        let api = AdminAPI(backend: try CacheAdminBackend(cache: cache, token: "s3cret"), token: nil)
        for (method, target) in [("POST", "/api/cache/purge?prefix=https://example.com/"), ("GET", "/api/cache")] {
            #expect(await api.handle(method: method, target: target, authorization: nil).status == 401)
            #expect(await api.handle(method: method, target: target, authorization: "Bearer guess").status == 401)
        }
        #expect(storage.primaryKeys == Self.keys)
        let purged = await api.handle(method: "POST", target: "/api/cache/purge?prefix=https://example.com/", authorization: "Bearer s3cret")
        #expect(purged.body == "{\"purged\":5}\n")
    }

    @Test func cacheStatusListsStatisticsAndOutcomeCounts() async throws {
        let (cache, _) = Self.cache(
            keys: [], statistics: CacheStorageStatistics(entries: 4, bytes: 4096, capacityBytes: 8192, evictions: 2)
        )
        let api = AdminAPI(backend: try CacheAdminBackend(cache: cache), token: nil)
        let empty = await api.handle(method: "GET", target: "/api/cache", authorization: nil)
        #expect(empty.body.contains(#""hit_ratio":null"#))
        cache.count(.hit)
        cache.count(.hit)
        cache.count(.hit)
        cache.count(.miss)
        cache.count(.bypass)
        cache.countStored(bytes: 512)
        let response = await api.handle(method: "GET", target: "/api/cache", authorization: nil)
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(
            response.body
                == #"{"entries":4,"bytes":4096,"capacity_bytes":8192,"evictions":2,"stored_bytes":512,"hit_ratio":0.75,"#
                + #""requests":{"hit":3,"miss":1,"revalidated":0,"stale":0,"expired":0,"bypass":1,"uncacheable":0}}"# + "\n"
        )
    }
}
