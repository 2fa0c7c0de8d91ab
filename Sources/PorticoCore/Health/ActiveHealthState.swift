/// A change of a server's active-health verdict, reported once when it happens.
public enum HealthTransition: Sendable, Equatable {
    case becameHealthy
    case becameUnhealthy
}

/// The active-health verdict of one server, fed with the outcome of each probe.
///
/// Why thresholds on *consecutive* results: one lost probe (a dropped SYN, a GC pause)
/// should not take a server out, and one lucky probe should not put a broken server back.
/// nginx (`fails`/`passes`), HAProxy (`fall`/`rise`) and Envoy (`unhealthy_threshold`/
/// `healthy_threshold`) all count consecutive results the same way: a pass resets the
/// failure streak and a failure resets the pass streak, so a flapping server that never
/// fails (or passes) `threshold` times in a row keeps its current verdict.
///
/// Pure value type; the caller owns the clock and the probing.
public struct ActiveHealthState: Sendable, Equatable {
    /// The current verdict.
    public private(set) var isHealthy: Bool
    /// Consecutive passes that turn an unhealthy server healthy (at least 1).
    public let healthyThreshold: Int
    /// Consecutive failures that turn a healthy server unhealthy (at least 1).
    public let unhealthyThreshold: Int
    /// Length of the current streak of passes (0 after a failure).
    public private(set) var consecutivePasses = 0
    /// Length of the current streak of failures (0 after a pass).
    public private(set) var consecutiveFailures = 0

    /// - Parameters:
    ///   - startHealthy: the verdict before any probe (`health_check.start_healthy`).
    ///   - healthyThreshold: values below 1 are treated as 1.
    ///   - unhealthyThreshold: values below 1 are treated as 1.
    public init(startHealthy: Bool, healthyThreshold: Int, unhealthyThreshold: Int) {
        self.isHealthy = startHealthy
        self.healthyThreshold = max(1, healthyThreshold)
        self.unhealthyThreshold = max(1, unhealthyThreshold)
    }

    /// Records one probe outcome. Returns the transition it caused, if any: exactly once
    /// when a streak reaches its threshold against the current verdict, `nil` otherwise
    /// (including for further results in the same direction).
    public mutating func record(passed: Bool) -> HealthTransition? {
        if passed {
            consecutiveFailures = 0
            // Saturate rather than overflow on a server that stays up for years.
            if consecutivePasses < Int.max { consecutivePasses += 1 }
            if !isHealthy, consecutivePasses >= healthyThreshold {
                isHealthy = true
                return .becameHealthy
            }
        } else {
            consecutivePasses = 0
            if consecutiveFailures < Int.max { consecutiveFailures += 1 }
            if isHealthy, consecutiveFailures >= unhealthyThreshold {
                isHealthy = false
                return .becameUnhealthy
            }
        }
        return nil
    }
}
