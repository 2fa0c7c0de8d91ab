import Yams

/// Decoders for edge security outside routes: the top-level `security:` section, the
/// protection keys of a listener (`proxy_protocol`, `allow`, `deny`, connection
/// limits), and the value forms they share with routes (network lists, body sizes,
/// byte rates). Route keys are in `ConfigReader+RouteSecurity.swift`.
extension ConfigReader {
    static let securityKeys = [
        "trusted_proxies", "client_ip_header", "max_connections",
        "normalize_path", "reject_encoded_slash", "merge_slashes", "hide_backend_headers",
    ]
    /// Keys a listener takes besides `address` and `name`.
    static let listenerSecurityKeys = ["proxy_protocol", "allow", "deny", "max_connections", "max_connections_per_ip"]

    mutating func security(_ value: ConfigNode) -> SecurityConfig {
        var config = SecurityConfig()
        guard let fields = fields(value, known: Self.securityKeys) else { return config }
        if let child = fields["trusted_proxies"], let list = cidrList(child) { config.trustedProxies = list }
        if let child = fields["client_ip_header"], let text = string(child) {
            // Header names are case-insensitive, so `X-Forwarded-For` is accepted as written.
            let allowed = ClientIPHeader.allCases.map(\.rawValue)
            if let header = ClientIPHeader(rawValue: text.lowercased()) {
                config.clientIPHeader = header
            } else {
                report("unknown client_ip_header \(configQuoted(text))\(ConfigSuggestions.hintOrList(for: text, in: allowed))", at: child.site)
            }
        }
        if let child = fields["max_connections"], let limit = connectionLimit(child, "max_connections") {
            config.maxConnections = limit
        }
        if let child = fields["normalize_path"], let flag = bool(child) { config.normalizePath = flag }
        if let child = fields["reject_encoded_slash"], let flag = bool(child) { config.rejectEncodedSlash = flag }
        if let child = fields["merge_slashes"], let flag = bool(child) { config.mergeSlashes = flag }
        if let child = fields["hide_backend_headers"], let flag = bool(child) { config.hideBackendHeaders = flag }
        return config
    }

    /// The security keys of one listener, read from the listener's own fields.
    mutating func listenerSecurity(_ fields: ConfigFields, into listener: inout ListenerConfig) {
        if let child = fields["proxy_protocol"], let flag = bool(child) { listener.proxyProtocol = flag }
        listener.access = ipAccess(fields)
        if let child = fields["max_connections"], let limit = connectionLimit(child, "max_connections") {
            listener.maxConnections = limit
        }
        if let child = fields["max_connections_per_ip"], let limit = connectionLimit(child, "max_connections_per_ip") {
            listener.maxConnectionsPerIP = limit
        }
    }

    /// `allow:` and `deny:` of a listener or route. An empty `allow` list would read
    /// either as "admit nobody" or "no restriction", so it is rejected.
    mutating func ipAccess(_ fields: ConfigFields) -> IPAccessConfig {
        var access = IPAccessConfig()
        if let child = fields["allow"], let list = cidrList(child) {
            if child.node.isNull || child.node.sequence?.isEmpty == true {
                report("allow list must not be empty (leave out allow to admit every client)", at: child.site)
            }
            access.allow = list
        }
        if let child = fields["deny"], let list = cidrList(child) { access.deny = list }
        return access
    }

    /// A network (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`) or a list of them. An
    /// empty value is the empty list.
    mutating func cidrList(_ value: ConfigNode) -> [ConfigCIDR]? {
        if value.node.isNull { return [] }
        guard let list = oneOrMany(value) else { return nil }
        return list.compactMap { item in
            guard let text = nonEmptyString(item, "network") else { return nil }
            return check(ConfigCIDRSyntax.check(text), at: item.site)
        }
    }

    /// An integer ≥ 1, or an empty value for no limit (`.some(nil)`). `0` is rejected
    /// with a hint, because elsewhere it often means "unlimited".
    mutating func connectionLimit(_ value: ConfigNode, _ what: String) -> Int?? {
        if value.node.isNull { return .some(nil) }
        guard let number = int(value, in: 0...Int.max, what) else { return nil }
        guard number > 0 else {
            report("\(what) must be at least 1, found 0 (leave it out for no limit)", at: value.site)
            return nil
        }
        return .some(number)
    }

    /// A body size limit: a size greater than zero, or `off`/`false` for no limit.
    /// `nullIsUnlimited` also takes an empty value as no limit (where that is the default).
    mutating func bodySizeLimit(_ value: ConfigNode, nullIsUnlimited: Bool) -> BodySizeLimit? {
        if value.node.isNull, nullIsUnlimited { return .unlimited }
        if value.node.tag.rawValue == Tag.Name.bool.rawValue, value.node.bool == false { return .unlimited }
        guard case .scalar(let scalar) = value.node, !value.node.isNull,
              value.node.tag.rawValue != Tag.Name.bool.rawValue
        else {
            typeMismatch(expected: "a size or off", value)
            return nil
        }
        if scalar.string == "off" { return .unlimited }
        guard let size = check(ConfigScalar.checkSize(scalar.string), at: value.site) else { return nil }
        guard size > 0 else {
            report("size must be greater than 0 (use off for no limit)", at: value.site)
            return nil
        }
        return .bytes(size)
    }

    /// Bytes per second: a size (`512`, `1KiB`), optionally written with `/s`
    /// (`1KiB/s`); `0`, `off` or `false` turn the check off.
    mutating func byteRate(_ value: ConfigNode) -> Int? {
        if value.node.tag.rawValue == Tag.Name.bool.rawValue, value.node.bool == false { return 0 }
        guard let text = string(value) else { return nil }
        if text == "off" { return 0 }
        let size = text.hasSuffix("/s") ? String(text.dropLast(2)) : text
        guard case .success(let bytes) = ConfigScalar.checkSize(size) else {
            report("invalid byte rate \(configQuoted(text)) (use bytes per second such as 512, \"1KiB\" or \"1KiB/s\"; 0 or off turns the check off)", at: value.site)
            return nil
        }
        return bytes
    }
}
