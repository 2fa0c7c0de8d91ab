import PorticoCore

/// RFC 9111 decisions as pure functions over heads and clock readings
/// (CONTRACT: signatures fixed). Each function delegates to the file of its concern
/// in this directory, where the rules are documented with their sections.
///
/// Times are seconds since 1970 as `Double`; callers pass `now` so tests control the clock.
public enum CachePolicy {
    /// RFC 9111 §3 (with §3.5 for `Authorization`): may this response be stored by a
    /// shared cache? Only GET requests' final responses with an understood status.
    public static func storability(
        requestMethod: String,
        requestHeaders: HeaderList,
        status: Int,
        responseHeaders: HeaderList,
        options: RouteCacheConfig
    ) -> Storability {
        StorabilityRules.evaluate(
            requestMethod: requestMethod,
            requestHeaders: requestHeaders,
            status: status,
            responseHeaders: responseHeaders
        )
    }

    /// The fields kept when a response is stored: hop-by-hop fields, those the
    /// `Connection` field names, `Transfer-Encoding`, `Keep-Alive`, `Proxy-*`, and
    /// fields named by `no-cache="…"`/`private="…"` are dropped (RFC 9111 §3.1).
    public static func fieldsToStore(_ responseHeaders: HeaderList) -> HeaderList {
        FieldsToStore.filter(responseHeaders)
    }

    /// RFC 9111 §4.2.1 (explicit: `s-maxage`, `max-age`, `Expires` − `Date`) and
    /// §4.2.2 (heuristic: `heuristic_fraction` × (Date − Last-Modified), capped by
    /// `heuristic_max`, or `default_ttl`, only for heuristically cacheable statuses
    /// and responses without explicit freshness). Seconds, never negative.
    public static func freshnessLifetime(_ response: StoredResponse, options: RouteCacheConfig) -> Double {
        Freshness.lifetime(response, directives: CacheControlDirectives(response.headers), options: options).seconds
    }

    /// RFC 9111 §4.2.3 `current_age` at `now`.
    public static func currentAge(_ response: StoredResponse, now: Double) -> Double {
        ResponseAge(response, now: now).currentAge
    }

    /// RFC 9111 §4.1: the secondary key of `request` for a response with these fields:
    /// the normalised values (whitespace collapsed, lines joined) of each field the
    /// response's `Vary` names, field names lower-cased, de-duplicated and sorted (so
    /// the order and case a response lists them in do not matter). "" without
    /// `Vary`; nil for `Vary: *` (never matches, so never served from storage).
    public static func variantKey(responseHeaders: HeaderList, request: HeaderList) -> String? {
        VaryKey.secondaryKey(responseHeaders: responseHeaders, request: request)
    }

    /// RFC 9111 §4, §4.2.4, §5.2.1, §5.2.2: what the cache may do with `response`
    /// for `request` at `now` (request directives and `ignore_client_no_cache` included).
    public static func evaluate(
        request: HeaderList,
        response: StoredResponse,
        now: Double,
        options: RouteCacheConfig
    ) -> StoredResponseUse {
        StoredResponseEvaluation.evaluate(request: request, response: response, now: now, options: options)
    }

    /// Request directives that decide whether the cache is used at all
    /// (RFC 9111 §5.2.1: `no-store`, `only-if-cached`, and `Pragma: no-cache`, §5.4).
    public static func requestDirectives(_ request: HeaderList, options: RouteCacheConfig) -> RequestCacheDirectives {
        let directives = CacheControlDirectives(request)
        return RequestCacheDirectives(noStore: directives.noStore, onlyIfCached: directives.onlyIfCached)
    }

    /// RFC 5861 §4 `stale-if-error`, or the route's `stale_if_upstream_down`: may this
    /// stale response be served now that the origin failed (5xx or unreachable)?
    public static func mayServeStaleOnError(
        request: HeaderList,
        response: StoredResponse,
        now: Double,
        options: RouteCacheConfig
    ) -> Bool {
        StoredResponseEvaluation.mayServeStaleOnError(request: request, response: response, now: now, options: options)
    }

    /// RFC 9111 §4.3.1: the validators to send when revalidating: `If-None-Match` with
    /// the stored `ETag`, and `If-Modified-Since` with the stored `Last-Modified`.
    public static func validationFields(for response: StoredResponse) -> HeaderList {
        Validation.fields(for: response)
    }

    /// RFC 9111 §4.3.4 and §3.2: the stored response freshened by a 304's fields
    /// (every field but `Content-Length` and the §3.2 exclusions replaces the stored
    /// one), with the new request/response times.
    public static func freshen(
        _ stored: StoredResponse,
        with notModifiedHeaders: HeaderList,
        requestTime: Double,
        responseTime: Double
    ) -> StoredResponse {
        Validation.freshen(stored, with: notModifiedHeaders, requestTime: requestTime, responseTime: responseTime)
    }

    /// RFC 9111 §4.3.2 with RFC 9110 §13.2.2: how a client's own conditional request
    /// (`If-None-Match`, `If-Modified-Since`, `If-Match`, `If-Unmodified-Since`) is
    /// answered from `response` (weak comparison for `If-None-Match`).
    public static func evaluateConditional(request: HeaderList, method: String, response: StoredResponse)
        -> ConditionalOutcome
    {
        ConditionalEvaluation.evaluate(request: request, method: method, response: response)
    }

    /// RFC 9111 §4.4: after an unsafe request's non-error (2xx/3xx) response, the URIs
    /// whose entries are invalidated: the target, and `Location`/`Content-Location`
    /// when they are on the same origin (resolved against `requestURL`; absolute URLs).
    public static func invalidationTargets(
        method: String,
        status: Int,
        requestURL: String,
        responseHeaders: HeaderList
    ) -> [String] {
        Invalidation.targets(method: method, status: status, requestURL: requestURL, responseHeaders: responseHeaders)
    }

    /// RFC 9110 §14.2 and §13.1.5: a `Range` (with `If-Range`) against a complete
    /// stored response of `length` bytes. Only single byte ranges are served
    /// partially; multiple ranges get the full response (allowed by §14.2).
    public static func range(
        _ rangeValue: String?,
        ifRange: String?,
        response: StoredResponse,
        length: Int
    ) -> RangeOutcome {
        RangeEvaluation.evaluate(rangeValue, ifRange: ifRange, response: response, length: length)
    }

    /// RFC 9211 `Cache-Status` member for `outcome`, e.g. `Portico; hit; ttl=12`,
    /// `Portico; fwd=uri-miss; stored`, `Portico; fwd=stale; fwd-status=304`,
    /// `Portico; fwd=bypass`, `Portico; fwd=uri-miss; detail=no-store`.
    /// `ttl` is freshness lifetime minus current age (negative when stale).
    public static func cacheStatusValue(
        outcome: CacheOutcome,
        ttl: Double?,
        forwardStatus: Int?,
        stored: Bool,
        detail: String?
    ) -> String {
        CacheStatusValue.make(outcome: outcome, ttl: ttl, forwardStatus: forwardStatus, stored: stored, detail: detail)
    }
}

/// Whether a response may be stored, and if not, why (for `Cache-Status` detail and logs).
public enum Storability: Sendable, Equatable {
    case storable
    case notStorable(reason: String)
}

/// How a stored response may be used for a request (RFC 9111 §4).
public enum StoredResponseUse: Sendable, Equatable {
    /// Fresh enough for this request: serve it.
    case fresh(age: Double, ttl: Double)
    /// Stale, but `stale-while-revalidate` (RFC 5861 §3) allows serving it now while
    /// a background request refreshes it.
    case staleWhileRevalidate(age: Double, ttl: Double)
    /// Stale, and the client accepts it (`max-stale`, §5.2.1.2), no revalidation needed.
    case staleAcceptable(age: Double, ttl: Double)
    /// Must be validated with the origin before use (stale; `no-cache`; client
    /// `no-cache`/`max-age`/`min-fresh` asks for more).
    case mustRevalidate(age: Double, ttl: Double)
}

/// What the request's own directives say about the cache.
public struct RequestCacheDirectives: Sendable, Equatable {
    /// `no-store`: do not store the response to this request (a stored one may still
    /// be served).
    public var noStore: Bool
    /// `only-if-cached`: answer 504 instead of forwarding (§5.2.1.7).
    public var onlyIfCached: Bool

    public init(noStore: Bool = false, onlyIfCached: Bool = false) {
        self.noStore = noStore
        self.onlyIfCached = onlyIfCached
    }
}

/// A client's conditional request, evaluated against a stored response.
public enum ConditionalOutcome: Sendable, Equatable {
    /// No (applicable) condition: send the full response.
    case unconditional
    /// `If-None-Match`/`If-Modified-Since` matched: 304 (RFC 9110 §15.4.5).
    case notModified
    /// `If-Match`/`If-Unmodified-Since` failed: 412.
    case preconditionFailed
}

/// How a `Range` request is answered from a complete stored response.
public enum RangeOutcome: Sendable, Equatable {
    /// No usable range (none, not bytes, multiple ranges, failed `If-Range`): 200.
    case full
    /// One satisfiable range: 206 with these inclusive byte offsets.
    case partial(first: Int, last: Int)
    /// No satisfiable range: 416 with `Content-Range: bytes */length`.
    case unsatisfiable
}
