import Yams

/// Decoders for how an upstream group spreads requests: its `servers:` (with weights,
/// connection limits, backups and slow start), `balance:`, `hash_key:`, `sticky:` and
/// the `queue:` used when every server is at `max_connections`.
extension ConfigReader {
    static let serverKeys = ["address", "weight", "max_connections", "backup", "slow_start"]
    static let stickyKeys = ["cookie", "fallback", "max_age", "path", "secure", "http_only", "same_site"]
    static let sameSiteValues = ["Lax", "Strict", "None", "off"]
    static let hashKeyForms = "client_ip, path, \"header:NAME\" or \"cookie:NAME\""

    /// The group's servers. Besides each entry's own checks: the same address may not
    /// appear twice (it would silently double that server's share), and at least one
    /// server must be a primary (backups only take traffic when no primary can).
    /// - Parameter groupHasTLS: the group has a `tls:` section, so an explicit `http://`
    ///   server is a contradiction (reported; see `docs/upstream-tls-and-h2.md`).
    mutating func upstreamServers(_ value: ConfigNode, groupHasTLS: Bool = false) -> [UpstreamServerConfig] {
        guard let list = items(value) else { return [] }
        requireNonEmpty(list, value, "server")
        var servers: [UpstreamServerConfig] = []
        var addresses: [(key: String, site: ConfigSite)] = []
        for item in list {
            guard let (server, site) = upstreamServer(item, groupHasTLS: groupHasTLS) else { continue }
            servers.append(server)
            addresses.append((server.address.description, site))
        }
        reportDuplicates(addresses, what: "server")
        // A server whose address was invalid is missing here and might be the primary,
        // so the check only runs when every entry decoded.
        if servers.count == list.count, !servers.isEmpty, servers.allSatisfy(\.backup) {
            report("at least one server must not be a backup (backup servers only take requests when no other server is available)", at: value.site)
        }
        return servers
    }

    /// `"host:port"`, `"http://host[:port]"`, or a mapping with `address:` and the
    /// per-server settings. Returns the server and where its address was written;
    /// `nil` only when the address is missing or invalid.
    private mutating func upstreamServer(_ value: ConfigNode, groupHasTLS: Bool) -> (UpstreamServerConfig, ConfigSite)? {
        guard case .mapping = value.node else {
            guard let (address, tls) = serverAddress(value, groupHasTLS: groupHasTLS) else { return nil }
            return (UpstreamServerConfig(address: address, tls: tls), value.site)
        }
        guard let fields = fields(value, known: Self.serverKeys) else { return nil }
        requireKey("address", in: fields, context: "server")
        var server = UpstreamServerConfig(address: HostPort(host: "", port: 0))
        if let child = fields["weight"], let weight = int(child, in: 1...1000, "weight") {
            server.weight = weight
        }
        if let child = fields["max_connections"], let limit = int(child, in: 1...Int.max, "max_connections") {
            server.maxConnections = limit
        }
        if let child = fields["backup"], let flag = bool(child) { server.backup = flag }
        if let child = fields["slow_start"], let duration = duration(child) { server.slowStart = duration }
        guard let child = fields["address"], let (address, tls) = serverAddress(child, groupHasTLS: groupHasTLS) else {
            return nil
        }
        server.address = address
        server.tls = tls
        return (server, child.site)
    }

    /// The address and whether it was written `https://`.
    private mutating func serverAddress(_ value: ConfigNode, groupHasTLS: Bool) -> (HostPort, Bool)? {
        guard let text = string(value), let parsed = check(HostPort.checkUpstreamServerURL(text), at: value.site) else {
            return nil
        }
        if groupHasTLS, parsed.scheme == "http" {
            report("server \(configQuoted(text)) is written http:// but the group has tls: (write https:// or host:port, or remove tls:)", at: value.site)
            return nil
        }
        return (parsed.address, parsed.scheme == "https")
    }

    mutating func balancePolicy(_ value: ConfigNode) -> BalancePolicy? {
        choice(value, from: BalancePolicy.allCases.map(\.rawValue), "balance policy").flatMap(BalancePolicy.init(rawValue:))
    }

    /// `client_ip`, `path`, `header:NAME` or `cookie:NAME` (the name is case-sensitive
    /// for cookies and, as always for headers, compared case-insensitively at run time).
    mutating func hashKey(_ value: ConfigNode) -> HashKeySource? {
        guard let text = string(value) else { return nil }
        switch text {
        case "client_ip": return .clientIP
        case "path": return .path
        default: break
        }
        for kind in ["header", "cookie"] where text.hasPrefix(kind + ":") {
            let name = String(text.dropFirst(kind.count + 1))
            guard !name.isEmpty else {
                report("hash_key \(configQuoted(text)) needs a \(kind) name after \"\(kind):\", as in \"\(kind):\(kind == "header" ? "X-User-Id" : "session")\"", at: value.site)
                return nil
            }
            if kind == "header" {
                return headerName(name, at: value.site).map(HashKeySource.header)
            }
            return cookieName(name, at: value.site).map(HashKeySource.cookie)
        }
        var hint = ConfigSuggestions.closest(to: text, in: ["client_ip", "path"])
        if hint == nil, let colon = text.firstIndex(of: ":") {
            hint = ConfigSuggestions.closest(to: String(text[..<colon]), in: ["header", "cookie"])
                .map { $0 + text[colon...] }
        }
        let hintText = hint.map { " (did you mean \(configQuoted($0))?)" } ?? " (expected \(Self.hashKeyForms))"
        report("unknown hash_key \(configQuoted(text))\(hintText)", at: value.site)
        return nil
    }

    /// A cookie name is an RFC 6265 `cookie-name`, which is an HTTP token.
    mutating func cookieName(_ name: String, at site: ConfigSite) -> String? {
        guard ConfigScalar.isToken(name) else {
            report("invalid cookie name \(configQuoted(name)) (must be a token: letters, digits and !#$%&'*+-.^_`|~)", at: site)
            return nil
        }
        return name
    }

    mutating func sticky(_ value: ConfigNode) -> StickyConfig {
        var config = StickyConfig()
        guard let fields = fields(value, known: Self.stickyKeys) else { return config }
        if let child = fields["cookie"], let text = string(child), let name = cookieName(text, at: child.site) {
            config.cookieName = name
        }
        if let child = fields["fallback"], let policy = stickyFallback(child) { config.fallback = policy }
        if let child = fields["max_age"], let duration = duration(child) {
            if duration.components.attoseconds == 0 {
                config.maxAge = duration
            } else {
                report("max_age must be a whole number of seconds (the cookie's Max-Age is sent in seconds)", at: child.site)
            }
        }
        if let child = fields["path"], let path = path(child, "cookie path") {
            if path.contains(";") {
                report("cookie path must not contain \";\"", at: child.site)
            } else {
                config.path = path
            }
        }
        var secureDecoded = !fields.has("secure")
        if let child = fields["secure"], let flag = bool(child) {
            config.secure = flag
            secureDecoded = true
        }
        if let child = fields["http_only"], let flag = bool(child) { config.httpOnly = flag }
        if let child = fields["same_site"], let setting = sameSite(child) { config.sameSite = setting }

        // Browsers drop cookies that break these rules, which would silently turn
        // stickiness off, so they are errors here rather than surprises in production.
        guard secureDecoded else { return config }
        if let child = fields["same_site"], config.sameSite == "None", !config.secure {
            report("same_site None requires secure: true (browsers reject SameSite=None cookies without Secure)", at: child.site)
        }
        if let child = fields["cookie"] {
            if config.cookieName.hasPrefix("__Secure-") || config.cookieName.hasPrefix("__Host-"), !config.secure {
                report("a cookie named \(configQuoted(config.cookieName)) requires secure: true (browsers reject it otherwise)", at: child.site)
            }
            if config.cookieName.hasPrefix("__Host-"), config.path != "/" {
                report("a cookie named \(configQuoted(config.cookieName)) requires path: / (browsers reject it otherwise)", at: child.site)
            }
        }
        return config
    }

    /// A policy that needs no per-request key (`BalancePolicy.stickyFallbacks`).
    private mutating func stickyFallback(_ value: ConfigNode) -> BalancePolicy? {
        guard let text = string(value) else { return nil }
        let allowed = BalancePolicy.stickyFallbacks.map(\.rawValue)
        if allowed.contains(text) { return BalancePolicy(rawValue: text) }
        if BalancePolicy(rawValue: text) != nil {
            report("\(text) cannot be a sticky fallback (expected one of: \(allowed.joined(separator: ", ")))", at: value.site)
        } else {
            report("unknown balance policy \(configQuoted(text))\(ConfigSuggestions.hintOrList(for: text, in: allowed))", at: value.site)
        }
        return nil
    }

    /// `Lax`, `Strict`, `None`, or `off` (no SameSite attribute). Unquoted `off` is a
    /// YAML boolean, so `false` is accepted as `off` too. Returns `.some(nil)` for off.
    private mutating func sameSite(_ value: ConfigNode) -> String?? {
        if value.node.tag.rawValue == Tag.Name.bool.rawValue, value.node.bool == false { return .some(nil) }
        guard let text = choice(value, from: Self.sameSiteValues, "same_site value") else { return nil }
        return .some(text == "off" ? nil : text)
    }

    mutating func queue(_ value: ConfigNode) -> QueueConfig {
        var config = QueueConfig()
        guard let fields = fields(value, known: ["size", "timeout"]) else { return config }
        if let child = fields["size"], let size = int(child, in: 0...Int.max, "queue size") { config.size = size }
        if let child = fields["timeout"], let duration = duration(child) { config.timeout = duration }
        return config
    }
}
