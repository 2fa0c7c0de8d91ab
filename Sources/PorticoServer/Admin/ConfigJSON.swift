import PorticoCore

/// `GET /api/config`: the configuration in force as JSON, with every secret replaced
/// by `"<redacted>"`.
///
/// Written field by field on purpose: a new configuration field appears here only when
/// someone decides how to show it, so a secret added later cannot leak by default.
/// Keys follow `portico.yaml` where the model keeps them (durations as `10s`/`250ms`).
/// Routes show the *kind* of authentication only (no htpasswd path or contents, no JWT
/// key material, no forward-auth query); header values whose name looks secret
/// (`Authorization`, `Cookie`, `*token*`, `*key*`, …) are redacted, and so is the admin
/// token.
public enum ConfigJSON {
    public static let redacted = "<redacted>"

    public static func encode(_ config: PorticoConfig) -> AdminJSON {
        .object([
            ("workers", config.workers.map(AdminJSON.int) ?? .string("auto")),
            ("server_header", .optional(config.serverHeader)),
            ("listeners", .array(config.listeners.map(listener))),
            ("upstreams", .array(config.upstreams.map(upstream))),
            ("routes", .array(config.routes.map(route))),
            ("timeouts", timeouts(config.timeouts)),
            ("limits", limits(config.limits)),
            ("security", security(config.security)),
            ("access_log", accessLog(config.accessLog)),
            ("request_id", .object([
                ("accept_incoming", .bool(config.requestID.acceptIncoming)),
                ("response_header", .string(config.requestID.responseHeader.rawValue)),
            ])),
            ("trace_context", .object([
                ("enabled", .bool(config.traceContext.enabled)),
                ("sample_new_traces", .bool(config.traceContext.sampleNewTraces)),
            ])),
            ("admin", config.admin.map(admin) ?? .null),
            ("cache", cacheStorage(config.cache)),
            ("compression", config.compression.map(compression) ?? .null),
        ])
    }

    // MARK: Sections

    static func listener(_ listener: ListenerConfig) -> AdminJSON {
        .object([
            ("name", .string(listener.name)),
            ("address", .string(listener.address.description)),
            ("proxy_protocol", .bool(listener.proxyProtocol)),
            ("allow", cidrs(listener.access.allow)),
            ("deny", cidrs(listener.access.deny)),
            ("max_connections", .optional(listener.maxConnections)),
            ("max_connections_per_ip", .optional(listener.maxConnectionsPerIP)),
            ("http2", .object([
                ("cleartext", .bool(listener.http2.cleartext)),
                ("max_concurrent_streams", .int(listener.http2.maxConcurrentStreams)),
                ("max_header_list_size", .int(listener.http2.maxHeaderListSize)),
                ("initial_window_size", .int(listener.http2.initialWindowSize)),
                ("max_frame_size", .int(listener.http2.maxFrameSize)),
            ])),
            ("access_log", listener.accessLog.map { log in
                .object([
                    ("format", log.format.map { .string($0.rawValue) } ?? .null),
                    ("fields", log.fields.map(fieldNames) ?? .null),
                ])
            } ?? .null),
            ("tls", listener.tls.map(listenerTLS) ?? .null),
            ("redirect_https", listener.redirectHTTPS.map(httpsRedirect) ?? .null),
        ])
    }

    static func fieldNames(_ fields: [AccessLogField]) -> AdminJSON {
        .array(fields.map { .string($0.rawValue) })
    }

    static func upstream(_ group: UpstreamGroupConfig) -> AdminJSON {
        var members: [(String, AdminJSON)] = [
            ("name", .string(group.name)),
            ("balance", .string(group.balance.rawValue)),
            ("servers", .array(group.servers.map(server))),
        ]
        if group.balance == .consistentHash {
            members.append(("hash_key", hashKey(group.hashKey)))
        }
        if group.balance == .sticky {
            members.append(("sticky", .object([
                ("cookie", .string(group.sticky.cookieName)),
                ("fallback", .string(group.sticky.fallback.rawValue)),
                ("max_age", group.sticky.maxAge.map(duration) ?? .null),
            ])))
        }
        members += [
            ("keepalive", .object([
                ("max_idle", .int(group.keepalive.maxIdlePerWorker)),
                ("idle_timeout", duration(group.keepalive.idleTimeout)),
            ])),
            ("health_check", group.healthCheck.map(healthCheck) ?? .null),
            ("outlier_detection", outlier(group.outlierDetection)),
            ("retries", retries(group.retries)),
            ("queue", .object([("size", .int(group.queue.size)), ("timeout", duration(group.queue.timeout))])),
            ("dns_refresh", duration(group.dnsRefresh)),
            ("protocol", .string(group.upstreamProtocol.rawValue)),
            ("tls", group.tls.map(upstreamTLS) ?? .null),
        ]
        return .object(members)
    }

    /// File paths only: the key file's contents never leave the process.
    static func upstreamTLS(_ tls: UpstreamTLSConfig) -> AdminJSON {
        .object([
            ("ca", .optional(tls.caFile)),
            ("server_name", .optional(tls.serverName)),
            ("verify", .bool(tls.verify)),
            ("client_certificate", tls.clientCertificate.map {
                .object([("cert", .string($0.certificateFile)), ("key", .string($0.keyFile))])
            } ?? .null),
        ])
    }

    static func server(_ server: UpstreamServerConfig) -> AdminJSON {
        var members: [(String, AdminJSON)] = [
            ("address", .string(server.address.description)),
            ("weight", .int(server.weight)),
            ("max_connections", .optional(server.maxConnections)),
            ("backup", .bool(server.backup)),
            ("slow_start", server.slowStart.map(duration) ?? .null),
        ]
        if server.tls {
            members.append(("tls", .bool(true)))  // written https://
        }
        return .object(members)
    }

    static func hashKey(_ key: HashKeySource) -> AdminJSON {
        switch key {
        case .clientIP: .string("client_ip")
        case .path: .string("path")
        case .header(let name): .string("header:\(name)")
        case .cookie(let name): .string("cookie:\(name)")
        }
    }

    static func healthCheck(_ check: HealthCheckConfig) -> AdminJSON {
        .object([
            ("method", .string(check.method)),
            ("path", .string(check.path)),
            ("host", .optional(check.host)),
            ("interval", duration(check.interval)),
            ("timeout", duration(check.timeout)),
            ("expect_status", .string("\(check.expectStatus.lowerBound)-\(check.expectStatus.upperBound)")),
            ("expect_body", .optional(check.expectBody)),
            ("healthy_threshold", .int(check.healthyThreshold)),
            ("unhealthy_threshold", .int(check.unhealthyThreshold)),
            ("start_healthy", .bool(check.startHealthy)),
        ])
    }

    static func outlier(_ outlier: OutlierDetectionConfig) -> AdminJSON {
        .object([
            ("enabled", .bool(outlier.enabled)),
            ("consecutive_failures", .int(outlier.consecutiveFailures)),
            ("statuses", .array(outlier.statuses.map(AdminJSON.int))),
            ("base_ejection_time", duration(outlier.baseEjectionTime)),
            ("max_ejection_time", duration(outlier.maxEjectionTime)),
            ("max_ejected_percent", .int(outlier.maxEjectedPercent)),
        ])
    }

    static func retries(_ retries: RetryConfig) -> AdminJSON {
        .object([
            ("attempts", .int(retries.maxAttempts)),
            ("timeout", retries.tryTimeout.map(duration) ?? .null),
            ("on_status", .array(retries.onStatuses.map(AdminJSON.int))),
            ("budget_percent", .int(retries.budgetPercent)),
            ("min_per_second", .int(retries.minRetriesPerSecond)),
            ("replay_buffer", .int(retries.replayBufferBytes)),
        ])
    }

    static func route(_ route: RouteConfig) -> AdminJSON {
        var members: [(String, AdminJSON)] = [
            ("name", .string(route.name)),
            ("match", match(route.match)),
            ("action", action(route.action)),
        ]
        if let prefix = route.stripPrefix { members.append(("strip_prefix", .string(prefix))) }
        members.append(("preserve_host", .bool(route.preserveHost)))
        if let redirect = route.redirectHTTPS { members.append(("redirect_https", httpsRedirect(redirect))) }
        if !route.requestHeaders.isEmpty { members.append(("request_headers", headerRules(route.requestHeaders))) }
        if !route.responseHeaders.isEmpty { members.append(("response_headers", headerRules(route.responseHeaders))) }
        if !route.access.isEmpty {
            members.append(("allow", cidrs(route.access.allow)))
            members.append(("deny", cidrs(route.access.deny)))
        }
        if let size = route.maxBodySize {
            switch size {
            case .unlimited: members.append(("max_body_size", .string("unlimited")))
            case .bytes(let bytes): members.append(("max_body_size", .int(bytes)))
            }
        }
        if let limit = route.maxConcurrentRequests { members.append(("max_concurrent_requests", .int(limit))) }
        if let rate = route.rateLimit {
            members.append(("rate_limit", .object([
                ("rate", .string(rate.rateText)),
                ("burst", .int(rate.burst)),
                ("status", .int(rate.status)),
            ])))
        }
        if let auth = route.auth { members.append(("auth", authKind(auth))) }
        if !route.denyRules.isEmpty { members.append(("deny_rules", .int(route.denyRules.count))) }
        if let pages = route.errorPages { members.append(("error_pages", .array(pages.statuses.map(AdminJSON.int)))) }
        if let cache = route.cache { members.append(("cache", routeCache(cache))) }
        if let settings = route.compression { members.append(("compression", compression(settings))) }
        return .object(members)
    }

    static func match(_ match: RouteMatch) -> AdminJSON {
        var members: [(String, AdminJSON)] = []
        if !match.hosts.isEmpty {
            members.append(("host", .array(match.hosts.map { pattern in
                switch pattern {
                case .exact(let host): .string(host)
                case .wildcard(let suffix): .string("*\(suffix)")
                }
            })))
        }
        if let prefix = match.pathPrefix { members.append(("path_prefix", .string(prefix))) }
        if let path = match.path { members.append(("path", .string(path))) }
        if !match.methods.isEmpty { members.append(("method", .array(match.methods.map(AdminJSON.string)))) }
        if !match.headers.isEmpty {
            members.append(("headers", .array(match.headers.map { header in
                .object([("name", .string(header.name)), ("value", header.value.map { headerValue(name: header.name, $0) } ?? .null)])
            })))
        }
        return .object(members)
    }

    static func action(_ action: RouteAction) -> AdminJSON {
        switch action {
        case .upstream(let name):
            .object([("upstream", .string(name))])
        case .redirect(let status, let location):
            .object([("redirect", .string(location)), ("status", .int(status))])
        case .respond(let status, let body, let contentType):
            .object([("respond", .object([
                ("status", .int(status)), ("content_type", .string(contentType)), ("body_bytes", .int(body.utf8.count)),
            ]))])
        }
    }

    /// Only what kind of authentication guards the route: no file paths, secrets, keys
    /// or auth-service URLs (whose query may carry credentials).
    static func authKind(_ auth: RouteAuth) -> AdminJSON {
        let kind: String
        switch auth {
        case .basic: kind = "basic"
        case .jwt: kind = "jwt"
        case .forward: kind = "forward"
        }
        return .object([("kind", .string(kind)), ("credentials", .string(redacted))])
    }

    static func headerRules(_ rules: HeaderRules) -> AdminJSON {
        func fields(_ list: [HeaderRules.Field]) -> AdminJSON {
            .array(list.map { .object([("name", .string($0.name)), ("value", headerValue(name: $0.name, $0.value))]) })
        }
        return .object([
            ("set", fields(rules.set)),
            ("add", fields(rules.add)),
            ("remove", .array(rules.remove.map(AdminJSON.string))),
        ])
    }

    static func timeouts(_ timeouts: TimeoutsConfig) -> AdminJSON {
        .object([
            ("client_header", duration(timeouts.clientHeader)),
            ("client_idle", duration(timeouts.clientIdle)),
            ("client_body", duration(timeouts.clientBody)),
            ("client_send", duration(timeouts.clientSend)),
            ("client_min_body_rate", .int(timeouts.clientMinBodyRate)),
            ("upstream_connect", duration(timeouts.upstreamConnect)),
            ("upstream_header", duration(timeouts.upstreamHeader)),
            ("upstream_idle", duration(timeouts.upstreamIdle)),
            ("shutdown_grace", duration(timeouts.shutdownGrace)),
            ("tunnel_idle", duration(timeouts.tunnelIdle)),
            ("tls_handshake", duration(timeouts.tlsHandshake)),
        ])
    }

    static func limits(_ limits: LimitsConfig) -> AdminJSON {
        .object([
            ("max_request_line", .int(limits.maxRequestLine)),
            ("max_header_bytes", .int(limits.maxHeaderBytes)),
            ("max_header_count", .int(limits.maxHeaderCount)),
            ("max_body_size", limits.maxBodySize.map(AdminJSON.int) ?? .string("unlimited")),
        ])
    }

    static func security(_ security: SecurityConfig) -> AdminJSON {
        .object([
            ("trusted_proxies", cidrs(security.trustedProxies)),
            ("client_ip_header", .string(security.clientIPHeader.rawValue)),
            ("max_connections", .optional(security.maxConnections)),
            ("normalize_path", .bool(security.normalizePath)),
            ("reject_encoded_slash", .bool(security.rejectEncodedSlash)),
            ("merge_slashes", .bool(security.mergeSlashes)),
            ("hide_backend_headers", .bool(security.hideBackendHeaders)),
        ])
    }

    static func accessLog(_ log: AccessLogConfig) -> AdminJSON {
        let output: String
        switch log.destination {
        case .off: output = "off"
        case .stdout: output = "stdout"
        case .stderr: output = "stderr"
        case .file(let path): output = path
        }
        return .object([
            ("output", .string(output)),
            ("format", .string(log.format.rawValue)),
            ("fields", log.fields.map(fieldNames) ?? .null),
            ("buffer_limit", .int(log.bufferLimit)),
        ])
    }

    static func admin(_ admin: AdminConfig) -> AdminJSON {
        .object([
            ("address", .string(admin.address.description)),
            ("token", admin.token == nil ? .null : .string(redacted)),
        ])
    }

    // MARK: Values

    static func cidrs(_ list: [ConfigCIDR]) -> AdminJSON {
        .array(list.map { .string($0.description) })
    }

    /// `10s`, `1.5s`, `250ms`: the shortest exact form, as the configuration accepts.
    public static func duration(_ duration: Duration) -> AdminJSON {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds % 1000 == 0 { return .string("\(milliseconds / 1000)s") }
        return .string("\(milliseconds)ms")
    }

    /// Header names whose values are credentials by convention.
    static func isSecretHeader(_ name: String) -> Bool {
        let lower = name.lowercased()
        if ["authorization", "proxy-authorization", "cookie", "set-cookie"].contains(lower) { return true }
        return ["token", "secret", "key", "password", "passwd", "auth", "session", "credential", "signature"]
            .contains { lower.contains($0) }
    }

    static func headerValue(name: String, _ value: String) -> AdminJSON {
        .string(isSecretHeader(name) ? redacted : value)
    }
}
