/// Where a stored response is filed (RFC 9111 §2: the primary cache key is the
/// request method and target URI).
///
/// Only GET responses are stored (a HEAD is answered from the GET's entry, §4), so
/// the method is fixed in `primary`. `url` is the absolute target URI as the client
/// addressed it (`scheme://host[:port]/path?query`, host lower-cased); purges match
/// on it. `additions` holds the route's `cache.key` extras (already formatted), so
/// that the same URL under two tenants is two entries.
public struct CacheKey: Sendable, Hashable, CustomStringConvertible {
    public var url: String
    public var additions: String

    public init(url: String, additions: String = "") {
        self.url = url
        self.additions = additions
    }

    /// The store's key string: `GET <url>` plus, if any, a U+0001 and the additions.
    public var primary: String {
        self.additions.isEmpty ? "GET " + self.url : "GET " + self.url + "\u{1}" + self.additions
    }

    /// The URL part of a `primary` string (for purges by URL or prefix).
    public static func url(ofPrimary primary: String) -> Substring {
        let rest = primary.dropFirst(4)
        if let separator = rest.firstIndex(of: "\u{1}") { return rest[..<separator] }
        return rest
    }

    public var description: String { self.primary }
}
