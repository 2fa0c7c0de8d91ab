/// Caps retries at a share of the group's traffic over a sliding window.
///
/// Why: per-request retry limits alone multiply load when an upstream is overloaded (every
/// request tried three times triples the traffic to a struggling group, a retry storm).
/// Finagle and Envoy bound retries to a percentage of recent requests instead, plus a small
/// floor per second so that low-traffic groups can still retry at all.
///
/// A retry is allowed while
/// `retriesInWindow + 1 <= minPerSecond × windowSeconds + percent / 100 × requestsInWindow`.
///
/// Counting is in a fixed ring of per-second buckets: no allocation after `init`, O(1)
/// amortized per call. Buckets that fall out of the window are cleared lazily when the clock
/// moves past them. One budget per worker per group (each event loop keeps its own), so
/// there is no synchronization; with N workers the group-wide floor is N × `minPerSecond`.
public struct RetryBudget: Sendable, Equatable {
    public let percent: Int
    public let minPerSecond: Int
    public let windowSeconds: Int

    private var requestCounts: [Int]
    private var retryCounts: [Int]
    /// The newest second (monotonic seconds) that the ring holds; `nil` before the first call.
    private var newestSecond: Int64?
    /// Sums over the ring (the window).
    public private(set) var requestsInWindow = 0
    public private(set) var retriesInWindow = 0

    /// - Parameters:
    ///   - percent: retries allowed as a percentage of the requests in the window (`retries.budget_percent`).
    ///   - minPerSecond: retries allowed per second of the window regardless of traffic (`retries.min_retries_per_second`).
    ///   - seconds: window length in seconds (at least 1).
    public init(percent: Int, minPerSecond: Int, window seconds: Int = 10) {
        self.percent = max(0, percent)
        self.minPerSecond = max(0, minPerSecond)
        self.windowSeconds = max(1, seconds)
        self.requestCounts = Array(repeating: 0, count: self.windowSeconds)
        self.retryCounts = Array(repeating: 0, count: self.windowSeconds)
    }

    /// Counts one request to the group. Call once per client request, not per attempt:
    /// retries are counted by `tryAcquireRetry`.
    public mutating func recordRequest(now: Int64) {
        let slot = advance(to: now)
        requestCounts[slot] &+= 1
        requestsInWindow &+= 1
    }

    /// Whether one more retry fits the budget at `now`; when it does, the retry is counted.
    public mutating func tryAcquireRetry(now: Int64) -> Bool {
        let slot = advance(to: now)
        // The rule scaled by 100, so the percentage stays exact in integers:
        // (retries + 1) × 100 <= minPerSecond × window × 100 + percent × requests.
        let floor = Self.saturatingMultiply(minPerSecond, windowSeconds * 100)
        let share = Self.saturatingMultiply(percent, requestsInWindow)
        let allowance = Self.saturatingAdd(floor, share)
        guard Self.saturatingMultiply(retriesInWindow + 1, 100) <= allowance else { return false }
        retryCounts[slot] &+= 1
        retriesInWindow &+= 1
        return true
    }

    /// Moves the window so that it ends at the second holding `now`, clearing the buckets
    /// that fell out of it, and returns the ring index of that second. A `now` earlier than
    /// the newest second seen (not expected from a monotonic clock) counts in the newest one.
    private mutating func advance(to now: Int64) -> Int {
        let second = Self.floorDivide(now, HealthTime.nanosPerSecond)
        let window = Int64(windowSeconds)
        guard let newest = newestSecond else {
            newestSecond = second
            return Self.slot(second, window)
        }
        guard second > newest else { return Self.slot(newest, window) }
        if second - newest >= window {
            for i in 0..<windowSeconds {
                requestCounts[i] = 0
                retryCounts[i] = 0
            }
            requestsInWindow = 0
            retriesInWindow = 0
        } else {
            var s = newest + 1
            while s <= second {
                let i = Self.slot(s, window)
                requestsInWindow -= requestCounts[i]
                retriesInWindow -= retryCounts[i]
                requestCounts[i] = 0
                retryCounts[i] = 0
                s += 1
            }
        }
        newestSecond = second
        return Self.slot(second, window)
    }

    private static func slot(_ second: Int64, _ window: Int64) -> Int {
        Int(((second % window) + window) % window)
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && a < 0) ? q - 1 : q
    }

    private static func saturatingMultiply(_ a: Int, _ b: Int) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max : product
    }

    private static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }
}
