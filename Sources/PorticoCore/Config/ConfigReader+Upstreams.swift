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

/// Decoders for `listeners:` and `upstreams:`.
extension ConfigReader {
    mutating func listeners(_ value: ConfigNode) -> [DecodedListener] {
        guard let items = items(value) else { return [] }
        requireNonEmpty(items, value, "listener")
        return items.compactMap { listener($0) }
    }

    private mutating func listener(_ value: ConfigNode) -> DecodedListener? {
        guard let fields = fields(value, known: ["address", "name"]) else { return nil }
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
        return DecodedListener(
            config: ListenerConfig(name: name, address: address ?? HostPort(host: "0.0.0.0", port: 0)),
            address: address,
            addressSite: fields["address"]?.site ?? fields.site,
            nameSite: fields["name"]?.site ?? fields["address"]?.site ?? fields.site,
            hasExplicitName: fields.has("name")
        )
    }

    static let upstreamKeys = ["name", "servers", "balance", "keepalive"]

    mutating func upstreams(_ value: ConfigNode) -> [DecodedUpstream] {
        guard let items = items(value) else { return [] }
        return items.compactMap { upstream($0) }
    }

    private mutating func upstream(_ value: ConfigNode) -> DecodedUpstream? {
        guard let fields = fields(value, known: Self.upstreamKeys) else { return nil }
        requireKey("name", in: fields, context: "upstream")
        requireKey("servers", in: fields, context: "upstream")
        var name = ""
        if let child = fields["name"], let text = nonEmptyString(child, "upstream name") {
            name = text
        }
        var servers: [UpstreamServerConfig] = []
        if let child = fields["servers"], let list = items(child) {
            requireNonEmpty(list, child, "server")
            servers = list.compactMap { upstreamServer($0) }
        }
        var group = UpstreamGroupConfig(name: name, servers: servers)
        if let child = fields["balance"],
           let text = choice(child, from: BalancePolicy.allCases.map(\.rawValue), "balance policy"),
           let policy = BalancePolicy(rawValue: text) {
            group.balance = policy
        }
        if let child = fields["keepalive"] {
            group.keepalive = keepalive(child)
        }
        return DecodedUpstream(config: group, nameSite: fields["name"]?.site ?? fields.site)
    }

    /// `"host:port"`, `"http://host[:port]"`, or `{ address: … }` (a mapping leaves room
    /// for per-server settings such as weights without changing the list's shape).
    private mutating func upstreamServer(_ value: ConfigNode) -> UpstreamServerConfig? {
        var addressValue = value
        if case .mapping = value.node {
            guard let fields = fields(value, known: ["address"]) else { return nil }
            requireKey("address", in: fields, context: "server")
            guard let child = fields["address"] else { return nil }
            addressValue = child
        }
        guard let text = string(addressValue),
              let address = check(HostPort.checkUpstreamServer(text), at: addressValue.site)
        else { return nil }
        return UpstreamServerConfig(address: address)
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
