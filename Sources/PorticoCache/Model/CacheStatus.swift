/// What the cache did with a request: the same words go to the `Cache-Status` header
/// (RFC 9211), the access log and metrics.
public enum CacheOutcome: String, Sendable, Equatable, CaseIterable {
    /// Served from storage without contacting the origin.
    case hit
    /// Not in storage: forwarded (RFC 9211 `fwd=uri-miss`).
    case miss
    /// In storage but stale: forwarded to validate (`fwd=stale`), answered with 304.
    case revalidated
    /// Stored but stale, and served stale (stale-while-revalidate, stale-if-error).
    case stale
    /// Stale, validated with the origin, which sent a new response (`fwd=stale`).
    case expired
    /// The request bypassed the cache (method, `no-store`, client `no-cache`).
    case bypass
    /// Forwarded; the response may not be stored (`fwd=miss; detail=…`).
    case uncacheable
}
