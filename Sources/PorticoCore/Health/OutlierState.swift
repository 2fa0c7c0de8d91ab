/// Passive health of one server (outlier detection): servers that fail real requests
/// are ejected from balancing for a while, without waiting for an active probe.
///
/// Modelled on Envoy's consecutive-errors outlier detection:
/// - `consecutive_failures` failures in a row (a success resets the streak) make the server
///   want ejection (`recordFailure` returns true); the caller then checks the group-wide cap
///   with `mayEject` before calling `eject`.
/// - The n-th ejection lasts `base_ejection_time × n`, capped at `max_ejection_time`, so a
///   server that keeps failing right after it comes back stays out longer each time, while
///   one bad moment costs only the base time.
/// - The ejection count starts over once the server has stayed in (not ejected) for longer
///   than `max_ejection_time` after its last ejection ended: a failure weeks later is a new
///   incident, not the next step of an old one. (Envoy decrements the multiplier per
///   healthy interval instead; a full reset is simpler and has the same intent.)
///
/// Pure value type, one per server per worker; `now` is monotonic nanoseconds supplied by
/// the caller (see `HealthTime`).
public struct OutlierState: Sendable, Equatable {
    /// Failures in a row since the last success or ejection.
    public private(set) var consecutiveFailures = 0
    /// Ejections counted toward the next ejection's length (reset after a long healthy period).
    public private(set) var ejectionCount = 0
    /// When the current (or most recent) ejection ends; `nil` if never ejected.
    public private(set) var ejectionDeadline: Int64?
    /// Ejected, and `restoreIfDue` has not reported the end yet.
    private var restorePending = false

    public init() {}

    /// A request to this server succeeded: the failure streak starts over.
    public mutating func recordSuccess() {
        consecutiveFailures = 0
    }

    /// A request to this server failed (connect failure, timeout, or one of
    /// `config.statuses`). Returns true when the server should now be ejected: detection is
    /// enabled, the streak has reached `config.consecutiveFailures`, and the server is not
    /// already ejected. It keeps returning true on further failures while the caller could
    /// not eject (group cap reached), so the server goes out as soon as the cap allows.
    ///
    /// Failures while ejected (requests that were in flight at ejection) are not counted:
    /// after its ejection the server starts with a clean streak.
    public mutating func recordFailure(now: Int64, config: OutlierDetectionConfig) -> Bool {
        guard config.enabled, !isEjected(now: now) else { return false }
        if consecutiveFailures < Int.max { consecutiveFailures += 1 }
        return consecutiveFailures >= max(1, config.consecutiveFailures)
    }

    /// Ejects the server and returns the deadline (monotonic nanoseconds) at which it
    /// comes back: `now + min(base × ejectionCount, max)`, `ejectionCount` including this
    /// ejection. The failure streak is cleared.
    @discardableResult
    public mutating func eject(now: Int64, config: OutlierDetectionConfig) -> Int64 {
        let base = max(0, HealthTime.nanoseconds(config.baseEjectionTime))
        let cap = max(0, HealthTime.nanoseconds(config.maxEjectionTime))
        if let end = ejectionDeadline, now >= end, now - end > cap {
            ejectionCount = 0
        }
        // Saturates: past the cap the count no longer changes the duration.
        if ejectionCount < Int(Int32.max) { ejectionCount += 1 }
        let (scaled, overflow) = base.multipliedReportingOverflow(by: Int64(ejectionCount))
        let duration = overflow ? cap : min(scaled, cap)
        let deadline = HealthTime.saturatingAdd(now, duration)
        ejectionDeadline = deadline
        restorePending = true
        consecutiveFailures = 0
        return deadline
    }

    /// Whether an ejection is in force at `now` (purely by time: the ejection ends at its
    /// deadline even if `restoreIfDue` has not been called yet).
    public func isEjected(now: Int64) -> Bool {
        guard let deadline = ejectionDeadline else { return false }
        return now < deadline
    }

    /// Returns true exactly once after an ejection has ended (at or after its deadline), so
    /// the caller can put the server back into balancing, decrement its count of ejected
    /// servers and log the restore.
    public mutating func restoreIfDue(now: Int64) -> Bool {
        guard restorePending, let deadline = ejectionDeadline, now >= deadline else { return false }
        restorePending = false
        return true
    }

    /// Whether one more server of a group may be ejected: at most
    /// `floor(groupSize × maxEjectedPercent / 100)` servers are out at once, so outlier
    /// detection can never empty a group (a shared failure such as a bad deploy or a dead
    /// database would otherwise eject every server, turning degraded service into none).
    /// 3 servers at 50% → 1 may be ejected; 1 server at 50% → none.
    public static func mayEject(currentlyEjected: Int, groupSize: Int, maxEjectedPercent: Int) -> Bool {
        let percent = min(max(maxEjectedPercent, 0), 100)
        let limit = max(groupSize, 0) * percent / 100
        return currentlyEjected + 1 <= limit
    }
}
