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

    /// Response fields `hide_backend_headers` removes: they name the origin's software
    /// and version, which helps an attacker pick an exploit.
    static let backendHeaders = ["Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Runtime"]

    /// A route's response rules with the security settings folded in: security headers
    /// first (the route's own `set` wins on the same name), backend headers removed.
    static func responseRules(route: RouteConfig, security: SecurityConfig) -> HeaderRules {
        var rules = route.responseHeaders
        if let headers = route.securityHeaders {
            let own = Set(rules.set.map { $0.name.lowercased() })
            rules.set = headers.fields.filter { !own.contains($0.name.lowercased()) } + rules.set
        }
        if security.hideBackendHeaders {
            let own = Set(rules.remove.map { $0.lowercased() })
            rules.remove += Self.backendHeaders.filter { !own.contains($0.lowercased()) }
        }
        return rules
    }
}
