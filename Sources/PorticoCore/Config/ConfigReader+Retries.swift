import Yams

/// Decoder for an upstream group's `retries:`.
extension ConfigReader {
    static let retryKeys = ["attempts", "timeout", "on_status", "budget_percent", "min_per_second", "replay_buffer"]

    mutating func retries(_ value: ConfigNode) -> RetryConfig {
        var config = RetryConfig()
        guard let fields = fields(value, known: Self.retryKeys) else { return config }
        if let child = fields["attempts"], let count = int(child, in: 1...10, "attempts") {
            config.maxAttempts = count
        }
        if let child = fields["timeout"], let timeout = durationOrOff(child) { config.tryTimeout = timeout }
        if let child = fields["on_status"], let statuses = statusList(child) { config.onStatuses = statuses }
        if let child = fields["budget_percent"], let percent = int(child, in: 0...100, "budget_percent") {
            config.budgetPercent = percent
        }
        if let child = fields["min_per_second"], let count = int(child, in: 0...Int.max, "min_per_second") {
            config.minRetriesPerSecond = count
        }
        if let child = fields["replay_buffer"], let size = size(child, allowZero: true) {
            config.replayBufferBytes = size
        }
        return config
    }

    /// A duration greater than zero, or `off` for no limit (`.some(nil)`). Unquoted `off`
    /// is a YAML boolean, so `false` means off as well.
    private mutating func durationOrOff(_ value: ConfigNode) -> Duration?? {
        if value.node.tag.rawValue == Tag.Name.bool.rawValue, let flag = value.node.bool {
            if !flag { return .some(nil) }
            typeMismatch(expected: "a duration or off", value)
            return nil
        }
        if case .scalar(let scalar) = value.node, scalar.string == "off" { return .some(nil) }
        guard let text = string(value), let duration = check(ConfigScalar.checkDuration(text), at: value.site) else {
            return nil
        }
        guard duration > .zero else {
            report("duration must be greater than 0 (use off for no limit)", at: value.site)
            return nil
        }
        return .some(duration)
    }
}
