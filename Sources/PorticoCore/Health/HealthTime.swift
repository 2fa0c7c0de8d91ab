/// Converting configuration `Duration`s to the `Int64` nanoseconds of the monotonic clock
/// that the health and retry types take as `now:`.
///
/// Why `Int64` nanoseconds rather than `Duration` or `Date`: the data path reads the clock
/// once per request as `NIODeadline.uptimeNanoseconds` (or `DispatchTime`), so plain
/// integers are cheap to compare and store, and tests pass a manual clock.
enum HealthTime {
    static let nanosPerSecond: Int64 = 1_000_000_000

    /// `duration` in nanoseconds, clamped to the `Int64` range.
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: nanosPerSecond)
        if overflow { return seconds < 0 ? .min : .max }
        return saturatingAdd(whole, attoseconds / 1_000_000_000)
    }

    /// `a + b`, clamped to the `Int64` range.
    static func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        if overflow { return b < 0 ? .min : .max }
        return sum
    }
}
