/// RFC 9111 §4.4: which stored responses an unsafe request invalidates.
public enum Invalidation {
    /// Safe methods (RFC 9110 §9.2.1) never invalidate.
    public static let safeMethods: Set<String> = ["GET", "HEAD", "OPTIONS", "TRACE"]

    /// The target URI, then `Location` and `Content-Location` when on the same origin
    /// (scheme, host and port, RFC 6454) as the target — §4.4 forbids invalidating
    /// another origin's entries, which would let one origin purge another's. Only
    /// after a non-error (2xx or 3xx) response. URIs are absolute, without fragment,
    /// and keep the request URL's spelling of scheme and authority so they compare
    /// equal to the cache keys made from it.
    public static func targets(method: String, status: Int, requestURL: String, responseHeaders: HeaderList) -> [String] {
        guard !Self.safeMethods.contains(method), (200..<400).contains(status) else { return [] }
        var targets = [Self.withoutFragment(requestURL)]
        guard let base = AbsoluteURL(requestURL) else { return targets }
        for name in ["location", "content-location"] {
            guard let value = responseHeaders.first(name).map({ String($0.trimmingSpaces()) }), !value.isEmpty,
                let resolved = base.resolve(value), resolved.sameOrigin(as: base)
            else { continue }
            let uri = base.schemeAndAuthority + resolved.pathAndQuery
            if !targets.contains(uri) { targets.append(uri) }
        }
        return targets
    }

    private static func withoutFragment(_ url: String) -> String {
        url.firstIndex(of: "#").map { String(url[..<$0]) } ?? url
    }
}

/// Just enough of an absolute `http`/`https` URI (RFC 3986) for §4.4: its origin,
/// and reference resolution (§5.2) for `Location`/`Content-Location`.
struct AbsoluteURL: Equatable {
    var scheme: String
    /// The authority as written (for rebuilding URIs in the request's spelling).
    var authority: String
    var host: String
    var port: Int?
    /// Path (at least "/") and `?query`, no fragment.
    var pathAndQuery: String

    init?(_ text: String) {
        let url = text.firstIndex(of: "#").map { String(text[..<$0]) } ?? text
        guard let colon = url.firstIndex(of: ":") else { return nil }
        let scheme = url[..<colon].lowercased()
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else { return nil }
        let rest = url[url.index(after: colon)...]
        guard rest.hasPrefix("//") else { return nil }
        let afterSlashes = rest.dropFirst(2)
        let authorityEnd = afterSlashes.firstIndex { $0 == "/" || $0 == "?" } ?? afterSlashes.endIndex
        let authority = String(afterSlashes[..<authorityEnd])
        var hostPort = authority[...]
        if let at = hostPort.lastIndex(of: "@") { hostPort = hostPort[hostPort.index(after: at)...] }
        var host = hostPort
        var port: Int?
        if let portColon = hostPort.lastIndex(of: ":"), !hostPort[portColon...].contains("]") {
            host = hostPort[..<portColon]
            let digits = hostPort[hostPort.index(after: portColon)...]
            if !digits.isEmpty {
                guard let value = Int(digits) else { return nil }
                port = value
            }
        }
        guard !host.isEmpty else { return nil }
        var pathAndQuery = String(afterSlashes[authorityEnd...])
        if pathAndQuery.isEmpty || pathAndQuery.hasPrefix("?") { pathAndQuery = "/" + pathAndQuery }
        self.scheme = scheme
        self.authority = authority
        self.host = host.lowercased()
        self.port = port
        self.pathAndQuery = pathAndQuery
    }

    var schemeAndAuthority: String { self.scheme + "://" + self.authority }

    /// The port, defaulted by scheme (RFC 9110 §4.2.1, §4.2.2).
    var effectivePort: Int? {
        if let port { return port }
        switch self.scheme {
        case "http": return 80
        case "https": return 443
        default: return nil
        }
    }

    func sameOrigin(as other: AbsoluteURL) -> Bool {
        self.scheme == other.scheme && self.host == other.host && self.effectivePort == other.effectivePort
    }

    /// RFC 3986 §5.2.2 reference resolution against `self` (no fragment kept).
    func resolve(_ reference: String) -> AbsoluteURL? {
        let reference = reference.firstIndex(of: "#").map { String(reference[..<$0]) } ?? reference
        if let absolute = AbsoluteURL(reference) { return absolute }
        if reference.hasPrefix("//") { return AbsoluteURL(self.scheme + ":" + reference) }
        // A reference with a scheme that is not hierarchical (`mailto:`) is not ours.
        if let colon = reference.firstIndex(of: ":"), !reference[..<colon].contains("/"),
            !reference[..<colon].contains("?")
        {
            return nil
        }
        var resolved = self
        let (basePath, _) = Self.split(self.pathAndQuery)
        if reference.isEmpty { return resolved }
        if reference.hasPrefix("?") {
            resolved.pathAndQuery = basePath + reference
        } else {
            let (path, query) = Self.split(reference)
            let merged: String
            if path.hasPrefix("/") {
                merged = path
            } else {
                let directory = basePath.lastIndex(of: "/").map { String(basePath[...$0]) } ?? "/"
                merged = directory + path
            }
            resolved.pathAndQuery = Self.removeDotSegments(merged) + query
        }
        return resolved
    }

    private static func split(_ pathAndQuery: String) -> (path: String, query: String) {
        guard let mark = pathAndQuery.firstIndex(of: "?") else { return (pathAndQuery, "") }
        return (String(pathAndQuery[..<mark]), String(pathAndQuery[mark...]))
    }

    /// RFC 3986 §5.2.4, on segments.
    static func removeDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (offset, segment) in segments.enumerated() {
            let isLast = offset == segments.count - 1
            switch segment {
            case ".":
                if isLast { output.append("") }
            case "..":
                if !output.isEmpty { output.removeLast() }
                if isLast { output.append("") }
            default:
                output.append(segment)
            }
        }
        return "/" + output.joined(separator: "/")
    }
}
