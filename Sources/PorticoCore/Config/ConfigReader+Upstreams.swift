import Yams

/// A listener as decoded, with where its parts were written, for the duplicate checks
/// in `ConfigReader+Validation.swift`.
struct DecodedListener {
    var config: ListenerConfig
    /// `nil` when the address was invalid (already reported).
    var address: HostPort?
    var addressSite: ConfigSite
    var nameSite: ConfigSite
    /// Whether `name:` was given (otherwise the name is the address text).
    var hasExplicitName: Bool
}

struct DecodedUpstream {
    var config: UpstreamGroupConfig
    var nameSite: ConfigSite
}

/// Decoders for `listeners:` and `upstreams:`. A listener's security keys are read by
/// `listenerSecurity` (`ConfigReader+Security.swift`).
extension ConfigReader {
    mutating func listeners(_ value: ConfigNode) -> [DecodedListener] {
        guard let items = items(value) else { return [] }
        requireNonEmpty(items, value, "listener")
        return items.compactMap { listener($0) }
    }

    private mutating func listener(_ value: ConfigNode) -> DecodedListener? {
        guard let fields = fields(value, known: ["address", "name", "access_log", "http2"] + Self.listenerSecurityKeys + Self.listenerTLSKeys) else { return nil }
        requireKey("address", in: fields, context: "listener")
        var addressText = ""
        var address: HostPort?
        if let child = fields["address"], let text = string(child) {
            addressText = text
            address = check(HostPort.check(text), at: child.site)
        }
        var name = addressText
        if let child = fields["name"], let text = nonEmptyString(child, "listener name") {
            name = text
        }
        var config = ListenerConfig(name: name, address: address ?? HostPort(host: "0.0.0.0", port: 0))
        listenerSecurity(fields, into: &config)
        listenerTLS(fields, into: &config)
        if let child = fields["access_log"] { config.accessLog = listenerAccessLog(child) }
        if let child = fields["http2"] { config.http2 = http2(child) }
        return DecodedListener(
            config: config,
            address: address,
            addressSite: fields["address"]?.site ?? fields.site,
            nameSite: fields["name"]?.site ?? fields["address"]?.site ?? fields.site,
            hasExplicitName: fields.has("name")
        )
    }

    static let upstreamKeys = [
        "name", "servers", "balance", "hash_key", "sticky", "keepalive",
        "health_check", "outlier_detection", "retries", "queue", "dns_refresh",
        "tls", "protocol",
    ]

    mutating func upstreams(_ value: ConfigNode) -> [DecodedUpstream] {
        guard let items = items(value) else { return [] }
        return items.compactMap { upstream($0) }
    }

    /// One group. Each section has its own decoder (`ConfigReader+Balancing.swift`,
    /// `+Health.swift`, `+Retries.swift`). Settings that only one balance policy uses
    /// (`hash_key`, `sticky`) are validated whatever the policy, and otherwise ignored.
    private mutating func upstream(_ value: ConfigNode) -> DecodedUpstream? {
        guard let fields = fields(value, known: Self.upstreamKeys) else { return nil }
        requireKey("name", in: fields, context: "upstream")
        requireKey("servers", in: fields, context: "upstream")
        var name = ""
        if let child = fields["name"], let text = nonEmptyString(child, "upstream name") {
            name = text
        }
        var group = UpstreamGroupConfig(name: name, servers: [])
        if let child = fields["servers"] { group.servers = upstreamServers(child, groupHasTLS: fields.has("tls")) }
        if let child = fields["balance"], let policy = balancePolicy(child) { group.balance = policy }
        if let child = fields["hash_key"], let key = hashKey(child) { group.hashKey = key }
        if let child = fields["sticky"] { group.sticky = sticky(child) }
        if let child = fields["keepalive"] { group.keepalive = keepalive(child) }
        if let child = fields["health_check"] { group.healthCheck = healthCheck(child) }
        if let child = fields["outlier_detection"] { group.outlierDetection = outlierDetection(child) }
        if let child = fields["retries"] { group.retries = retries(child) }
        if let child = fields["queue"] { group.queue = queue(child) }
        if let child = fields["dns_refresh"], let duration = duration(child) { group.dnsRefresh = duration }
        upstreamTransport(fields, into: &group)
        return DecodedUpstream(config: group, nameSite: fields["name"]?.site ?? fields.site)
    }

    private mutating func keepalive(_ value: ConfigNode) -> KeepaliveConfig {
        var config = KeepaliveConfig()
        guard let fields = fields(value, known: ["max_idle", "idle_timeout"]) else { return config }
        if let child = fields["max_idle"], let count = int(child, in: 0...Int.max, "max_idle") {
            config.maxIdlePerWorker = count
        }
        if let child = fields["idle_timeout"], let duration = duration(child) {
            config.idleTimeout = duration
        }
        return config
    }
}
