import PorticoCore

/// A route's edge-security settings, compiled once per configuration generation:
/// parsed CIDR lists, compiled regular expressions, shared rate-limit and concurrency
/// state. `nil` parts cost nothing per request.
///
/// Checks run in nginx's phase order: request filtering and access lists, then rate
/// and concurrency limits (before authentication, so floods never reach bcrypt or an
/// auth service), then body size, then authentication.
final class RouteGuard: Sendable {
    let access: AccessList?
    let denyRules: [CompiledDenyRule]
    let maxBodySize: Int?
    let rateLimit: RateLimitGuard?
    let concurrency: CountingLimiter?
    let authenticator: RouteAuthenticator?
    /// Upstream statuses replaced by Portico's own error page.
    let errorPageStatuses: Set<Int>
    let routeName: String

    /// Whether anything here needs to run per request.
    let isActive: Bool

    init(route: RouteConfig, limits: LimitsConfig, authenticator: RouteAuthenticator?) {
        self.routeName = route.name
        if route.access.isEmpty {
            self.access = nil
        } else {
            self.access = AccessList(
                allow: route.access.allow.compactMap { CIDR($0.text) },
                deny: route.access.deny.compactMap { CIDR($0.text) }
            )
        }
        self.denyRules = route.denyRules.compactMap(CompiledDenyRule.init)
        self.maxBodySize = route.effectiveMaxBodySize(limits)
        self.rateLimit = route.rateLimit.map { RateLimitGuard(config: $0, routeName: route.name) }
        self.concurrency = route.maxConcurrentRequests.map { CountingLimiter(limit: $0) }
        self.authenticator = authenticator
        self.errorPageStatuses = Set(route.errorPages?.statuses ?? [])
        self.isActive =
            self.access != nil || !self.denyRules.isEmpty || self.maxBodySize != nil || self.rateLimit != nil
            || self.concurrency != nil || authenticator != nil
    }
}

/// One `deny_rules:` entry with its regular expressions compiled.
struct CompiledDenyRule: @unchecked Sendable {
    // `Regex` is immutable once built; it is only read (matched) after init.
    let methods: [String]
    let pathPrefix: String?
    let pathRegex: Regex<AnyRegexOutput>?
    let header: HeaderMatch?
    let userAgentRegex: Regex<AnyRegexOutput>?

    init?(_ rule: DenyRule) {
        self.methods = rule.methods
        self.pathPrefix = rule.pathPrefix
        self.header = rule.header
        do {
            self.pathRegex = try rule.pathRegex.map { try Regex($0) }
            self.userAgentRegex = try rule.userAgentRegex.map { try Regex($0) }
        } catch {
            return nil  // validated by the config loader; unreachable in practice
        }
    }

    /// Every condition given holds.
    func matches(method: String, path: Substring, head: ParsedRequestHead) -> Bool {
        if !self.methods.isEmpty && !self.methods.contains(method) { return false }
        // The same segment-boundary rule as `match.path_prefix`.
        if let prefix = self.pathPrefix, !PathMatch.matchesPrefix(path, prefix: prefix) { return false }
        if let regex = self.pathRegex, (try? regex.firstMatch(in: path)) == nil { return false }
        if let header = self.header, !head.hasField(named: header.name, value: header.value) { return false }
        if let regex = self.userAgentRegex {
            guard let agent = head.firstValue(ofField: "user-agent") else { return false }
            let text = String(decoding: agent, as: UTF8.self)
            if (try? regex.firstMatch(in: text)) == nil { return false }
        }
        return true
    }
}

/// A route's `rate_limit:`: one GCRA bucket per key, shared by every worker thread.
final class RateLimitGuard: Sendable {
    let config: RateLimitConfig
    let limiter: KeyedRateLimiter
    let routeName: String
    /// `RateLimit-Policy` quota and window: the burst capacity over the time it takes to refill.
    let policyLimit: Int
    let policyWindowSeconds: Int

    init(config: RateLimitConfig, routeName: String) {
        self.config = config
        // `burst + 1` requests pass at once, then up to `delay` more wait for their turn
        // (docs/configuration.md): the bucket holds both, and `checkWithDelay` is given
        // `burst` as its threshold, so exactly the `delay` requests after the burst wait.
        let gcra = GCRA(ratePerSecond: config.requestsPerSecond, burst: config.burst + config.delay)
        self.limiter = KeyedRateLimiter(gcra: gcra, maxKeys: config.maxKeys)
        self.routeName = routeName
        self.policyLimit = config.burst + 1
        self.policyWindowSeconds = max(1, Int((Double(self.policyLimit) / config.requestsPerSecond).rounded(.up)))
    }

    /// The bucket key: the configured parts, hashed together (no string is kept).
    func key(clientIP: String, head: ParsedRequestHead) -> UInt64 {
        var hasher = StableHasher()
        for part in self.config.keys {
            switch part {
            case .clientIP: hasher.combine(clientIP)
            case .route: hasher.combine(self.routeName)
            case .header(let name):
                if let value = head.firstValue(ofField: name) {
                    hasher.combine(bytes: value)
                }
            }
            hasher.combine(byte: 0)
        }
        return hasher.finalize()
    }

    /// Response header fields describing the decision, when `headers: true`.
    func headerFields(_ decision: GCRADecision) -> [(String, String)] {
        RateLimitHeaders.fields(
            policyName: self.routeName,
            limit: self.policyLimit,
            windowSeconds: self.policyWindowSeconds,
            decision: decision
        )
    }
}
