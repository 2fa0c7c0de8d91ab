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

    public private(set) var form: Form
    /// `http` or `https` (as received, any case) for absolute-form; `nil` otherwise.
    public private(set) var scheme: Substring?
    /// The authority for absolute- and authority-form; `nil` otherwise.
    public private(set) var authority: Substring?
    /// The path to route on, never empty: `"/"` for an absolute-form target without a path
    /// and for authority-form, `"*"` for asterisk-form.
    public private(set) var path: Substring
    /// The query without its leading `?`, or `nil` when there is no `?`.
    public private(set) var query: Substring?

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
        guard let o = ASCII.withBytes(target, { scan($0) }) else { return nil }
        switch o.form {
        case .origin, .absolute:
            let query = o.queryStart >= 0 ? ASCII.slice(target, o.queryStart, o.queryEnd) : nil
            let scheme = o.form == .absolute ? ASCII.slice(target, 0, o.schemeEnd) : nil
            let authority = o.form == .absolute ? ASCII.slice(target, o.schemeEnd + 3, o.pathStart) : nil
            if o.pathStart == o.pathEnd {  // absolute-form with an empty path means "/"
                return RequestTarget(form: o.form, scheme: scheme, authority: authority, path: "/", query: query)
            }
            return RequestTarget(
                form: o.form, scheme: scheme, authority: authority,
                path: ASCII.slice(target, o.pathStart, o.pathEnd), query: query,
                pathAndQuery: ASCII.slice(target, o.pathStart, o.queryStart >= 0 ? o.queryEnd : o.pathEnd)
            )
        case .asterisk:
            return RequestTarget(form: .asterisk, path: target)
        case .authority:
            return RequestTarget(form: .authority, authority: target, path: "/")
        }
    }

    /// Byte offsets found by `scan`; `queryStart` is -1 when there is no `?`.
    private struct Offsets {
        var form: Form
        var schemeEnd = 0
        var pathStart = 0
        var pathEnd = 0
        var queryStart = -1
        var queryEnd = -1
    }

    /// The allocation-free, pointer-based classification behind `parse`.
    private static func scan(_ b: UnsafeBufferPointer<UInt8>) -> Offsets? {
        let n = b.count
        guard n > 0 else { return nil }
        let first = b[0]
        if first == ASCII.slash {
            var o = Offsets(form: .origin)
            splitPathQuery(b, from: 0, into: &o)
            return o
        }
        if first == ASCII.asterisk {
            return n == 1 ? Offsets(form: .asterisk) : nil
        }
        // absolute-form: scheme "://" authority path-abempty [ "?" query ]
        var i = 0
        while i < n, ASCII.isAlpha(b[i]) || ASCII.isDigit(b[i]) || b[i] == 0x2B || b[i] == 0x2D || b[i] == ASCII.dot {
            i += 1
        }
        if ASCII.isAlpha(first), i + 2 < n, b[i] == ASCII.colon, b[i + 1] == ASCII.slash, b[i + 2] == ASCII.slash {
            let scheme = UnsafeBufferPointer(rebasing: b[0..<i])
            guard isHTTPScheme(scheme) else { return nil }
            let authorityStart = i + 3
            var end = authorityStart
            while end < n, b[end] != ASCII.slash, b[end] != ASCII.question, b[end] != ASCII.hash {
                if b[end] == ASCII.at { return nil }  // userinfo
                end += 1
            }
            let authority = UnsafeBufferPointer(rebasing: b[authorityStart..<end])
            guard HostHeader.hostLength(of: authority) > 0 else { return nil }
            var o = Offsets(form: .absolute, schemeEnd: i)
            splitPathQuery(b, from: end, into: &o)
            return o
        }
        // authority-form: uri-host ":" port (port required, RFC 9112 §3.2.3).
        let hostLength = HostHeader.hostLength(of: b)
        guard hostLength > 0, hostLength < n else { return nil }
        return Offsets(form: .authority)
    }

    /// `http` or `https`, any case (RFC 9110 §4.2.3: schemes are case-insensitive).
    private static func isHTTPScheme(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let c = s.count
        guard c == 4 || c == 5 else { return false }
        guard ASCII.lower(s[0]) == 0x68, ASCII.lower(s[1]) == 0x74, ASCII.lower(s[2]) == 0x74,
              ASCII.lower(s[3]) == 0x70
        else { return false }
        return c == 4 || ASCII.lower(s[4]) == 0x73
    }

    /// Splits `path?query#fragment` starting at `start`, dropping any fragment.
    private static func splitPathQuery(_ b: UnsafeBufferPointer<UInt8>, from start: Int, into o: inout Offsets) {
        let n = b.count
        o.pathStart = start
        var i = start
        while i < n, b[i] != ASCII.question, b[i] != ASCII.hash { i += 1 }
        o.pathEnd = i
        guard i < n, b[i] == ASCII.question else { return }
        o.queryStart = i + 1
        var q = i + 1
        while q < n, b[q] != ASCII.hash { q += 1 }
        o.queryEnd = q
    }

    /// Convenience for `HTTPRequestHead.uri`.
    @inlinable
    public static func parse(_ target: String) -> RequestTarget? {
        parse(target[...])
    }

    /// The host to route on (`RouteTable.firstMatch(host:)`), port removed: the
    /// absolute-form authority when there is one, since RFC 9112 §3.2.2 says it replaces
    /// Host, else the `Host` field value (`HTTPHeaders.first(name: "host")`). `nil` when
    /// neither is present (HTTP/1.0) or the value is not a valid host. No allocation.
    public func routingHost(hostField: String?) -> Substring? {
        if form == .absolute, let authority { return HostHeader.normalizedHost(authority) }
        guard let hostField else { return nil }
        return HostHeader.normalizedHost(hostField[...])
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
}
