import Yams

/// Decoders for an upstream group's `health_check:` (active probes) and
/// `outlier_detection:` (passive ejection), and for lists of HTTP statuses, which
/// `retries.on_status` shares.
extension ConfigReader {
    static let healthCheckKeys = [
        "path", "method", "host", "interval", "timeout", "expect_status", "expect_body",
        "healthy_threshold", "unhealthy_threshold", "start_healthy",
    ]
    static let outlierDetectionKeys = [
        "enabled", "consecutive_failures", "statuses",
        "base_ejection_time", "max_ejection_time", "max_ejected_percent",
    ]

    /// Present (even empty) means active checks are on, with defaults for what is left out.
    mutating func healthCheck(_ value: ConfigNode) -> HealthCheckConfig {
        var config = HealthCheckConfig()
        guard let fields = fields(value, known: Self.healthCheckKeys) else { return config }
        if let child = fields["path"], let target = probeTarget(child) { config.path = target }
        if let child = fields["method"], let text = string(child),
           let method = check(ConfigScalar.checkMethod(text), at: child.site) {
            config.method = method
        }
        if let child = fields["host"], let host = probeHost(child) { config.host = host }
        if let child = fields["interval"], let duration = duration(child) { config.interval = duration }
        if let child = fields["timeout"], let duration = duration(child) { config.timeout = duration }
        if let child = fields["expect_status"], let text = string(child),
           let range = check(ConfigScalar.checkStatusRange(text), at: child.site) {
            config.expectStatus = range
        }
        if let child = fields["expect_body"], let text = nonEmptyString(child, "expect_body") {
            config.expectBody = text
            if config.method == "HEAD" {
                report("expect_body cannot be checked with method HEAD (a HEAD response has no body)", at: child.site)
            }
        }
        if let child = fields["healthy_threshold"], let count = int(child, in: 1...Int.max, "healthy_threshold") {
            config.healthyThreshold = count
        }
        if let child = fields["unhealthy_threshold"], let count = int(child, in: 1...Int.max, "unhealthy_threshold") {
            config.unhealthyThreshold = count
        }
        if let child = fields["start_healthy"], let flag = bool(child) { config.startHealthy = flag }
        return config
    }

    /// The probe's request target in origin form: `/healthz`, optionally with a query.
    private mutating func probeTarget(_ value: ConfigNode) -> String? {
        guard let text = string(value) else { return nil }
        guard text.hasPrefix("/") else {
            report("path must start with \"/\", found \(configQuoted(text))", at: value.site)
            return nil
        }
        if text.contains("#") {
            report("path must not contain \"#\" (a fragment is never sent)", at: value.site)
            return nil
        }
        if text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            report("path must not contain spaces or control characters (percent-encode them)", at: value.site)
            return nil
        }
        return text
    }

    /// The probe's `Host` header: a host name or address, optionally with `:port`.
    private mutating func probeHost(_ value: ConfigNode) -> String? {
        guard let text = nonEmptyString(value, "host") else { return nil }
        let isBracketedOnly = text.hasPrefix("[") && text.hasSuffix("]")
        let withPort = text.contains(":") && !isBracketedOnly ? text : text + ":80"
        guard !text.hasPrefix(":"), case .success = HostPort.check(withPort) else {
            report("invalid host \(configQuoted(text)) (expected a host name or address, optionally with :port)", at: value.site)
            return nil
        }
        return text
    }

    mutating func outlierDetection(_ value: ConfigNode) -> OutlierDetectionConfig {
        var config = OutlierDetectionConfig()
        guard let fields = fields(value, known: Self.outlierDetectionKeys) else { return config }
        if let child = fields["enabled"], let flag = bool(child) { config.enabled = flag }
        if let child = fields["consecutive_failures"], let count = int(child, in: 1...Int.max, "consecutive_failures") {
            config.consecutiveFailures = count
        }
        if let child = fields["statuses"], let statuses = statusList(child) { config.statuses = statuses }
        var baseNode: ConfigNode?
        var maxNode: ConfigNode?
        if let child = fields["base_ejection_time"], let duration = duration(child) {
            config.baseEjectionTime = duration
            baseNode = child
        }
        if let child = fields["max_ejection_time"], let duration = duration(child) {
            config.maxEjectionTime = duration
            maxNode = child
        }
        if let child = fields["max_ejected_percent"], let percent = int(child, in: 0...100, "max_ejected_percent") {
            config.maxEjectedPercent = percent
        }
        // Compare only values that decoded: an invalid one was reported already.
        let decoded = (baseNode != nil || !fields.has("base_ejection_time")) && (maxNode != nil || !fields.has("max_ejection_time"))
        if decoded, config.maxEjectionTime < config.baseEjectionTime {
            let baseText = Self.durationText(config.baseEjectionTime)
            let maxText = Self.durationText(config.maxEjectionTime)
            if let maxNode {
                let source = baseNode == nil ? "the default base_ejection_time" : "base_ejection_time"
                report("max_ejection_time must be at least \(source) (\(baseText)), found \(maxText)", at: maxNode.site)
            } else if let baseNode {
                report("base_ejection_time must be at most the default max_ejection_time (\(maxText)), found \(baseText)", at: baseNode.site)
            }
        }
        return config
    }

    /// A sequence of statuses (a single status is accepted too), each in 100...599 and
    /// given once. An empty list is allowed and means "no statuses".
    mutating func statusList(_ value: ConfigNode) -> [Int]? {
        let list: [ConfigNode]
        if case .scalar = value.node, !value.node.isNull {
            list = [value]
        } else {
            guard let items = items(value) else { return nil }
            list = items
        }
        var statuses: [Int] = []
        for item in list {
            guard let status = int(item, in: ConfigScalar.statusCodes, "status") else { continue }
            if statuses.contains(status) {
                report("duplicate status \(status)", at: item.site)
            } else {
                statuses.append(status)
            }
        }
        return statuses
    }

    /// A duration as it would be written in the file (`30s`, `5m`, `1500ms`), for messages.
    static func durationText(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        guard attoseconds == 0 else { return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms" }
        if seconds != 0, seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds != 0, seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
