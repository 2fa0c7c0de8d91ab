import NIOCore

/// The data-path metrics of one worker (event loop): counters and histograms it updates
/// as its requests finish, with no lock and no atomic — like the rest of `ProxyWorker`,
/// it is only ever touched on that worker's loop. A scrape asks each worker for a copy
/// on its own loop (`ProxyWorker.trafficMetrics()`) and adds the copies up.
///
/// Per-request cost: a clock read, a name check that compares string storage, and a
/// few integer additions into preallocated slots — no hashing, no allocation.
///
/// **Reloads.** The slots of the current generation are arrays indexed like
/// `RuntimeSnapshot.routes` and `.groups`. When a reload swaps the snapshot, `bind(to:)`
/// folds them into `folded`, a name-keyed `TrafficMetrics`, and starts new slots, so a
/// route or group that keeps its name keeps counting monotonically (Prometheus counters
/// must never go down). A request that started under the old generation and finishes
/// under the new one fails the slot's name/identity check and is added to `folded` by
/// name instead (a dictionary update, but only for the few requests spanning a reload).
final class WorkerMetrics {
    /// What one route of the current generation counted.
    struct RouteSlot {
        var forwarded = StatusClassCounts()
        var local = StatusClassCounts()
        var duration = LatencyHistogram()
        var requestBytes = 0
        var responseBytes = 0
        var rateLimited = 0

        func traffic(upstream: String) -> RouteTraffic {
            // The route's own series exist from the start, at zero (so a rate over them
            // works from the first request); the "answered locally" series of a
            // forwarding route appears once it counted something.
            var traffic = RouteTraffic()
            let forwards = upstream != TrafficMetrics.notForwarded
            if forwards {
                traffic.requests[upstream] = self.forwarded
            }
            if self.local.total > 0 || !forwards {
                traffic.requests[TrafficMetrics.notForwarded, default: StatusClassCounts()] += self.local
            }
            traffic.duration = self.duration
            traffic.requestBytes = self.requestBytes
            traffic.responseBytes = self.responseBytes
            traffic.rateLimited = self.rateLimited
            return traffic
        }
    }

    /// What one upstream group of the current generation counted.
    struct GroupSlot {
        var duration = LatencyHistogram()
        var retries = 0

        var traffic: UpstreamTraffic {
            var traffic = UpstreamTraffic()
            traffic.duration = self.duration
            traffic.retries = self.retries
            return traffic
        }
    }

    // Current generation, indexed like `RuntimeSnapshot.routes` / `.groups`.
    private var routeSlots: [RouteSlot] = []
    private var routeNames: [String] = []
    /// The group each route forwards to (its upstream label), or `notForwarded`.
    private var routeUpstreams: [String] = []
    private var groupSlots: [GroupSlot] = []
    private var groups: [UpstreamGroupRuntime] = []
    /// Requests that matched no route; not tied to a generation.
    private var unmatched = RouteSlot()
    /// Earlier generations, and requests that outlived their generation, by name.
    private var folded = TrafficMetrics()

    // Listeners (not part of a generation: a reload does not re-bind them). The runtime
    // is held so its identifier cannot be reused by another listener.
    private var listenerSlots: [ObjectIdentifier: Int] = [:]
    private var listeners: [ListenerRuntime] = []
    private var accepted: [Int] = []

    init(snapshot: RuntimeSnapshot) {
        self.bind(to: snapshot)
    }

    /// Starts counting for a new configuration generation; what the old one counted is
    /// kept by name.
    func bind(to snapshot: RuntimeSnapshot) {
        self.foldCurrentGeneration()
        self.routeNames = snapshot.routes.map(\.name)
        self.routeUpstreams = snapshot.routes.map { route in
            if case .upstream(let index) = route.action, index >= 0, index < snapshot.groups.count {
                return snapshot.groups[index].name
            }
            return TrafficMetrics.notForwarded
        }
        self.routeSlots = Array(repeating: RouteSlot(), count: snapshot.routes.count)
        self.groups = snapshot.groups
        self.groupSlots = Array(repeating: GroupSlot(), count: snapshot.groups.count)
    }

    private func foldCurrentGeneration() {
        for (index, slot) in self.routeSlots.enumerated() {
            self.folded.routes[self.routeNames[index], default: RouteTraffic()]
                .merge(slot.traffic(upstream: self.routeUpstreams[index]))
        }
        for (index, slot) in self.groupSlots.enumerated() {
            self.folded.upstreams[self.groups[index].name, default: UpstreamTraffic()].merge(slot.traffic)
        }
        self.routeSlots = []
        self.groupSlots = []
    }

    // MARK: Recording (data path)

    /// Counts one finished exchange (its response is complete on the wire).
    @inline(__always)
    func record(_ exchange: Exchange) {
        let durationNanos = (NIODeadline.now() - exchange.startTime).nanoseconds
        let requestBytes = exchange.head.bytes.readableBytes &+ exchange.bodyBytesForwarded
        let group = exchange.group
        let index = exchange.routeIndex
        if exchange.route == nil || index < 0 {
            Self.add(
                to: &self.unmatched, forwarded: false, status: exchange.status, durationNanos: durationNanos,
                requestBytes: requestBytes, responseBytes: exchange.bytesSent
            )
        } else if index < self.routeSlots.count, self.routeNames[index] == exchange.routeName,
            group == nil || (exchange.groupIndex < self.groups.count && self.groups[exchange.groupIndex] === group)
        {
            Self.add(
                to: &self.routeSlots[index], forwarded: group != nil, status: exchange.status,
                durationNanos: durationNanos, requestBytes: requestBytes, responseBytes: exchange.bytesSent
            )
        } else {
            self.recordByName(exchange, durationNanos: durationNanos, requestBytes: requestBytes)
        }
        guard let group else { return }
        let retries = max(exchange.attempts &- 1, 0)
        if exchange.groupIndex < self.groups.count && self.groups[exchange.groupIndex] === group {
            if let upstream = exchange.upstreamDuration {
                self.groupSlots[exchange.groupIndex].duration.record(nanos: upstream.nanoseconds)
            }
            self.groupSlots[exchange.groupIndex].retries &+= retries
        } else {
            var traffic = UpstreamTraffic()
            if let upstream = exchange.upstreamDuration { traffic.duration.record(nanos: upstream.nanoseconds) }
            traffic.retries = retries
            self.folded.upstreams[group.name, default: UpstreamTraffic()].merge(traffic)
        }
    }

    @inline(__always)
    private static func add(
        to slot: inout RouteSlot, forwarded: Bool, status: Int, durationNanos: Int64,
        requestBytes: Int, responseBytes: Int
    ) {
        if forwarded {
            slot.forwarded.count(status: status)
        } else {
            slot.local.count(status: status)
        }
        slot.duration.record(nanos: durationNanos)
        slot.requestBytes &+= requestBytes
        slot.responseBytes &+= responseBytes
    }

    /// The slow path for a request of an earlier generation.
    private func recordByName(_ exchange: Exchange, durationNanos: Int64, requestBytes: Int) {
        var slot = RouteSlot()
        Self.add(
            to: &slot, forwarded: exchange.group != nil, status: exchange.status, durationNanos: durationNanos,
            requestBytes: requestBytes, responseBytes: exchange.bytesSent
        )
        let upstream = exchange.group?.name ?? TrafficMetrics.notForwarded
        self.folded.routes[exchange.routeName, default: RouteTraffic()].merge(slot.traffic(upstream: upstream))
    }

    /// The route's `rate_limit` refused this request (called where the refusal is made,
    /// since the status alone — configurable — does not tell).
    func recordRateLimited(_ exchange: Exchange) {
        let index = exchange.routeIndex
        if index >= 0, index < self.routeSlots.count, self.routeNames[index] == exchange.routeName {
            self.routeSlots[index].rateLimited &+= 1
        } else {
            self.folded.routes[exchange.routeName, default: RouteTraffic()].rateLimited += 1
        }
    }

    /// A client connection was admitted on `listener` (once per connection).
    func connectionAccepted(on listener: ListenerRuntime) {
        if let slot = self.listenerSlots[ObjectIdentifier(listener)] {
            self.accepted[slot] &+= 1
        } else {
            self.listenerSlots[ObjectIdentifier(listener)] = self.listeners.count
            self.listeners.append(listener)
            self.accepted.append(1)
        }
    }

    // MARK: Reading (scrape)

    /// A copy of everything counted so far, by name. `connections` are the worker's open
    /// client connections, from which the open-connection and in-flight gauges are read:
    /// counting them at scrape time costs the data path nothing.
    func traffic(connections: some Sequence<any ClientConnection>) -> TrafficMetrics {
        var traffic = self.folded
        for (index, slot) in self.routeSlots.enumerated() {
            traffic.routes[self.routeNames[index], default: RouteTraffic()]
                .merge(slot.traffic(upstream: self.routeUpstreams[index]))
        }
        if self.unmatched.local.total > 0 || self.unmatched.forwarded.total > 0 {
            traffic.routes[TrafficMetrics.unmatchedRoute, default: RouteTraffic()]
                .merge(self.unmatched.traffic(upstream: TrafficMetrics.notForwarded))
        }
        for (index, slot) in self.groupSlots.enumerated() {
            traffic.upstreams[self.groups[index].name, default: UpstreamTraffic()].merge(slot.traffic)
        }
        for (index, listener) in self.listeners.enumerated() {
            traffic.listeners[listener.name, default: ListenerTraffic()].accepted &+= self.accepted[index]
        }
        for connection in connections {
            var counts = traffic.listeners[connection.listener.name, default: ListenerTraffic()]
            counts.open += 1
            counts.inFlight += connection.requestsInFlight
            traffic.listeners[connection.listener.name] = counts
        }
        return traffic
    }
}
