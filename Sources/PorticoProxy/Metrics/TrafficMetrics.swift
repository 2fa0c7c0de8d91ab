/// Data-path counters of one worker, or of all of them merged: what Prometheus scrapes
/// and what the status page's history is computed from.
///
/// Everything is keyed by *name* (route, upstream group, listener), never by the index
/// of one configuration generation, so values stay monotonic across reloads: a route
/// that keeps its name keeps counting where it left off. Plain values (`Sendable`), so
/// a worker hands a copy across threads and the copies merge by addition.
public struct TrafficMetrics: Sendable, Equatable {
    /// The route label of requests that matched no route (404). Configured route names
    /// are never empty, so it cannot collide with one.
    public static let unmatchedRoute = ""
    /// The upstream label of requests a route answered without forwarding (fixed
    /// responses, redirects, refusals such as 429, 403, 401).
    public static let notForwarded = "none"

    public var routes: [String: RouteTraffic] = [:]
    public var upstreams: [String: UpstreamTraffic] = [:]
    public var listeners: [String: ListenerTraffic] = [:]

    public init() {}

    public mutating func merge(_ other: TrafficMetrics) {
        for (name, route) in other.routes {
            self.routes[name, default: RouteTraffic()].merge(route)
        }
        for (name, upstream) in other.upstreams {
            self.upstreams[name, default: UpstreamTraffic()].merge(upstream)
        }
        for (name, listener) in other.listeners {
            self.listeners[name, default: ListenerTraffic()].merge(listener)
        }
    }

    public static func merged(_ parts: [TrafficMetrics]) -> TrafficMetrics {
        var total = TrafficMetrics()
        for part in parts { total.merge(part) }
        return total
    }

    /// Every finished request, across routes.
    public var requestCount: Int {
        self.routes.values.reduce(0) { $0 + $1.requestCount }
    }

    /// Finished requests answered with a 5xx status.
    public var serverErrorCount: Int {
        self.routes.values.reduce(0) { total, route in
            total + route.requests.values.reduce(0) { $0 + $1[5] }
        }
    }

    /// Request durations of every route together.
    public var requestDuration: LatencyHistogram {
        var total = LatencyHistogram()
        for route in self.routes.values { total += route.duration }
        return total
    }

    public var responseBytes: Int {
        self.routes.values.reduce(0) { $0 + $1.responseBytes }
    }
}

/// Finished requests by status class: `1xx` … `5xx`.
public struct StatusClassCounts: Sendable, Equatable {
    /// Lanes 0…4 hold 1xx…5xx; a fixed-size value, so counting never allocates.
    public internal(set) var lanes = SIMD8<Int>()

    public init() {}

    /// Lane of a status code; anything outside 100…599 counts with its nearest class.
    @inline(__always)
    static func lane(status: Int) -> Int {
        min(max(status / 100, 1), 5) &- 1
    }

    @inline(__always)
    public mutating func count(status: Int) {
        self.lanes[Self.lane(status: status)] &+= 1
    }

    /// Requests of one class, 1 (1xx) to 5 (5xx).
    public subscript(statusClass: Int) -> Int {
        (1...5).contains(statusClass) ? self.lanes[statusClass - 1] : 0
    }

    public var total: Int { self.lanes.wrappedSum() }

    public static func += (lhs: inout StatusClassCounts, rhs: StatusClassCounts) {
        lhs.lanes &+= rhs.lanes
    }
}

/// One route's finished requests.
public struct RouteTraffic: Sendable, Equatable {
    /// By upstream group (`TrafficMetrics.notForwarded` when answered locally), then
    /// status class. The group is the one the route pointed at when the request ran.
    public var requests: [String: StatusClassCounts] = [:]
    /// From the request head's arrival to the last response byte written.
    public var duration = LatencyHistogram()
    /// Request head bytes plus body bytes forwarded upstream.
    public var requestBytes = 0
    /// Response body bytes sent to clients (as `bytes_sent` in the access log).
    public var responseBytes = 0
    /// Requests refused by the route's `rate_limit` (429, or the configured status).
    public var rateLimited = 0

    public init() {}

    public var requestCount: Int {
        self.requests.values.reduce(0) { $0 + $1.total }
    }

    public mutating func merge(_ other: RouteTraffic) {
        for (upstream, counts) in other.requests {
            self.requests[upstream, default: StatusClassCounts()] += counts
        }
        self.duration += other.duration
        self.requestBytes &+= other.requestBytes
        self.responseBytes &+= other.responseBytes
        self.rateLimited &+= other.rateLimited
    }
}

/// One upstream group's attempts.
public struct UpstreamTraffic: Sendable, Equatable {
    /// From the first upstream attempt to the end of the upstream response (the
    /// access log's upstream duration), for requests that reached the group.
    public var duration = LatencyHistogram()
    /// Attempts beyond the first (another server tried after a failure).
    public var retries = 0

    public init() {}

    public mutating func merge(_ other: UpstreamTraffic) {
        self.duration += other.duration
        self.retries &+= other.retries
    }
}

/// One listener's client connections.
public struct ListenerTraffic: Sendable, Equatable {
    /// Connections admitted since start (counter).
    public var accepted = 0
    /// Connections open now (gauge).
    public var open = 0
    /// Requests whose response has not finished yet (gauge).
    public var inFlight = 0

    public init() {}

    public mutating func merge(_ other: ListenerTraffic) {
        self.accepted &+= other.accepted
        self.open &+= other.open
        self.inFlight &+= other.inFlight
    }
}
