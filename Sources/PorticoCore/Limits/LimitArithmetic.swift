/// Saturating `Int64` arithmetic for the limiters' nanosecond clocks.
///
/// Why saturate rather than trap or wrap: the operands come from configuration (a rate of
/// one per month, a burst of millions) and from callers' clocks, and a limiter must never
/// crash the proxy or wrap a deadline into the past because a product overflowed. Clamping
/// to `Int64.min`/`Int64.max` keeps every comparison meaningful ("further away than any
/// clock will reach").
@usableFromInline
enum LimitArithmetic {
    @inlinable @inline(__always)
    static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : sum
    }

    @inlinable @inline(__always)
    static func subtract(_ a: Int64, _ b: Int64) -> Int64 {
        let (difference, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? (b < 0 ? .max : .min) : difference
    }

    @inlinable @inline(__always)
    static func multiply(_ a: Int64, _ b: Int64) -> Int64 {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? ((a < 0) == (b < 0) ? .max : .min) : product
    }

    /// `ceil(nanos / 1 s)` for a non-negative duration; 0 for a negative one.
    @inlinable @inline(__always)
    static func ceilSeconds(_ nanos: Int64) -> Int64 {
        guard nanos > 0 else { return 0 }
        let second: Int64 = 1_000_000_000
        return nanos / second + (nanos % second == 0 ? 0 : 1)
    }
}
