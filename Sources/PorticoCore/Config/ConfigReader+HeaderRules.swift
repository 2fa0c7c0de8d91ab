import Yams

/// Decoder for `request_headers:` / `response_headers:` (`set`, `add`, `remove`).
extension ConfigReader {
    /// Headers that describe the connection or the message framing. The proxy owns
    /// them: letting configuration set `Content-Length` or `Transfer-Encoding` would
    /// make the proxy and the next hop disagree about where a message ends (request
    /// smuggling), and hop-by-hop headers are removed before forwarding anyway.
    static let managedHeaders: Set<String> = [
        "connection", "content-length", "keep-alive", "proxy-connection",
        "te", "trailer", "transfer-encoding", "upgrade",
    ]

    mutating func headerRules(_ value: ConfigNode, isRequest: Bool) -> HeaderRules {
        var rules = HeaderRules()
        guard let fields = fields(value, known: ["set", "add", "remove"]) else { return rules }
        if let child = fields["set"] { rules.set = headerFields(child, rejectDuplicates: true) }
        if let child = fields["add"] { rules.add = headerFields(child, rejectDuplicates: false) }
        if let child = fields["remove"], let list = oneOrMany(child) {
            rules.remove = list.compactMap { item in
                guard let name = string(item), let valid = headerName(name, at: item.site),
                      changeable(valid, at: item.site)
                else { return nil }
                if isRequest, valid.lowercased() == "host" {
                    report("the Host header cannot be removed (use preserve_host: false to send the upstream's address)", at: item.site)
                    return nil
                }
                return valid
            }
        }
        return rules
    }

    /// A mapping of header name to value, in document order. `set` rejects the same
    /// name twice in different case, since the second would silently replace the first.
    private mutating func headerFields(_ value: ConfigNode, rejectDuplicates: Bool) -> [HeaderRules.Field] {
        guard let pairs = pairs(value) else { return [] }
        var result: [HeaderRules.Field] = []
        var seen: Set<String> = []
        for (name, key, child) in pairs {
            let entry = ConfigNode(node: child, path: ConfigSite.join(value.path, name))
            let keySite = ConfigSite(key, entry.path)
            guard let name = headerName(name, at: keySite), changeable(name, at: keySite) else { continue }
            if rejectDuplicates, !seen.insert(name.lowercased()).inserted {
                report("header \(configQuoted(name)) is set twice (header names are case-insensitive)", at: keySite)
                continue
            }
            if let text = headerValue(entry) {
                result.append(HeaderRules.Field(name: name, value: text))
            }
        }
        return result
    }

    /// Reports and returns false for a header the proxy manages itself.
    private mutating func changeable(_ name: String, at site: ConfigSite) -> Bool {
        guard !Self.managedHeaders.contains(name.lowercased()) else {
            report("header \(configQuoted(name)) is managed by the proxy and cannot be changed by header rules", at: site)
            return false
        }
        return true
    }
}
