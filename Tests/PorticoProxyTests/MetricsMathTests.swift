import Testing

@testable import PorticoProxy

/// The pure parts of the data-path metrics: histogram buckets, percentile estimates,
/// status classes and merging per-worker copies.
@Suite struct MetricsMathTests {
    @Test func observationsLandInTheirInclusiveUpperBucket() {
        var histogram = LatencyHistogram()
        histogram.record(nanos: 0)  // ≤ 1 ms
        histogram.record(nanos: 1_000_000)  // exactly 1 ms: still the first bucket (le is inclusive)
        histogram.record(nanos: 1_000_001)  // ≤ 2.5 ms
        histogram.record(nanos: 7_000_000)  // ≤ 10 ms
        histogram.record(nanos: 120_000_000_000)  // beyond 60 s: +Inf
        histogram.record(nanos: -5)  // a clock step backwards counts as zero
        #expect(histogram.buckets[0] == 3)
        #expect(histogram.buckets[1] == 1)
        #expect(histogram.buckets[3] == 1)
        #expect(histogram.buckets[15] == 1)
        #expect(histogram.count == 6)
        #expect(histogram.sumNanos == 1_000_000 + 1_000_001 + 7_000_000 + 120_000_000_000)
    }

    @Test func quantilesInterpolateLinearlyWithinTheBucket() {
        var histogram = LatencyHistogram()
        #expect(histogram.quantile(0.5) == nil)
        // 10 observations in (5 ms, 10 ms]: the median is halfway through that bucket.
        for _ in 0..<10 { histogram.record(nanos: 8_000_000) }
        let median = try! #require(histogram.quantile(0.5))
        #expect(abs(median - 0.0075) < 1e-9)
        #expect(abs(histogram.quantile(1)! - 0.010) < 1e-9)
        // Add 10 in (1 ms, 2.5 ms]: now p50 is the top of that lower bucket.
        for _ in 0..<10 { histogram.record(nanos: 2_000_000) }
        #expect(abs(histogram.quantile(0.5)! - 0.0025) < 1e-9)
        #expect(abs(histogram.quantile(0.25)! - 0.00175) < 1e-9)
        // Observations past the last finite bound report that bound.
        var slow = LatencyHistogram()
        slow.record(nanos: 100_000_000_000)
        #expect(slow.quantile(0.99) == 60)
    }

    @Test func subtractingGivesTheIntervalAndNeverGoesNegative() {
        var earlier = LatencyHistogram()
        earlier.record(nanos: 500_000)
        var later = earlier
        later.record(nanos: 30_000_000)
        later.record(nanos: 40_000_000)
        let interval = later.subtracting(earlier)
        #expect(interval.count == 2)
        #expect(interval.buckets[0] == 0)
        #expect(interval.buckets[5] == 2)
        #expect(interval.sumNanos == 70_000_000)
        #expect(earlier.subtracting(later).count == 0)
    }

    @Test func statusClassesClampOddCodes() {
        var counts = StatusClassCounts()
        for status in [100, 200, 204, 301, 404, 499, 500, 503, 0, 999] {
            counts.count(status: status)
        }
        #expect(counts[1] == 2)  // 100 and 0
        #expect(counts[2] == 2)
        #expect(counts[3] == 1)
        #expect(counts[4] == 2)
        #expect(counts[5] == 3)  // 500, 503 and 999
        #expect(counts.total == 10)
        #expect(counts[6] == 0)
    }

    @Test func mergingAddsByName() {
        var a = TrafficMetrics()
        var route = RouteTraffic()
        var ok = StatusClassCounts()
        ok.count(status: 200)
        route.requests["origin"] = ok
        route.duration.record(nanos: 2_000_000)
        route.requestBytes = 100
        route.responseBytes = 10
        a.routes["api"] = route
        a.upstreams["origin"] = UpstreamTraffic()
        a.listeners["main"] = ListenerTraffic()
        a.listeners["main"]!.open = 2

        var b = a
        var failing = StatusClassCounts()
        failing.count(status: 502)
        b.routes["api"]!.requests[TrafficMetrics.notForwarded] = failing
        b.routes["other"] = RouteTraffic()
        b.upstreams["origin"]!.retries = 3

        let total = TrafficMetrics.merged([a, b])
        #expect(total.routes["api"]!.requests["origin"]![2] == 2)
        #expect(total.routes["api"]!.requests["none"]![5] == 1)
        #expect(total.routes["api"]!.duration.count == 2)
        #expect(total.routes["api"]!.requestBytes == 200)
        #expect(total.routes["other"] != nil)
        #expect(total.upstreams["origin"]!.retries == 3)
        #expect(total.listeners["main"]!.open == 4)
        #expect(total.requestCount == 3)
        #expect(total.serverErrorCount == 1)
        #expect(total.responseBytes == 20)
    }
}
