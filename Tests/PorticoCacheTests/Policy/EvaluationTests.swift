import PorticoCache
import PorticoCore
import Testing

@Suite("Using stored responses (RFC 9111 §4, §4.2.4, §5.2)")
struct EvaluationTests {
    private func use(
        _ response: [(String, String)],
        request: [(String, String)] = [],
        at offset: Double,
        options: RouteCacheConfig = defaultOptions
    ) -> StoredResponseUse {
        CachePolicy.evaluate(
            request: HeaderList(request),
            response: storedResponse(response),
            now: baseTime + offset,
            options: options
        )
    }

    @Test("§4.2 fresh while freshness_lifetime > current_age")
    func fresh() {
        #expect(use([("Cache-Control", "max-age=60")], at: 10) == .fresh(age: 10, ttl: 50))
        #expect(use([("Cache-Control", "max-age=60")], at: 60) == .mustRevalidate(age: 60, ttl: 0))
    }

    @Test("§4.2.1 invalid max-age: stale at once")
    func invalidMaxAgeStale() {
        #expect(use([("Cache-Control", "max-age=ten")], at: 0) == .mustRevalidate(age: 0, ttl: 0))
    }

    @Test("§5.2.2.4 response no-cache: validate even when fresh")
    func responseNoCache() {
        #expect(use([("Cache-Control", "no-cache, max-age=60")], at: 1) == .mustRevalidate(age: 1, ttl: 59))
    }

    @Test("§5.2.1.4 request no-cache: validate even when fresh")
    func requestNoCache() {
        #expect(
            use([("Cache-Control", "max-age=60")], request: [("Cache-Control", "no-cache")], at: 1)
                == .mustRevalidate(age: 1, ttl: 59))
    }

    @Test("§5.4 Pragma: no-cache counts only without Cache-Control")
    func pragma() {
        let response = [("Cache-Control", "max-age=60")]
        #expect(use(response, request: [("Pragma", "no-cache")], at: 1) == .mustRevalidate(age: 1, ttl: 59))
        #expect(
            use(response, request: [("Pragma", "no-cache"), ("Cache-Control", "max-stale")], at: 1)
                == .fresh(age: 1, ttl: 59))
    }

    @Test("§5.2.1.1 request max-age: older responses are validated")
    func requestMaxAge() {
        let response = [("Cache-Control", "max-age=60")]
        #expect(use(response, request: [("Cache-Control", "max-age=5")], at: 10) == .mustRevalidate(age: 10, ttl: 50))
        #expect(use(response, request: [("Cache-Control", "max-age=10")], at: 10) == .fresh(age: 10, ttl: 50))
        #expect(use(response, request: [("Cache-Control", "max-age=0")], at: 1) == .mustRevalidate(age: 1, ttl: 59))
    }

    @Test("§5.2.1.3 request min-fresh: must stay fresh that much longer")
    func minFresh() {
        let response = [("Cache-Control", "max-age=60")]
        #expect(use(response, request: [("Cache-Control", "min-fresh=30")], at: 40) == .mustRevalidate(age: 40, ttl: 20))
        #expect(use(response, request: [("Cache-Control", "min-fresh=20")], at: 40) == .fresh(age: 40, ttl: 20))
    }

    @Test(
        "§5.2.1.4 ignore_client_no_cache ignores request no-cache, max-age=0 and Pragma",
        arguments: [[("Cache-Control", "no-cache")], [("Cache-Control", "max-age=0")], [("Pragma", "no-cache")]]
    )
    func ignoreClientNoCache(request: [(String, String)]) {
        let options = RouteCacheConfig(ignoreClientNoCache: true)
        #expect(use([("Cache-Control", "max-age=60")], request: request, at: 1, options: options) == .fresh(age: 1, ttl: 59))
    }

    @Test("§5.2.1.2 max-stale without a value accepts any staleness")
    func maxStaleAny() {
        #expect(
            use([("Cache-Control", "max-age=60")], request: [("Cache-Control", "max-stale")], at: 10_000)
                == .staleAcceptable(age: 10_000, ttl: -9_940))
    }

    @Test("§5.2.1.2 max-stale=N accepts at most N seconds of staleness")
    func maxStaleLimited() {
        let response = [("Cache-Control", "max-age=60")]
        let request = [("Cache-Control", "max-stale=30")]
        #expect(use(response, request: request, at: 90) == .staleAcceptable(age: 90, ttl: -30))
        #expect(use(response, request: request, at: 91) == .mustRevalidate(age: 91, ttl: -31))
    }

    @Test(
        "§4.2.4 stale is never served with must-revalidate, proxy-revalidate, s-maxage or no-cache",
        arguments: [
            "max-age=60, must-revalidate", "max-age=60, proxy-revalidate", "s-maxage=60", "max-age=60, no-cache",
        ]
    )
    func staleForbidden(cacheControl: String) {
        let response = [("Cache-Control", cacheControl + ", stale-while-revalidate=600")]
        #expect(use(response, request: [("Cache-Control", "max-stale")], at: 70) == .mustRevalidate(age: 70, ttl: -10))
    }

    @Test("RFC 5861 §3 stale-while-revalidate: served stale within N seconds of expiry")
    func staleWhileRevalidate() {
        let response = [("Cache-Control", "max-age=60, stale-while-revalidate=30")]
        #expect(use(response, at: 90) == .staleWhileRevalidate(age: 90, ttl: -30))
        #expect(use(response, at: 91) == .mustRevalidate(age: 91, ttl: -31))
        #expect(use(response, at: 30) == .fresh(age: 30, ttl: 30))
    }

    @Test("§4.2.2 heuristic freshness is used when nothing explicit is given")
    func heuristicFreshness() {
        #expect(use([("Last-Modified", httpDate(-10_000))], at: 999) == .fresh(age: 999, ttl: 1))
    }

    @Test("§5.2.1.5/§5.2.1.7 request no-store and only-if-cached")
    func requestDirectives() {
        let request = HeaderList([("Cache-Control", "no-store, only-if-cached")])
        #expect(CachePolicy.requestDirectives(request, options: defaultOptions) == RequestCacheDirectives(noStore: true, onlyIfCached: true))
        #expect(CachePolicy.requestDirectives(HeaderList(), options: defaultOptions) == RequestCacheDirectives())
    }
}

@Suite("Serving stale on error (RFC 5861 §4)")
struct StaleIfErrorTests {
    private func allowed(
        _ response: [(String, String)],
        request: [(String, String)] = [],
        at offset: Double,
        options: RouteCacheConfig = defaultOptions
    ) -> Bool {
        CachePolicy.mayServeStaleOnError(
            request: HeaderList(request),
            response: storedResponse(response),
            now: baseTime + offset,
            options: options
        )
    }

    @Test("RFC 5861 §4 response stale-if-error=N allows N seconds past expiry")
    func responseDirective() {
        let response = [("Cache-Control", "max-age=60, stale-if-error=100")]
        #expect(allowed(response, at: 160))
        #expect(!allowed(response, at: 161))
        #expect(!allowed([("Cache-Control", "max-age=60")], at: 61))
    }

    @Test("RFC 5861 §4 request stale-if-error=N allows N seconds past expiry")
    func requestDirective() {
        let response = [("Cache-Control", "max-age=60")]
        #expect(allowed(response, request: [("Cache-Control", "stale-if-error=10")], at: 70))
        #expect(!allowed(response, request: [("Cache-Control", "stale-if-error=10")], at: 71))
    }

    @Test("RFC 5861 §4 stale_if_upstream_down allows staleness without the origin's directive")
    func routeOption() {
        let options = RouteCacheConfig(staleIfUpstreamDownSeconds: 300)
        #expect(allowed([("Cache-Control", "max-age=60")], at: 360, options: options))
        #expect(!allowed([("Cache-Control", "max-age=60")], at: 361, options: options))
    }

    @Test("§4.2.4 must-revalidate forbids the client's and the route's stale-if-error, not the origin's")
    func mustRevalidate() {
        let options = RouteCacheConfig(staleIfUpstreamDownSeconds: 300)
        #expect(!allowed([("Cache-Control", "max-age=60, must-revalidate")], at: 70, options: options))
        #expect(allowed([("Cache-Control", "max-age=60, must-revalidate, stale-if-error=60")], at: 70))
    }

    @Test("§4.2 a fresh response may be served on error, unless no-cache (§5.2.2.4)")
    func fresh() {
        #expect(allowed([("Cache-Control", "max-age=60")], at: 10))
        #expect(!allowed([("Cache-Control", "max-age=60, no-cache")], at: 10))
    }
}
