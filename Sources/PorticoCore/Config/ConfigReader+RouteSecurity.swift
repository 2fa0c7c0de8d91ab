import Yams

/// Decoders for the security keys of a route: `allow`/`deny`, `max_body_size`,
/// `max_concurrent_requests`, `rate_limit`, `auth`, `deny_rules`, `security_headers`
/// and `error_pages`.
extension ConfigReader {
    static let routeSecurityKeys = [
        "allow", "deny", "max_body_size", "max_concurrent_requests", "rate_limit",
        "auth", "deny_rules", "security_headers", "error_pages",
    ]

    /// Reads the security keys from a route's fields. `error_pages` replaces upstream
    /// responses, so it is only read on routes that forward (`ConfigReader.forwardingKeys`
    /// reports it elsewhere).
    mutating func routeSecurity(_ fields: ConfigFields, into route: inout RouteConfig, forwards: Bool) {
        route.access = ipAccess(fields)
        if let child = fields["max_body_size"], let limit = bodySizeLimit(child, nullIsUnlimited: false) {
            route.maxBodySize = limit
        }
        if let child = fields["max_concurrent_requests"],
           let limit = int(child, in: 1...Int.max, "max_concurrent_requests") {
            route.maxConcurrentRequests = limit
        }
        if let child = fields["rate_limit"] { route.rateLimit = rateLimit(child) }
        if let child = fields["auth"] { route.auth = routeAuth(child) }
        if let child = fields["deny_rules"] { route.denyRules = denyRules(child) }
        if let child = fields["security_headers"] { route.securityHeaders = securityHeaders(child) }
        if forwards, let child = fields["error_pages"] { route.errorPages = errorPages(child) }
    }

    // MARK: - Rate limits

    static let rateLimitKeys = ["rate", "burst", "key", "delay", "max_keys", "status", "headers"]
    static let rateForms = "use e.g. \"10/s\", \"100/m\" or \"1000/h\"; decimals such as \"0.5/s\" are allowed"

    mutating func rateLimit(_ value: ConfigNode) -> RateLimitConfig? {
        guard let fields = fields(value, known: Self.rateLimitKeys) else { return nil }
        requireKey("rate", in: fields, context: "rate_limit")
        var config = RateLimitConfig(requestsPerSecond: 1, rateText: "1/s")
        if let child = fields["burst"], let count = int(child, in: 0...Int.max, "burst") { config.burst = count }
        if let child = fields["key"], let keys = rateLimitKeyList(child) { config.keys = keys }
        if let child = fields["delay"] {
            if case .scalar(let scalar) = child.node, scalar.string == "nodelay" {
                config.delay = 0
            } else if case .scalar(let scalar) = child.node, !child.node.isNull,
                      !scalar.string.allSatisfy({ ("0"..."9").contains($0) || $0 == "-" }) {
                report("expected an integer >= 0 or \"nodelay\", found \(configQuoted(scalar.string))", at: child.site)
            } else if let count = int(child, in: 0...Int.max, "delay") {
                config.delay = count
            }
        }
        if let child = fields["max_keys"], let count = int(child, in: 1...Int.max, "max_keys") { config.maxKeys = count }
        if let child = fields["status"], let status = int(child, in: 400...599, "rate_limit status") { config.status = status }
        if let child = fields["headers"], let flag = bool(child) { config.headers = flag }
        guard let child = fields["rate"], let text = string(child),
              let perSecond = check(Self.checkRate(text), at: child.site)
        else { return nil }
        config.requestsPerSecond = perSecond
        config.rateText = text
        return config
    }

    /// `N/s`, `N/m` or `N/h` with `N` a decimal number greater than zero, as requests
    /// per second.
    static func checkRate(_ text: String) -> Result<Double, ConfigScalar.Problem> {
        let invalid = ConfigScalar.Problem(message: "invalid rate \(configQuoted(text)) (\(rateForms))")
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .failure(invalid) }
        let (number, unit) = (parts[0], parts[1])
        let seconds: Double
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3600
        default:
            return .failure(ConfigScalar.Problem(message: "unknown rate unit \(configQuoted(String(unit))) in \(configQuoted(text)) (use /s, /m or /h)"))
        }
        if number.hasSuffix("r"), isDecimal(number.dropLast()) {
            return .failure(ConfigScalar.Problem(message: "invalid rate \(configQuoted(text)) (write \(configQuoted(number.dropLast() + "/" + unit)), without nginx's \"r\")"))
        }
        guard isDecimal(number), let count = Double(number), count.isFinite else { return .failure(invalid) }
        guard count > 0 else {
            return .failure(ConfigScalar.Problem(message: "rate must be greater than 0, found \(configQuoted(text))"))
        }
        return .success(count / seconds)
    }

    /// Digits with at most one `.` between digits (`10`, `0.5`), at most 15 digits.
    private static func isDecimal(_ text: Substring) -> Bool {
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        return pieces.count <= 2 && text.count <= 16
            && pieces.allSatisfy { !$0.isEmpty && $0.allSatisfy { ("0"..."9").contains($0) } }
    }

    static let rateLimitKeyForms = "client_ip, route or \"header:NAME\""

    /// One key or a list of them, each once. `route` (one bucket for the whole route)
    /// cannot be combined with others: every route has its own buckets anyway.
    private mutating func rateLimitKeyList(_ value: ConfigNode) -> [RateLimitKey]? {
        guard let list = oneOrMany(value) else { return nil }
        if list.isEmpty {
            report("key list must not be empty (leave out key to limit per client_ip)", at: value.site)
            return nil
        }
        var keys: [RateLimitKey] = []
        var seen: [(key: String, site: ConfigSite)] = []
        for item in list {
            guard let key = rateLimitKey(item) else { continue }
            keys.append(key)
            if case .header(let name) = key { seen.append(("header:" + name.lowercased(), item.site)) } else { seen.append((Self.keyText(key), item.site)) }
        }
        reportDuplicates(seen, what: "rate_limit key")
        if keys.contains(.route), list.count > 1 {
            report("key route cannot be combined with other keys (route alone means one bucket shared by all clients)", at: value.site)
        }
        return keys
    }

    private static func keyText(_ key: RateLimitKey) -> String {
        switch key {
        case .clientIP: "client_ip"
        case .route: "route"
        case .header(let name): "header:\(name)"
        }
    }

    private mutating func rateLimitKey(_ value: ConfigNode) -> RateLimitKey? {
        guard let text = string(value) else { return nil }
        switch text {
        case "client_ip": return .clientIP
        case "route": return .route
        default: break
        }
        if text.hasPrefix("header:") {
            let name = String(text.dropFirst("header:".count))
            guard !name.isEmpty else {
                report("key \"header:\" needs a header name after \"header:\", as in \"header:X-Api-Key\"", at: value.site)
                return nil
            }
            return headerName(name, at: value.site).map(RateLimitKey.header)
        }
        var hint = ConfigSuggestions.closest(to: text, in: ["client_ip", "route"])
        if hint == nil, let colon = text.firstIndex(of: ":") {
            hint = ConfigSuggestions.closest(to: String(text[..<colon]), in: ["header"]).map { $0 + text[colon...] }
        }
        let hintText = hint.map { " (did you mean \(configQuoted($0))?)" } ?? " (expected \(Self.rateLimitKeyForms))"
        report("unknown rate_limit key \(configQuoted(text))\(hintText)", at: value.site)
        return nil
    }

    // MARK: - Authentication

    static let authKinds = ["basic", "jwt", "forward"]
    static let authKeys = authKinds + ["strip_authorization"]

    /// Exactly one of `basic`, `jwt`, `forward`. Every kind given is decoded, so errors
    /// inside each are reported too; the first in document order is used.
    mutating func routeAuth(_ value: ConfigNode) -> RouteAuth? {
        guard let fields = fields(value, known: Self.authKeys) else { return nil }
        let kinds = fields.order.filter { Self.authKinds.contains($0) }
        if kinds.isEmpty, fields.suggested.isDisjoint(with: Self.authKinds) {
            report("auth needs one of basic, jwt or forward", at: fields.site)
        } else if kinds.count > 1 {
            let list = kinds.map { configQuoted($0) }.joined(separator: ", ")
            report("auth takes exactly one of basic, jwt or forward, found \(list)", at: fields.keySite(kinds[1]))
        }
        var strip: Bool?
        if let child = fields["strip_authorization"], let flag = bool(child) { strip = flag }

        var auth: RouteAuth?
        for kind in kinds {
            guard let child = fields[kind] else { continue }
            var decoded: RouteAuth?
            switch kind {
            case "basic": decoded = basicAuth(child, strip: strip).map(RouteAuth.basic)
            case "jwt": decoded = jwtAuth(child, strip: strip).map(RouteAuth.jwt)
            default: decoded = forwardAuth(child, strip: strip).map(RouteAuth.forward)
            }
            if auth == nil { auth = decoded }
        }
        return auth
    }

    private mutating func basicAuth(_ value: ConfigNode, strip: Bool?) -> BasicAuthConfig? {
        guard let fields = fields(value, known: ["realm", "htpasswd"]) else { return nil }
        requireKey("htpasswd", in: fields, context: "basic auth")
        var config = BasicAuthConfig(htpasswdPath: "", stripAuthorization: strip ?? true)
        if let child = fields["realm"], let text = nonEmptyString(child, "realm"),
           let realm = check(ConfigScalar.checkHeaderValue(text), at: child.site) {
            if realm.contains("\"") || realm.contains("\\") {
                report("realm must not contain \" or \\ (it is sent as a quoted string in WWW-Authenticate)", at: child.site)
            } else {
                config.realm = realm
            }
        }
        guard let child = fields["htpasswd"], let path = nonEmptyString(child, "htpasswd") else { return nil }
        config.htpasswdPath = path
        return config
    }

    static let jwtKeys = ["keys", "audience", "issuer", "leeway", "forward_claims"]

    private mutating func jwtAuth(_ value: ConfigNode, strip: Bool?) -> JWTAuthConfig? {
        guard let fields = fields(value, known: Self.jwtKeys) else { return nil }
        requireKey("keys", in: fields, context: "jwt auth")
        var config = JWTAuthConfig(keys: [], stripAuthorization: strip ?? true)
        if let child = fields["audience"], let list = oneOrMany(child) {
            if list.isEmpty { report("audience list must not be empty (leave out audience to accept any)", at: child.site) }
            config.audiences = list.compactMap { nonEmptyString($0, "audience") }
        }
        if let child = fields["issuer"], let issuer = nonEmptyString(child, "issuer") { config.issuer = issuer }
        if let child = fields["leeway"], let text = string(child),
           let leeway = check(ConfigScalar.checkDuration(text), at: child.site) {
            config.leeway = leeway
        }
        if let child = fields["forward_claims"] { config.forwardClaims = claimHeaders(child) }
        guard let child = fields["keys"], let list = items(child) else { return nil }
        guard requireNonEmpty(list, child, "key") else { return nil }
        var kids: [(key: String, site: ConfigSite)] = []
        var keys: [JWTKeyConfig] = []
        for item in list {
            guard let (key, kidSite) = jwtKey(item) else { continue }
            keys.append(key)
            if let kid = key.kid { kids.append((kid, kidSite)) }
        }
        reportDuplicates(kids, what: "kid")
        guard keys.count == list.count else { return nil }
        config.keys = keys
        return config
    }

    static let jwtKeyKeys = ["algorithm", "secret", "secret_file", "public_key_file", "kid"]

    /// One entry of `keys:`: the algorithm decides which key material is required.
    /// Returns the key and where its `kid` was written.
    private mutating func jwtKey(_ value: ConfigNode) -> (JWTKeyConfig, ConfigSite)? {
        guard let fields = fields(value, known: Self.jwtKeyKeys) else { return nil }
        requireKey("algorithm", in: fields, context: "jwt key")
        var algorithm: JWTAlgorithm?
        if let child = fields["algorithm"], let text = string(child) {
            if text.lowercased() == "none" {
                report("algorithm none is not allowed (it would accept unsigned tokens)", at: child.site)
            } else {
                algorithm = choice(child, from: JWTAlgorithm.allCases.map(\.rawValue), "jwt algorithm").flatMap(JWTAlgorithm.init(rawValue:))
            }
        }
        var kid: String?
        if let child = fields["kid"] { kid = nonEmptyString(child, "kid") }
        var secret: String?
        if let child = fields["secret"] { secret = nonEmptyString(child, "secret") }
        var secretFile: String?
        if let child = fields["secret_file"] { secretFile = nonEmptyString(child, "secret_file") }
        var publicKeyFile: String?
        if let child = fields["public_key_file"] { publicKeyFile = nonEmptyString(child, "public_key_file") }
        guard let algorithm else { return nil }

        let name = algorithm.rawValue
        let material: JWTKeyMaterial?
        if algorithm.isHMAC {
            if fields.has("public_key_file") {
                report("public_key_file is only for RS* and ES* keys; \(name) needs secret or secret_file", at: fields.keySite("public_key_file"))
            }
            if fields.has("secret"), fields.has("secret_file") {
                let second = fields.order.first { $0 == "secret" || $0 == "secret_file" } == "secret" ? "secret_file" : "secret"
                report("give either secret or secret_file, not both", at: fields.keySite(second))
            } else if !fields.has("secret"), !fields.has("secret_file"),
                      fields.suggested.isDisjoint(with: ["secret", "secret_file"]) {
                report("\(name) needs secret or secret_file", at: fields.site)
            }
            if let secret, let child = fields["secret"], secret.utf8.count < algorithm.minimumSecretBytes {
                report("a \(name) secret must be at least \(algorithm.minimumSecretBytes) bytes (RFC 7518 §3.2), found \(secret.utf8.count)", at: child.site)
                return nil
            }
            material = secret.map(JWTKeyMaterial.secret) ?? secretFile.map(JWTKeyMaterial.secretFile)
        } else {
            for key in ["secret", "secret_file"] where fields.has(key) {
                report("\(key) is only for HS256, HS384 and HS512 keys; \(name) needs public_key_file", at: fields.keySite(key))
            }
            if !fields.has("public_key_file"), !fields.suggested.contains("public_key_file") {
                report("\(name) needs public_key_file", at: fields.site)
            }
            material = publicKeyFile.map(JWTKeyMaterial.publicKeyFile)
        }
        guard let material else { return nil }
        return (JWTKeyConfig(algorithm: algorithm, material: material, kid: kid), fields["kid"]?.site ?? fields.site)
    }

    /// `claim: Header-Name` pairs. The header names must be valid, not managed by the
    /// proxy, and distinct (case-insensitively).
    private mutating func claimHeaders(_ value: ConfigNode) -> [JWTClaimHeader] {
        guard let pairs = pairs(value) else { return [] }
        var result: [JWTClaimHeader] = []
        var seen: [(key: String, site: ConfigSite)] = []
        for (claim, key, child) in pairs {
            let entry = ConfigNode(node: child, path: ConfigSite.join(value.path, claim))
            if claim.isEmpty {
                report("claim name must not be empty", at: ConfigSite(key, entry.path))
                continue
            }
            guard let text = string(entry), let header = injectableHeader(text, at: entry.site) else { continue }
            seen.append((header.lowercased(), entry.site))
            result.append(JWTClaimHeader(claim: claim, header: header))
        }
        reportDuplicates(seen, what: "header")
        return result
    }

    /// A header name Portico may set on the upstream request from an auth result: a
    /// valid name that is neither managed by the proxy nor `Host`.
    private mutating func injectableHeader(_ name: String, at site: ConfigSite) -> String? {
        guard let name = headerName(name, at: site) else { return nil }
        let lowered = name.lowercased()
        if Self.managedHeaders.contains(lowered) || lowered == "host" {
            report("header \(configQuoted(name)) cannot be set from an auth result (it is managed by the proxy)", at: site)
            return nil
        }
        return name
    }

    private mutating func forwardAuth(_ value: ConfigNode, strip: Bool?) -> ForwardAuthConfig? {
        guard let fields = fields(value, known: ["url", "copy_headers", "timeout"]) else { return nil }
        requireKey("url", in: fields, context: "forward auth")
        var config = ForwardAuthConfig(url: ForwardAuthURL(address: HostPort(host: "", port: 0)), stripAuthorization: strip ?? false)
        if let child = fields["copy_headers"], let list = oneOrMany(child) {
            var seen: [(key: String, site: ConfigSite)] = []
            config.copyHeaders = list.compactMap { item in
                guard let text = string(item), let header = injectableHeader(text, at: item.site) else { return nil }
                seen.append((header.lowercased(), item.site))
                return header
            }
            reportDuplicates(seen, what: "header")
        }
        if let child = fields["timeout"], let timeout = duration(child) { config.timeout = timeout }
        guard let child = fields["url"], let text = nonEmptyString(child, "url"),
              let url = check(ForwardAuthURL.check(text), at: child.site)
        else { return nil }
        config.url = url
        return config
    }

    // MARK: - Deny rules

    static let denyRuleKeys = ["methods", "path_prefix", "path_regex", "header", "user_agent"]

    private mutating func denyRules(_ value: ConfigNode) -> [DenyRule] {
        guard let list = items(value) else { return [] }
        return list.compactMap { denyRule($0) }
    }

    private mutating func denyRule(_ value: ConfigNode) -> DenyRule? {
        guard let fields = fields(value, known: Self.denyRuleKeys) else { return nil }
        if fields.order.isEmpty, fields.suggested.isEmpty {
            report("a deny rule needs at least one condition (methods, path_prefix, path_regex, header or user_agent)", at: fields.site)
            return nil
        }
        var rule = DenyRule()
        if let child = fields["methods"], let list = oneOrMany(child) {
            if list.isEmpty { report("methods list must not be empty (leave out methods to match any method)", at: child.site) }
            rule.methods = list.compactMap { item in string(item).flatMap { check(ConfigScalar.checkMethod($0), at: item.site) } }
        }
        if let child = fields["path_prefix"] { rule.pathPrefix = path(child, "path_prefix") }
        if let child = fields["path_regex"] { rule.pathRegex = regex(child, "path_regex") }
        if let child = fields["header"] { rule.header = denyHeader(child) }
        if let child = fields["user_agent"] { rule.userAgentRegex = regex(child, "user_agent") }
        return rule
    }

    /// `{ name: X-Debug }` (present) or `{ name: X-Env, value: prod }` (exact value).
    private mutating func denyHeader(_ value: ConfigNode) -> HeaderMatch? {
        guard case .mapping = value.node else {
            typeMismatch(expected: "a mapping with name (and optionally value)", value)
            return nil
        }
        guard let fields = fields(value, known: ["name", "value"]) else { return nil }
        requireKey("name", in: fields, context: "header condition")
        var headerValue: String?
        if let child = fields["value"] { headerValue = self.headerValue(child) }
        guard let child = fields["name"], let text = string(child), let name = headerName(text, at: child.site) else { return nil }
        return HeaderMatch(name: name, value: headerValue)
    }

    /// A regular expression in Swift `Regex` syntax, compiled once here so that a
    /// mistake is reported with its position in the file rather than at run time.
    mutating func regex(_ value: ConfigNode, _ what: String) -> String? {
        guard let text = nonEmptyString(value, what) else { return nil }
        do {
            _ = try Regex(text)
        } catch {
            report("invalid regular expression \(configQuoted(text)): \(error)", at: value.site)
            return nil
        }
        return text
    }

    // MARK: - Response hardening

    static let securityHeaderKeys = ["hsts", "content_type_options", "frame_options", "referrer_policy", "content_security_policy"]
    static let frameOptions = ["DENY", "SAMEORIGIN"]
    static let referrerPolicies = [
        "no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin",
        "same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url",
    ]

    /// `true` (the defaults), `false` (none), or a mapping in which each header takes a
    /// value, `true` (its default) or `false` (left out). Omitted headers keep their
    /// default; `content_security_policy` has none and is only sent when given.
    private mutating func securityHeaders(_ value: ConfigNode) -> SecurityHeadersConfig? {
        if value.node.tag.rawValue == Tag.Name.bool.rawValue, let flag = value.node.bool {
            return flag ? .defaults : nil
        }
        if !value.node.isNull, value.node.mapping == nil {
            typeMismatch(expected: "true, false or a mapping", value)
            return nil
        }
        guard let fields = fields(value, known: Self.securityHeaderKeys) else { return nil }
        var result: [HeaderRules.Field] = []
        func add(_ name: String, _ value: String?) {
            if let value { result.append(HeaderRules.Field(name: name, value: value)) }
        }
        add("Strict-Transport-Security", securityHeader(fields["hsts"], default: SecurityHeadersConfig.defaultHSTS) { reader, child, text in
            guard text.lowercased().contains("max-age=") else {
                reader.report("hsts must include max-age, as in \"max-age=31536000; includeSubDomains\" (RFC 6797 §6.1)", at: child.site)
                return nil
            }
            return text
        })
        add("X-Content-Type-Options", securityHeader(fields["content_type_options"], default: SecurityHeadersConfig.defaultContentTypeOptions) { reader, child, text in
            guard text.lowercased() == "nosniff" else {
                reader.report("content_type_options must be nosniff (its only value) or false, found \(configQuoted(text))", at: child.site)
                return nil
            }
            return "nosniff"
        })
        add("X-Frame-Options", securityHeader(fields["frame_options"], default: SecurityHeadersConfig.defaultFrameOptions) { reader, child, text in
            let upper = text.uppercased()
            guard Self.frameOptions.contains(upper) else {
                let hint = upper.hasPrefix("ALLOW-FROM")
                    ? " (ALLOW-FROM is obsolete; use content_security_policy with frame-ancestors)"
                    : ConfigSuggestions.hintOrList(for: text, in: Self.frameOptions)
                reader.report("unknown frame_options \(configQuoted(text))\(hint)", at: child.site)
                return nil
            }
            return upper
        })
        add("Referrer-Policy", securityHeader(fields["referrer_policy"], default: SecurityHeadersConfig.defaultReferrerPolicy) { reader, child, text in
            // A comma-separated list is allowed: browsers use the last policy they know.
            for token in text.split(separator: ",", omittingEmptySubsequences: false) {
                var trimmed = token.drop { $0 == " " }
                while trimmed.last == " " { trimmed = trimmed.dropLast() }
                let policy = trimmed.lowercased()
                guard Self.referrerPolicies.contains(policy) else {
                    reader.report("unknown referrer_policy \(configQuoted(policy))\(ConfigSuggestions.hintOrList(for: policy, in: Self.referrerPolicies))", at: child.site)
                    return nil
                }
            }
            return text
        })
        if let child = fields["content_security_policy"] {
            if child.node.tag.rawValue == Tag.Name.bool.rawValue, child.node.bool == true {
                report("content_security_policy has no default; give a policy such as \"default-src 'self'\"", at: child.site)
            } else {
                add("Content-Security-Policy", securityHeader(child, default: nil) { _, _, text in text })
            }
        }
        return SecurityHeadersConfig(fields: result)
    }

    /// One header of `security_headers`: absent → `defaultValue`, `false` → none,
    /// `true` → `defaultValue`, otherwise a non-empty header value checked by `validate`.
    private mutating func securityHeader(
        _ value: ConfigNode?,
        default defaultValue: String?,
        validate: (inout ConfigReader, ConfigNode, String) -> String?
    ) -> String? {
        guard let value else { return defaultValue }
        if value.node.tag.rawValue == Tag.Name.bool.rawValue, let flag = value.node.bool {
            return flag ? defaultValue : nil
        }
        let what = value.path.split(separator: ".").last.map(String.init) ?? "value"
        guard let text = nonEmptyString(value, what), let valid = check(ConfigScalar.checkHeaderValue(text), at: value.site) else {
            return nil
        }
        return validate(&self, value, valid)
    }

    /// `true` (500, 502, 503, 504), `false` (off), or `{ statuses: [...] }` with statuses
    /// in 400…599.
    private mutating func errorPages(_ value: ConfigNode) -> ErrorPagesConfig? {
        if value.node.tag.rawValue == Tag.Name.bool.rawValue, let flag = value.node.bool {
            return flag ? ErrorPagesConfig() : nil
        }
        if !value.node.isNull, value.node.mapping == nil {
            typeMismatch(expected: "true, false or a mapping", value)
            return nil
        }
        guard let fields = fields(value, known: ["statuses"]) else { return nil }
        var config = ErrorPagesConfig()
        guard let child = fields["statuses"] else { return config }
        let list: [ConfigNode]
        if case .scalar = child.node, !child.node.isNull {
            list = [child]
        } else {
            guard let items = items(child) else { return nil }
            list = items
        }
        guard requireNonEmpty(list, child, "status") else { return nil }
        var statuses: [Int] = []
        for item in list {
            guard let status = int(item, in: 400...599, "error page status") else { continue }
            if statuses.contains(status) {
                report("duplicate status \(status)", at: item.site)
            } else {
                statuses.append(status)
            }
        }
        config.statuses = statuses
        return config
    }
}

extension ForwardAuthURL {
    /// `http://host[:port][/path][?query]`; the port defaults to 80 and the path to `/`.
    static func check(_ text: String) -> Result<ForwardAuthURL, ConfigScalar.Problem> {
        func fail(_ reason: String) -> Result<ForwardAuthURL, ConfigScalar.Problem> {
            .failure(ConfigScalar.Problem(message: "invalid forward auth url \(configQuoted(text)): \(reason)"))
        }
        guard let schemeEnd = text.firstRange(of: "://") else {
            return fail("expected http://host[:port][/path]")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" else {
            return fail(scheme == "https" ? "https is not supported yet (use http://)" : "unsupported scheme \(configQuoted(scheme)) (use http://)")
        }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.contains("#") { return fail("a fragment is not allowed") }
        if authority.contains("@") { return fail("user information is not allowed") }
        if authority.isEmpty || authority.hasPrefix(":") { return fail("missing host") }
        if target.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            return fail("the path must not contain spaces or control characters (percent-encode them)")
        }
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }

        let hasPort = authority.hasPrefix("[") ? authority.contains("]:") : authority.contains(":")
        let hostPort = hasPort ? String(authority) : authority + ":80"
        switch HostPort.check(hostPort) {
        case .failure(let problem):
            // `HostPort.check` names the value itself; keep only the reason.
            let prefix = "invalid address \(configQuoted(hostPort)): "
            return fail(problem.message.hasPrefix(prefix) ? String(problem.message.dropFirst(prefix.count)) : problem.message)
        case .success(let address):
            if address.port == 0 { return fail("port 0 cannot be connected to") }
            return .success(ForwardAuthURL(address: address, target: target))
        }
    }
}
