import Yams

/// Decoders for the process-wide settings: `workers`, `server_header`, `timeouts` and
/// `limits` (`access_log` is in `ConfigReader+AccessLog.swift`). Each returns the model
/// default for a key that is absent, and keeps the default (after reporting) for a key
/// that is invalid.
extension ConfigReader {
    /// `auto` (one event loop per core, `nil` in the model) or an integer ≥ 1.
    mutating func workers(_ value: ConfigNode) -> Int? {
        if case .scalar(let scalar) = value.node, scalar.string == "auto" { return nil }
        if case .scalar(let scalar) = value.node, !value.node.isNull,
           !scalar.string.allSatisfy({ ("0"..."9").contains($0) || $0 == "-" }) {
            report("expected an integer >= 1 or \"auto\", found \(configQuoted(scalar.string))", at: value.site)
            return nil
        }
        return int(value, in: 1...Int.max, "workers")
    }

    /// `true` → `"portico"`, `false` → no header, or a custom value.
    mutating func serverHeader(_ value: ConfigNode) -> String? {
        if value.node.tag.rawValue == Tag.Name.bool.rawValue, let flag = value.node.bool {
            return flag ? "portico" : nil
        }
        guard let text = string(value) else { return "portico" }
        if text.trimmingPrefix(" ").isEmpty {
            report("server_header must not be empty (use false to send no Server header)", at: value.site)
            return "portico"
        }
        return check(ConfigScalar.checkHeaderValue(text), at: value.site) ?? "portico"
    }

    static let timeoutKeys = [
        "client_header", "client_idle", "client_body",
        "upstream_connect", "upstream_header", "upstream_idle", "shutdown_grace",
        "client_send", "client_min_body_rate", "tunnel_idle", "tls_handshake",
    ]

    mutating func timeouts(_ value: ConfigNode) -> TimeoutsConfig {
        var config = TimeoutsConfig()
        guard let fields = fields(value, known: Self.timeoutKeys) else { return config }
        func read(_ key: String, _ target: WritableKeyPath<TimeoutsConfig, Duration>, _ reader: inout ConfigReader) {
            if let child = fields[key], let duration = reader.duration(child) { config[keyPath: target] = duration }
        }
        read("client_header", \.clientHeader, &self)
        read("client_idle", \.clientIdle, &self)
        read("client_body", \.clientBody, &self)
        read("upstream_connect", \.upstreamConnect, &self)
        read("upstream_header", \.upstreamHeader, &self)
        read("upstream_idle", \.upstreamIdle, &self)
        read("shutdown_grace", \.shutdownGrace, &self)
        read("client_send", \.clientSend, &self)
        read("tunnel_idle", \.tunnelIdle, &self)
        read("tls_handshake", \.tlsHandshake, &self)
        if let child = fields["client_min_body_rate"], let rate = byteRate(child) { config.clientMinBodyRate = rate }
        return config
    }

    mutating func limits(_ value: ConfigNode) -> LimitsConfig {
        var config = LimitsConfig()
        guard let fields = fields(value, known: ["max_request_line", "max_header_bytes", "max_header_count", "max_body_size"]) else {
            return config
        }
        if let child = fields["max_request_line"], let size = size(child) { config.maxRequestLine = size }
        if let child = fields["max_header_bytes"], let size = size(child) { config.maxHeaderBytes = size }
        if let child = fields["max_header_count"], let count = int(child, in: 1...Int.max, "max_header_count") {
            config.maxHeaderCount = count
        }
        if let child = fields["max_body_size"], let limit = bodySizeLimit(child, nullIsUnlimited: true) {
            if case .bytes(let bytes) = limit { config.maxBodySize = bytes }
        }
        return config
    }
}
