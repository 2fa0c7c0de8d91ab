import Yams

/// Decoders for `access_log`, a listener's `access_log`, `request_id` and
/// `trace_context`: what is logged about each request, and the ids that tie it to the
/// client's and the upstream's view.
extension ConfigReader {
    static let accessLogKeys = ["output", "format", "fields", "buffer_limit"]

    /// A mapping, or the shorthands `off`/`false` (no access log) and `on`/`true` (defaults).
    mutating func accessLog(_ value: ConfigNode) -> AccessLogConfig {
        if value.node.tag.rawValue == Tag.Name.bool.rawValue, let flag = value.node.bool {
            return flag ? AccessLogConfig() : AccessLogConfig(destination: .off)
        }
        if case .scalar(let scalar) = value.node, scalar.string == "off" {
            return AccessLogConfig(destination: .off)
        }
        if !value.node.isNull, value.node.mapping == nil {
            typeMismatch(expected: "a mapping or off", value)
            return AccessLogConfig()
        }
        var config = AccessLogConfig()
        guard let fields = fields(value, known: Self.accessLogKeys) else { return config }
        if let output = fields["output"] {
            config.destination = accessLogDestination(output)
        }
        if let format = fields["format"], let parsed = accessLogFormat(format) {
            config.format = parsed
        }
        if let child = fields["fields"] {
            config.fields = accessLogFields(child)
        }
        if let child = fields["buffer_limit"], let size = size(child) {
            config.bufferLimit = size
        }
        return config
    }

    /// `listeners[].access_log`: only the layout (`format`, `fields`); the destination
    /// and buffer are process-wide.
    mutating func listenerAccessLog(_ value: ConfigNode) -> ListenerAccessLogConfig? {
        guard let fields = fields(value, known: ["format", "fields"]) else { return nil }
        var config = ListenerAccessLogConfig()
        if let format = fields["format"] {
            config.format = accessLogFormat(format)
        }
        if let child = fields["fields"] {
            config.fields = accessLogFields(child)
        }
        return config
    }

    private mutating func accessLogFormat(_ value: ConfigNode) -> AccessLogConfig.Format? {
        choice(value, from: AccessLogConfig.Format.allCases.map(\.rawValue), "access_log format")
            .flatMap(AccessLogConfig.Format.init(rawValue:))
    }

    /// A non-empty list of known field names, each at most once.
    private mutating func accessLogFields(_ value: ConfigNode) -> [AccessLogField]? {
        guard let items = items(value), requireNonEmpty(items, value, "access_log field") else { return nil }
        var selected: [AccessLogField] = []
        for item in items {
            guard let name = choice(item, from: AccessLogField.names, "access_log field"),
                  let field = AccessLogField(rawValue: name)
            else { continue }
            if selected.contains(field) {
                report("duplicate access_log field \(configQuoted(name))", at: item.site)
                continue
            }
            selected.append(field)
        }
        return selected.isEmpty ? nil : selected
    }

    /// `stdout`, `stderr`, `off` (also YAML `false`) or a file path.
    private mutating func accessLogDestination(_ value: ConfigNode) -> AccessLogConfig.Destination {
        if value.node.tag.rawValue == Tag.Name.bool.rawValue, value.node.bool == false { return .off }
        guard let text = nonEmptyString(value, "access_log output") else { return .stdout }
        switch text {
        case "stdout": return .stdout
        case "stderr": return .stderr
        case "off": return .off
        default: return .file(text)
        }
    }

    mutating func requestID(_ value: ConfigNode) -> RequestIDConfig {
        var config = RequestIDConfig()
        guard let fields = fields(value, known: ["accept_incoming", "response_header"]) else { return config }
        if let child = fields["accept_incoming"], let flag = bool(child) {
            config.acceptIncoming = flag
        }
        if let child = fields["response_header"],
           let name = choice(child, from: RequestIDConfig.ResponseHeader.allCases.map(\.rawValue), "request_id response_header"),
           let parsed = RequestIDConfig.ResponseHeader(rawValue: name) {
            config.responseHeader = parsed
        }
        return config
    }

    mutating func traceContext(_ value: ConfigNode) -> TraceContextConfig {
        var config = TraceContextConfig()
        guard let fields = fields(value, known: ["enabled", "sample_new_traces"]) else { return config }
        if let child = fields["enabled"], let flag = bool(child) {
            config.enabled = flag
        }
        if let child = fields["sample_new_traces"], let flag = bool(child) {
            config.sampleNewTraces = flag
        }
        return config
    }
}
