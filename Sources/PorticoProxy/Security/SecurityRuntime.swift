import PorticoCore

/// The process-wide part of `security:`, compiled once per configuration generation.
struct SecurityRuntime: Sendable {
    /// Set when `trusted_proxies` is configured.
    let clientAddressResolver: ClientAddressResolver?
    let clientIPHeader: ClientIPHeader
    /// Path normalisation options, or nil when `normalize_path: false`.
    let pathOptions: PathNormalizer.Options?

    init(config: SecurityConfig) {
        let trusted = config.trustedProxies.compactMap { CIDR($0.text) }
        self.clientIPHeader = config.clientIPHeader
        self.clientAddressResolver =
            trusted.isEmpty
            ? nil
            : ClientAddressResolver(
                trusted: trusted,
                source: config.clientIPHeader == .forwarded ? .forwarded : .xForwardedFor
            )
        self.pathOptions =
            config.normalizePath
            ? PathNormalizer.Options(rejectEncodedSlash: config.rejectEncodedSlash, mergeSlashes: config.mergeSlashes)
            : nil
    }

    /// A route's response rules with the security settings folded in: security headers
    /// first (the route's own `set` wins on the same name), backend headers removed.
    /// For cleartext responses (`secure: false`) the security headers leave out
    /// `Strict-Transport-Security` (RFC 6797 §7.2: never sent over plain HTTP).
    static func responseRules(route: RouteConfig, security: SecurityConfig, secure: Bool = true) -> HeaderRules {
        var rules = route.responseHeaders
        if let headers = route.securityHeaders {
            let own = Set(rules.set.map { $0.name.lowercased() })
            rules.set = headers.fields.filter {
                !own.contains($0.name.lowercased()) && (secure || $0.name.lowercased() != "strict-transport-security")
            } + rules.set
        }
        if security.hideBackendHeaders {
            let own = Set(rules.remove.map { $0.lowercased() })
            rules.remove += SecurityConfig.backendHeaders.filter { !own.contains($0.lowercased()) }
        }
        return rules
    }
}
