/// A fixed-bucket latency histogram, cheap enough to update on every request.
///
/// The buckets never change (the same bounds on every worker and every generation), so
/// per-worker histograms merge by adding their counts, a scrape can render them as a
/// Prometheus histogram, and two snapshots subtract into the histogram of the interval
/// between them (which is how the status page gets its percentiles). Counts live in a
/// `SIMD16` — a fixed-size value with no heap storage — so recording is a comparison
/// scan and two integer additions, and nothing allocates.
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds (inclusive, Prometheus `le`) of the finite buckets, in nanoseconds:
    /// 1 ms to 60 s, roughly ×2.5 per step. The 16th bucket is `+Inf`.
    public static let upperBoundsNanos: [Int64] = [
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000, 100_000_000,
        250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000, 5_000_000_000,
        10_000_000_000, 30_000_000_000, 60_000_000_000,
    ]

    /// The same bounds in seconds, as the exposition format writes them.
    public static let upperBoundsSeconds: [Double] = upperBoundsNanos.map { Double($0) / 1e9 }

    /// Observations per bucket (not cumulative); index 15 is `+Inf`.
    public internal(set) var buckets = SIMD16<Int>()
    /// Sum of every observation, in nanoseconds.
    public internal(set) var sumNanos: Int64 = 0

    public init() {}

    /// For tests and for rebuilding a histogram from rendered data.
    public init(buckets: SIMD16<Int>, sumNanos: Int64) {
        self.buckets = buckets
        self.sumNanos = sumNanos
    }

    /// Number of observations.
    public var count: Int { self.buckets.wrappedSum() }

    public var sumSeconds: Double { Double(self.sumNanos) / 1e9 }

    /// Index of the bucket an observation of `nanos` falls into.
    @inline(__always)
    static func bucketIndex(nanos: Int64) -> Int {
        let bounds = Self.upperBoundsNanos
        var index = 0
        while index < bounds.count && nanos > bounds[index] {
            index += 1
        }
        return index
    }

    @inline(__always)
    public mutating func record(nanos: Int64) {
        let clamped = max(nanos, 0)
        self.buckets[Self.bucketIndex(nanos: clamped)] &+= 1
        self.sumNanos &+= clamped
    }

    public static func += (lhs: inout LatencyHistogram, rhs: LatencyHistogram) {
        lhs.buckets &+= rhs.buckets
        lhs.sumNanos &+= rhs.sumNanos
    }

    /// What was recorded since `earlier` (a snapshot of the same, monotonic histogram).
    /// A bucket that went down (a counter reset) counts as empty, never negative.
    public func subtracting(_ earlier: LatencyHistogram) -> LatencyHistogram {
        let difference = self.buckets &- earlier.buckets
        let zero = SIMD16<Int>()
        return LatencyHistogram(
            buckets: difference.replacing(with: zero, where: difference .< zero),
            sumNanos: max(self.sumNanos &- earlier.sumNanos, 0)
        )
    }

    /// Estimates the `q` quantile (0...1) in seconds the way Prometheus'
    /// `histogram_quantile` does: find the bucket holding the rank, then interpolate
    /// linearly between its lower and upper bound. Observations in the `+Inf` bucket are
    /// reported as the highest finite bound. Nil when the histogram is empty.
    public func quantile(_ q: Double) -> Double? {
        let total = self.count
        guard total > 0 else { return nil }
        let rank = min(max(q, 0), 1) * Double(total)
        var cumulative = 0
        for index in 0..<16 {
            let inBucket = self.buckets[index]
            guard inBucket > 0 else { continue }
            let before = cumulative
            cumulative += inBucket
            guard Double(cumulative) >= rank else { continue }
            let bounds = Self.upperBoundsSeconds
            if index >= bounds.count { return bounds[bounds.count - 1] }
            let lower = index == 0 ? 0 : bounds[index - 1]
            let upper = bounds[index]
            let fraction = (rank - Double(before)) / Double(inBucket)
            return lower + (upper - lower) * max(0, min(fraction, 1))
        }
        return Self.upperBoundsSeconds[Self.upperBoundsSeconds.count - 1]
    }
}
