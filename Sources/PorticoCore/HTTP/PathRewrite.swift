/// Rewrites of the request path before forwarding.
public enum PathRewrite {
    /// Removes `prefix` from the start of `target`'s path when it matches at a segment
    /// boundary, with the same rule as route matching (`/api` strips from `/api`, `/api/`,
    /// `/api/x`, not from `/apix`), keeping the query string untouched.
    ///
    /// `target` is origin-form (`path?query`, e.g. `RequestTarget.originForm`). The result
    /// always starts with `/` (RFC 9112 §3.2.1: origin-form is an absolute-path):
    /// `/api` → `/`, `/api?q` → `/?q`, `/api/x` → `/x`, and with prefix `/api/`,
    /// `/api/x` → `/x`. A target the prefix does not match is returned unchanged.
    public static func stripPrefix(_ prefix: String, from target: Substring) -> String {
        let (path, _) = RequestTarget.splitPathQuery(target)
        guard !prefix.isEmpty, PathMatch.matchesPrefix(path, prefix: prefix) else {
            return String(target)
        }
        let pu = path.utf8
        let restStart = pu.index(pu.startIndex, offsetBy: prefix.utf8.count)
        let rest = target[restStart...]  // remainder of path, then "?query" if any
        if rest.utf8.first == ASCII.slash { return String(rest) }
        // Prefix consumed the whole path ("/api" of "/api") or ended with "/" ("/api/" of
        // "/api/x"): put the leading slash back.
        var result = "/"
        result.reserveCapacity(rest.utf8.count + 1)
        result += rest
        return result
    }
}

/// Path comparisons shared by routing and rewriting. Paths compare byte for byte: RFC 3986
/// §6.2.2.1 makes only scheme and host case-insensitive.
public enum PathMatch {
    /// `prefix` matches `path` at a segment boundary: equal, or followed by `/` in `path`,
    /// or `prefix` itself ends with `/` (then any continuation is inside the segment tree).
    @inline(__always)
    public static func matchesPrefix(_ path: Substring, prefix: String) -> Bool {
        let p = prefix.utf8
        let s = path.utf8
        guard ASCII.hasPrefix(s, p) else { return false }
        let pCount = p.count
        if s.count == pCount || p.last == ASCII.slash { return true }
        return s[s.index(s.startIndex, offsetBy: pCount)] == ASCII.slash
    }
}
