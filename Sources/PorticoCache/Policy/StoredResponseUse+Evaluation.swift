import PorticoCore

/// RFC 9111 §4, §4.2.4, §5.2.1, §5.2.2 and RFC 5861: whether a stored response may be
/// served for a request, may be served stale, or must be validated first.
public enum StoredResponseEvaluation {
    /// The request's directives as the cache honours them (§5.2.1, §5.4): with
    /// `ignore_client_no_cache`, request `no-cache`, `max-age=0` and `Pragma: no-cache`
    /// are dropped (§5.2.1.4 lets a cache serve a stored response anyway).
    public static func effectiveRequestDirectives(_ request: HeaderList, options: RouteCacheConfig)
        -> CacheControlDirectives
    {
        var directives = CacheControlDirectives(request)
        if !CacheControlDirectives.isPresent(in: request), Self.hasPragmaNoCache(request) {
            // §5.4: `Pragma: no-cache` means `no-cache` when there is no Cache-Control.
            directives.noCache = true
        }
        if options.ignoreClientNoCache {
            directives.noCache = false
            if directives.maxAge == 0 { directives.maxAge = nil }
        }
        return directives
    }

    private static func hasPragmaNoCache(_ request: HeaderList) -> Bool {
        request.listElements("pragma").contains { $0.caseInsensitiveEquals("no-cache") }
    }

    /// Whether a stale response may be served without validation at all: not when the
    /// origin forbids it with `must-revalidate` (§5.2.2.2), `proxy-revalidate`
    /// (§5.2.2.8), `s-maxage` (§5.2.2.10, which implies `proxy-revalidate` for a shared
    /// cache) or `no-cache` (§5.2.2.4) — §4.2.4.
    public static func staleServingForbidden(_ directives: CacheControlDirectives) -> Bool {
        directives.mustRevalidate || directives.proxyRevalidate || directives.sMaxAge != nil || directives.noCache
    }

    public static func evaluate(
        request: HeaderList,
        response: StoredResponse,
        now: Double,
        options: RouteCacheConfig
    ) -> StoredResponseUse {
        let responseDirectives = CacheControlDirectives(response.headers)
        let requestDirectives = Self.effectiveRequestDirectives(request, options: options)
        let age = ResponseAge(response, now: now).currentAge
        let lifetime = Freshness.lifetime(response, directives: responseDirectives, options: options).seconds
        let ttl = lifetime - age

        // §5.2.2.4: unqualified `no-cache` — validate every time.
        if responseDirectives.noCache { return .mustRevalidate(age: age, ttl: ttl) }
        // §5.2.1.4: the client insists on validation.
        if requestDirectives.noCache { return .mustRevalidate(age: age, ttl: ttl) }
        // §5.2.1.1: the client wants a response no older than max-age.
        if let maxAge = requestDirectives.maxAge, age > Double(maxAge) { return .mustRevalidate(age: age, ttl: ttl) }
        // §5.2.1.3: the client wants one fresh for at least min-fresh more seconds.
        if let minFresh = requestDirectives.minFresh, ttl < Double(minFresh) {
            return .mustRevalidate(age: age, ttl: ttl)
        }
        // §4.2: fresh while freshness_lifetime > current_age.
        if ttl > 0 { return .fresh(age: age, ttl: ttl) }

        // Stale (§4.2.4): only served without validation when nothing forbids it.
        if Self.staleServingForbidden(responseDirectives) { return .mustRevalidate(age: age, ttl: ttl) }
        let staleness = -ttl
        // RFC 5861 §3: serve stale while a background request revalidates.
        if let window = responseDirectives.staleWhileRevalidate, staleness <= Double(window) {
            return .staleWhileRevalidate(age: age, ttl: ttl)
        }
        // §5.2.1.2: the client accepts a stale response (any, or up to a limit).
        if requestDirectives.maxStale {
            if let limit = requestDirectives.maxStaleSeconds {
                if staleness <= Double(limit) { return .staleAcceptable(age: age, ttl: ttl) }
            } else {
                return .staleAcceptable(age: age, ttl: ttl)
            }
        }
        return .mustRevalidate(age: age, ttl: ttl)
    }

    /// RFC 5861 §4 and the route's `stale_if_upstream_down`.
    ///
    /// - A fresh response may be served (unless `no-cache`, which needs a successful
    ///   validation every time).
    /// - The origin's own `stale-if-error=N` allows up to N seconds of staleness
    ///   "regardless of other freshness information" (RFC 5861 §4), so it wins even
    ///   over `must-revalidate`/`s-maxage`: the origin said both, and the later, more
    ///   specific extension is its intent for errors.
    /// - The client's `stale-if-error=N` and the operator's `stale_if_upstream_down`
    ///   do not override the origin's prohibitions (§4.2.4).
    public static func mayServeStaleOnError(
        request: HeaderList,
        response: StoredResponse,
        now: Double,
        options: RouteCacheConfig
    ) -> Bool {
        let responseDirectives = CacheControlDirectives(response.headers)
        let age = ResponseAge(response, now: now).currentAge
        let lifetime = Freshness.lifetime(response, directives: responseDirectives, options: options).seconds
        let staleness = age - lifetime
        // §5.2.2.4: a `no-cache` response is never used without a successful validation.
        if staleness < 0, !responseDirectives.noCache { return true }
        if let window = responseDirectives.staleIfError, staleness <= Double(window) { return true }
        if Self.staleServingForbidden(responseDirectives) { return false }
        var allowed = Double(max(0, options.staleIfUpstreamDownSeconds))
        if let window = CacheControlDirectives(request).staleIfError { allowed = max(allowed, Double(window)) }
        return allowed > 0 && staleness <= allowed
    }
}
