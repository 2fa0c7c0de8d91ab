import Yams

/// Decoders for a route's `match:` conditions and for header names, values and
/// paths, which the route and header-rule decoders share.
extension ConfigReader {
    static let matchKeys = ["host", "path_prefix", "path", "method", "headers"]

    mutating func routeMatch(_ value: ConfigNode) -> RouteMatch {
        var match = RouteMatch()
        guard let fields = fields(value, known: Self.matchKeys) else { return match }
        if let child = fields["host"], let list = oneOrMany(child) {
            if list.isEmpty { report("host list must not be empty (leave out host to match any host)", at: child.site) }
            match.hosts = list.compactMap { hostPattern($0) }
        }
        if let child = fields["path_prefix"] { match.pathPrefix = path(child, "path_prefix") }
        if let child = fields["path"] { match.path = path(child, "path") }
        if let child = fields["method"], let list = oneOrMany(child) {
            if list.isEmpty { report("method list must not be empty (leave out method to match any method)", at: child.site) }
            match.methods = list.compactMap { item in string(item).flatMap { check(ConfigScalar.checkMethod($0), at: item.site) } }
        }
        if let child = fields["headers"] { match.headers = headerMatches(child) }
        return match
    }

    /// `example.com` (exact, case-insensitive) or `*.example.com` (any subdomain).
    /// A port is rejected rather than silently ignored: matching ignores the request's
    /// port, so `example.com:8080` in the file would suggest a distinction that is not made.
    private mutating func hostPattern(_ value: ConfigNode) -> HostPattern? {
        guard let text = nonEmptyString(value, "host") else { return nil }
        let lowered = text.lowercased()
        if lowered == "*" {
            report("\"*\" is not a host pattern (leave out host to match any host)", at: value.site)
            return nil
        }
        if lowered.hasPrefix("*.") {
            let suffix = lowered.dropFirst(2)
            guard isValidHostName(suffix) else {
                report("invalid host pattern \(configQuoted(text)) (expected \"*.\" followed by a domain name)", at: value.site)
                return nil
            }
            return .wildcard(suffix: "." + suffix)
        }
        if lowered.hasPrefix("["), lowered.hasSuffix("]"),
           HostPort.isIPv6Literal(lowered.dropFirst().dropLast()) {
            return .exact(lowered)
        }
        if lowered.contains(":") {
            report("host \(configQuoted(text)) must not include a port (the port of the Host header is ignored when matching)", at: value.site)
            return nil
        }
        guard isValidHostName(lowered[...]) else {
            let hint = lowered.contains("*") ? " (a wildcard must be the whole first label, as in \"*.example.com\")" : ""
            report("invalid host \(configQuoted(text))\(hint)", at: value.site)
            return nil
        }
        return .exact(lowered)
    }

    private func isValidHostName(_ host: Substring) -> Bool {
        !host.isEmpty && !host.hasPrefix(".") && !host.contains("..")
            && host.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "." || $0 == "_"
            }
    }

    /// `name: value` (value must match exactly) or `name: true` (header present).
    private mutating func headerMatches(_ value: ConfigNode) -> [HeaderMatch] {
        guard let pairs = pairs(value) else { return [] }
        var result: [HeaderMatch] = []
        var seen: Set<String> = []
        for (name, key, child) in pairs {
            let entry = ConfigNode(node: child, path: ConfigSite.join(value.path, name))
            guard let name = headerName(name, at: ConfigSite(key, entry.path)) else { continue }
            if !seen.insert(name.lowercased()).inserted {
                report("duplicate header condition \(configQuoted(name)) (header names are case-insensitive)", at: ConfigSite(key, entry.path))
                continue
            }
            if child.tag.rawValue == Tag.Name.bool.rawValue, child.string?.lowercased() == "true" {
                result.append(HeaderMatch(name: name, value: nil))
            } else if child.tag.rawValue == Tag.Name.bool.rawValue, child.string?.lowercased() == "false" {
                report("header condition must be a string value or true (to match any value); leave the header out instead of false", at: entry.site)
            } else if case .scalar = child, !child.isNull {
                if let text = string(entry), let text = check(ConfigScalar.checkHeaderValue(text), at: entry.site) {
                    result.append(HeaderMatch(name: name, value: text))
                }
            } else {
                typeMismatch(expected: "a string or true", entry)
            }
        }
        return result
    }

    // MARK: - Shared value checks

    mutating func headerName(_ name: String, at site: ConfigSite) -> String? {
        check(ConfigScalar.checkHeaderName(name), at: site)
    }

    /// A header value given as a YAML scalar (numbers are taken as their text).
    mutating func headerValue(_ value: ConfigNode) -> String? {
        guard let text = string(value) else { return nil }
        return check(ConfigScalar.checkHeaderValue(text), at: value.site)
    }

    /// An absolute path (`/api`): it must start with `/`, and cannot contain `?` or `#`
    /// because routing compares the path without query or fragment, so such a route
    /// could never match. Whitespace and control characters cannot occur in a request
    /// target either.
    mutating func path(_ value: ConfigNode, _ what: String) -> String? {
        guard let text = string(value) else { return nil }
        guard text.hasPrefix("/") else {
            report("\(what) must start with \"/\", found \(configQuoted(text))", at: value.site)
            return nil
        }
        if text.contains("?") || text.contains("#") {
            report("\(what) must not contain \"?\" or \"#\" (the query is not part of the path)", at: value.site)
            return nil
        }
        if text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            report("\(what) must not contain spaces or control characters (percent-encode them)", at: value.site)
            return nil
        }
        return text
    }
}
