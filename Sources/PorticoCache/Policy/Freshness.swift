import PorticoCore

/// RFC 9111 §4.2.1 and §4.2.2: how long a response stays fresh, as a shared cache.
public enum Freshness {
    /// Statuses heuristically cacheable by default (RFC 9110 §15.1), which may get a
    /// heuristic lifetime (RFC 9111 §4.2.2).
    public static let heuristicallyCacheableStatuses: Set<Int> = [
        200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501,
    ]

    /// Where a freshness lifetime came from (for logs and tests).
    public enum Source: Sendable, Equatable {
        /// `s-maxage` (§5.2.2.10): wins over everything else for a shared cache.
        case sMaxAge
        /// `max-age` (§5.2.2.1).
        case maxAge
        /// `Expires` − `Date` (§5.3; an invalid `Expires` such as "0" is in the past).
        case expires
        /// `heuristic_fraction` × (`Date` − `Last-Modified`), capped (§4.2.2).
        case heuristic
        /// The route's `default_ttl` for heuristically cacheable responses without
        /// `Last-Modified` (§4.2.2 lets a cache pick any reasonable heuristic).
        case defaultTTL
        /// No explicit freshness and not heuristically cacheable: stale at once.
        case none
    }

    /// The freshness lifetime in seconds (never negative) and where it came from.
    /// `Date` absent or invalid stands for `response_time` (RFC 9110 §6.6.1).
    public static func lifetime(
        _ response: StoredResponse,
        directives: CacheControlDirectives,
        options: RouteCacheConfig
    ) -> (seconds: Double, source: Source) {
        if let sMaxAge = directives.sMaxAge { return (Double(sMaxAge), .sMaxAge) }
        if let maxAge = directives.maxAge { return (Double(maxAge), .maxAge) }
        let headers = response.headers
        let date = headers.first("date").flatMap { HTTPDate.parse($0) } ?? response.responseTime
        if let expiresValue = headers.first("expires") {
            // §5.3: invalid dates, especially "0", mean "already expired".
            guard let expires = HTTPDate.parse(expiresValue) else { return (0, .expires) }
            return (max(0, expires - date), .expires)
        }
        guard Self.heuristicallyCacheableStatuses.contains(response.status) || directives.isPublic else {
            return (0, .none)
        }
        if let lastModified = headers.first("last-modified").flatMap({ HTTPDate.parse($0) }) {
            let heuristic = options.heuristicFraction * max(0, date - lastModified)
            return (min(max(0, heuristic), Double(max(0, options.heuristicMaxSeconds))), .heuristic)
        }
        return (Double(max(0, options.defaultTTLSeconds)), .defaultTTL)
    }
}
