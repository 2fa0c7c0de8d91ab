/// A request-target split into its parts without allocating (RFC 9112 §3.2).
///
/// Every `Substring` is a slice of the string passed to `parse`, except the `"/"` that
/// stands in for an empty absolute-form path (RFC 9112 §3.2.2 / RFC 9110 §4.2.3), which is
/// a small-string literal and needs no heap storage either.
public struct RequestTarget: Sendable, Equatable {
    /// The four request-target forms of RFC 9112 §3.2.
    public enum Form: Sendable, Equatable {
        /// `/path?query` (§3.2.1): the usual form.
        case origin
        /// `http://authority/path?query` (§3.2.2). A server MUST accept it; the authority
        /// replaces Host for routing (the Host field is still required and validated).
        case absolute
        /// `host:port` (§3.2.3), only used with CONNECT.
        case authority
        /// `*` (§3.2.4), only used with OPTIONS.
        case asterisk
    }

    public var form: Form
    /// `http` or `https` (as received, any case) for absolute-form; `nil` otherwise.
    public var scheme: Substring?
    /// The authority for absolute- and authority-form; `nil` otherwise.
    public var authority: Substring?
    /// The path to route on, never empty: `"/"` for an absolute-form target without a path
    /// and for authority-form, `"*"` for asterisk-form.
    public var path: Substring
    /// The query without its leading `?`, or `nil` when there is no `?`.
    public var query: Substring?

    public init(form: Form, scheme: Substring? = nil, authority: Substring? = nil, path: Substring, query: Substring? = nil) {
        self.form = form
        self.scheme = scheme
        self.authority = authority
        self.path = path
        self.query = query
        self.pathAndQuery = nil
    }

    init(form: Form, scheme: Substring?, authority: Substring?, path: Substring, query: Substring?, pathAndQuery: Substring?) {
        self.init(form: form, scheme: scheme, authority: authority, path: path, query: query)
        self.pathAndQuery = pathAndQuery
    }

    /// The origin-form text to send upstream: the path plus `?query` when present,
    /// without any fragment. A slice of the received target, except for an absolute-form
    /// target with an empty path and a query (`http://h?q`), which costs one allocation.
    public var originForm: Substring {
        if let pathAndQuery { return pathAndQuery }
        guard let query else { return path }
        return Substring(String(path) + "?" + String(query))
    }

    /// `path` through the end of `query` in the received text; `nil` when `path` is synthesised.
    private var pathAndQuery: Substring?

    /// Splits `target`. Returns `nil` when it fits none of the four forms: empty, a
    /// scheme other than http/https, userinfo (RFC 9110 §4.2.4), an empty or invalid
    /// authority, or a relative path. Which method may use which form is checked by
    /// `RequestValidator`, not here. A fragment (`#…`, never valid in a request-target,
    /// RFC 9112 §3.2) is cut from the path or query it trails.
    public static func parse(_ target: Substring) -> RequestTarget? {
        let u = target.utf8
        guard let first = u.first else { return nil }
        if first == ASCII.slash {
            let (path, query) = splitPathQuery(target)
            return RequestTarget(
                form: .origin, scheme: nil, authority: nil, path: path, query: query,
                pathAndQuery: target[path.startIndex..<(query?.endIndex ?? path.endIndex)]
            )
        }
        if first == ASCII.asterisk {
            guard u.count == 1 else { return nil }
            return RequestTarget(form: .asterisk, path: target)
        }
        // absolute-form: scheme "://" authority path-abempty [ "?" query ]
        var i = u.startIndex
        while i < u.endIndex, ASCII.isAlpha(u[i]) || ASCII.isDigit(u[i]) || u[i] == 0x2B || u[i] == 0x2D || u[i] == ASCII.dot {
            u.formIndex(after: &i)
        }
        if i < u.endIndex, u[i] == ASCII.colon, ASCII.isAlpha(first), hasDoubleSlash(u, after: i) {
            let scheme = Substring(u[u.startIndex..<i])
            guard isHTTPScheme(scheme) else { return nil }
            let authorityStart = u.index(i, offsetBy: 3)
            var end = authorityStart
            while end < u.endIndex, u[end] != ASCII.slash, u[end] != ASCII.question, u[end] != ASCII.hash {
                if u[end] == ASCII.at { return nil }  // userinfo
                u.formIndex(after: &end)
            }
            let authority = Substring(u[authorityStart..<end])
            guard HostHeader.isValid(authority) else { return nil }
            let (path, query) = splitPathQuery(Substring(u[end...]))
            if path.isEmpty {
                return RequestTarget(form: .absolute, scheme: scheme, authority: authority, path: "/", query: query)
            }
            return RequestTarget(
                form: .absolute, scheme: scheme, authority: authority, path: path, query: query,
                pathAndQuery: target[path.startIndex..<(query?.endIndex ?? path.endIndex)]
            )
        }
        // authority-form: uri-host ":" port (port required, RFC 9112 §3.2.3).
        guard HostHeader.isValid(target), let host = HostHeader.normalizedHost(target),
              host.endIndex < target.endIndex
        else { return nil }
        return RequestTarget(form: .authority, authority: target, path: "/")
    }

    /// Convenience for `HTTPRequestHead.uri`.
    @inlinable
    public static func parse(_ target: String) -> RequestTarget? {
        parse(target[...])
    }

    /// Splits `path?query#fragment` at the first `?`, dropping any fragment.
    static func splitPathQuery(_ s: Substring) -> (Substring, Substring?) {
        let u = s.utf8
        var i = u.startIndex
        while i < u.endIndex {
            let b = u[i]
            if b == ASCII.question {
                let path = Substring(u[u.startIndex..<i])
                let qStart = u.index(after: i)
                var qEnd = qStart
                while qEnd < u.endIndex, u[qEnd] != ASCII.hash { u.formIndex(after: &qEnd) }
                return (path, Substring(u[qStart..<qEnd]))
            }
            if b == ASCII.hash { return (Substring(u[u.startIndex..<i]), nil) }
            u.formIndex(after: &i)
        }
        return (s, nil)
    }

    private static func hasDoubleSlash(_ u: Substring.UTF8View, after colon: Substring.UTF8View.Index) -> Bool {
        guard let s1 = u.index(colon, offsetBy: 1, limitedBy: u.endIndex), s1 < u.endIndex, u[s1] == ASCII.slash,
              let s2 = u.index(colon, offsetBy: 2, limitedBy: u.endIndex), s2 < u.endIndex, u[s2] == ASCII.slash
        else { return false }
        return true
    }

    private static func isHTTPScheme(_ scheme: Substring) -> Bool {
        ASCII.equalsIgnoringCase(scheme.utf8, "http".utf8) || ASCII.equalsIgnoringCase(scheme.utf8, "https".utf8)
    }
}
