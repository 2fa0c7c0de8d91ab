#if canImport(Glibc)
import Glibc
#endif
import PorticoProxy
import Synchronization

/// The last few minutes of traffic, one sample per interval, for the live status page.
///
/// Each sample is the difference between two consecutive `ProxyMetricsSnapshot`s:
/// requests per second, the share of 5xx answers, latency percentiles estimated from
/// the request-duration histogram's bucket differences (linear interpolation inside
/// the bucket, as Prometheus' `histogram_quantile`), bytes sent per second, the
/// open-connection and in-flight gauges at the end of the interval, and, when a route
/// caches, the interval's cache hit ratio. Only the reduced
/// figures are kept (a ring of `capacity` samples), plus the previous snapshot's totals.
///
/// `json()` has a fixed schema the status page codes against:
///
/// ```json
/// {"interval_seconds":1,
///  "samples":[{"t":1700000000000,"rps":12.5,"error_rate":0,"p50_ms":1.2,"p90_ms":3.4,"p99_ms":null,
///              "open_connections":3,"in_flight":1,"bytes_out_per_second":2048,"cache_hit_ratio":0.75}],
///  "totals":{"requests":1234,"errors_5xx":2}}
/// ```
///
/// `t` is the end of the interval in Unix milliseconds; the percentiles are null when
/// the interval had no request. `cache_hit_ratio` is present only while a response
/// cache exists (some route has `cache:`; the page hides its cache tile otherwise): the
/// requests served from storage (`hit` and `stale`, see `CacheMetrics.servedFromCache`)
/// over every request the cache looked at (all outcomes but `bypass`) in the interval,
/// null when there was none.
public final class StatsHistory: Sendable {
    /// One interval, reduced.
    public struct Sample: Sendable, Equatable {
        public var unixMilliseconds: Int64
        public var requestsPerSecond: Double
        /// 5xx answers / all answers in the interval (0 without requests).
        public var errorRate: Double
        public var p50Milliseconds: Double?
        public var p90Milliseconds: Double?
        public var p99Milliseconds: Double?
        public var openConnections: Int
        public var inFlight: Int
        public var bytesOutPerSecond: Double
        /// Whether a response cache existed at the end of the interval.
        public var cacheConfigured: Bool
        /// Served from cache / cache lookups in the interval; nil without a cache or
        /// without a lookup.
        public var cacheHitRatio: Double?
    }

    /// What the next sample is computed against.
    private struct Baseline {
        var time: Double
        var requests: Int
        var errors: Int
        var duration: LatencyHistogram
        var responseBytes: Int
        /// `CacheMetrics.servedFromCache` and `lookups`; nil without a cache.
        var cache: CacheCounts?
    }

    /// The two cache counters the hit ratio is computed from.
    struct CacheCounts: Equatable {
        var served: Int
        var lookups: Int
    }

    private struct State {
        var samples: [Sample] = []
        /// Index of the oldest sample once the ring is full.
        var start = 0
        var baseline: Baseline?
        /// The last measured interval, reported when no nominal one is set.
        var intervalSeconds: Double = 1
        /// The sampler's period (`runStatsSampler`), reported as `interval_seconds`.
        var nominalIntervalSeconds: Double?
    }

    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int = 600) {
        self.capacity = max(capacity, 1)
    }

    /// Adds the interval since the previously recorded snapshot (the first one only sets
    /// the baseline). Snapshots must come in time order; one that is not later than the
    /// previous replaces the baseline without adding a sample.
    public func record(_ snapshot: ProxyMetricsSnapshot, at unixSeconds: Double) {
        let traffic = snapshot.traffic
        let current = Baseline(
            time: unixSeconds,
            requests: traffic.requestCount,
            errors: traffic.serverErrorCount,
            duration: traffic.requestDuration,
            responseBytes: traffic.responseBytes,
            cache: snapshot.cache.map { CacheCounts(served: $0.servedFromCache, lookups: $0.lookups) }
        )
        let open = traffic.listeners.values.reduce(0) { $0 + $1.open }
        let inFlight = traffic.listeners.values.reduce(0) { $0 + $1.inFlight }
        self.state.withLock { state in
            defer { state.baseline = current }
            guard let previous = state.baseline, unixSeconds > previous.time else { return }
            let seconds = unixSeconds - previous.time
            let requests = max(current.requests - previous.requests, 0)
            let errors = min(max(current.errors - previous.errors, 0), requests)
            let latency = current.duration.subtracting(previous.duration)
            let sample = Sample(
                unixMilliseconds: Int64((unixSeconds * 1000).rounded()),
                requestsPerSecond: Double(requests) / seconds,
                errorRate: requests > 0 ? Double(errors) / Double(requests) : 0,
                p50Milliseconds: latency.quantile(0.5).map { $0 * 1000 },
                p90Milliseconds: latency.quantile(0.9).map { $0 * 1000 },
                p99Milliseconds: latency.quantile(0.99).map { $0 * 1000 },
                openConnections: open,
                inFlight: inFlight,
                bytesOutPerSecond: Double(max(current.responseBytes - previous.responseBytes, 0)) / seconds,
                cacheConfigured: current.cache != nil,
                cacheHitRatio: Self.hitRatio(from: previous.cache, to: current.cache)
            )
            state.intervalSeconds = seconds
            if state.samples.count < self.capacity {
                state.samples.append(sample)
            } else {
                state.samples[state.start] = sample
                state.start = (state.start + 1) % self.capacity
            }
        }
    }

    /// The samples, oldest first.
    public var samples: [Sample] {
        self.state.withLock { state in
            Array(state.samples[state.start...] + state.samples[..<state.start])
        }
    }

    /// The history in the status page's schema (see the type's documentation).
    public func json() -> String {
        let (samples, baseline, interval) = self.state.withLock { state in
            (
                Array(state.samples[state.start...] + state.samples[..<state.start]), state.baseline,
                state.nominalIntervalSeconds ?? state.intervalSeconds
            )
        }
        var out = "{\"interval_seconds\":\(Self.number(interval)),\"samples\":["
        out.reserveCapacity(64 + samples.count * 180)
        for (index, sample) in samples.enumerated() {
            if index > 0 { out += "," }
            out += "{\"t\":\(sample.unixMilliseconds)"
            out += ",\"rps\":\(Self.number(sample.requestsPerSecond))"
            out += ",\"error_rate\":\(Self.number(sample.errorRate))"
            out += ",\"p50_ms\":\(Self.number(sample.p50Milliseconds))"
            out += ",\"p90_ms\":\(Self.number(sample.p90Milliseconds))"
            out += ",\"p99_ms\":\(Self.number(sample.p99Milliseconds))"
            out += ",\"open_connections\":\(sample.openConnections)"
            out += ",\"in_flight\":\(sample.inFlight)"
            out += ",\"bytes_out_per_second\":\(Self.number(sample.bytesOutPerSecond))"
            if sample.cacheConfigured { out += ",\"cache_hit_ratio\":\(Self.number(sample.cacheHitRatio))" }
            out += "}"
        }
        out += "],\"totals\":{\"requests\":\(baseline?.requests ?? 0),\"errors_5xx\":\(baseline?.errors ?? 0)}}"
        return out
    }

    /// The share of lookups served from the cache between two readings of its counters
    /// (nil without a cache or without a lookup). Counters that went down belong to a
    /// new cache (a reload changed `cache:`), which started from zero: all it counted is new.
    static func hitRatio(from previous: CacheCounts?, to current: CacheCounts?) -> Double? {
        guard let current else { return nil }
        var base = previous ?? CacheCounts(served: 0, lookups: 0)
        if current.lookups < base.lookups || current.served < base.served { base = CacheCounts(served: 0, lookups: 0) }
        let lookups = current.lookups - base.lookups
        guard lookups > 0 else { return nil }
        return Double(min(current.served - base.served, lookups)) / Double(lookups)
    }

    /// Sets the period reported as `interval_seconds` (the sampler's, rather than the
    /// measured gap between two snapshots, which jitters by a few milliseconds).
    func setNominalInterval(_ interval: Duration) {
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        self.state.withLock { $0.nominalIntervalSeconds = seconds }
    }

    /// A JSON number with at most three decimals (`null` for nil; never NaN or ±Inf).
    static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        let rounded = (value * 1000).rounded() / 1000
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return "\(rounded)"
    }
}

extension ProxyServer {
    /// Records a metrics snapshot into `history` every `interval` until the calling task
    /// is cancelled (run it in a task of the admin listener's lifetime).
    public func runStatsSampler(into history: StatsHistory, every interval: Duration = .seconds(1)) async {
        history.setNominalInterval(interval)
        while !Task.isCancelled {
            let snapshot = await self.metricsSnapshot()
            history.record(snapshot, at: Self.unixSecondsNow())
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }

    static func unixSecondsNow() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
