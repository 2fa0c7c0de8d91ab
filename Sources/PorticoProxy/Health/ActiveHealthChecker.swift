import NIOCore
import PorticoCore

/// Active health checking for one upstream group: every `health_check.interval`, an HTTP
/// probe per server (`HealthProbe`), with each result fed into that server's
/// `ActiveHealthState`. `onChange` is called once per transition (healthy → unhealthy or
/// back), on `eventLoop`, with the reason given by the probe that caused it.
///
/// One checker per group for the whole process, not one per worker: probing from every
/// event loop would multiply the probe traffic by the number of cores without giving a
/// better answer. The owner fans transitions out to the workers.
///
/// Scheduling: each target has its own timer chain. The first probe runs soon after it is
/// added, after a small random delay (up to a fifth of the interval, at most 1 s) so servers
/// added together are not probed in lockstep; each next probe starts one interval after the
/// previous one started, or as soon as it completes if it took longer. So at most one probe
/// per target is ever in flight.
///
/// Targets are keyed by `Target.id`: `update` keeps the state of ids that remain, so health
/// survives reloads and DNS changes that keep a server.
///
/// Thread safety: all mutable state lives in a `NIOLoopBoundBox` confined to `eventLoop`;
/// public methods may be called from any thread and hop to the loop.
public final class ActiveHealthChecker: Sendable {
    /// A server to probe.
    public struct Target: Sendable, Hashable {
        /// Stable key, e.g. `"10.0.0.1:8080"`.
        public let id: String
        public let address: SocketAddress
        /// `Host` header of the probes unless `health_check.host` is set.
        public let hostHeader: String
        /// Probe over TLS (the server's group speaks TLS to it), or nil for plain TCP.
        public let tls: HealthProbeTLS?

        public init(id: String, address: SocketAddress, hostHeader: String, tls: HealthProbeTLS? = nil) {
            self.id = id
            self.address = address
            self.hostHeader = hostHeader
            self.tls = tls
        }

        // The TLS context has no identity worth comparing; whether TLS is used does.
        public static func == (lhs: Target, rhs: Target) -> Bool {
            lhs.id == rhs.id && lhs.address == rhs.address && lhs.hostHeader == rhs.hostHeader
                && (lhs.tls == nil) == (rhs.tls == nil)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(self.id)
            hasher.combine(self.address)
            hasher.combine(self.hostHeader)
            hasher.combine(self.tls == nil)
        }
    }

    private struct Entry {
        var target: Target
        var health: ActiveHealthState
        /// Distinguishes this entry from an earlier one with the same id (removed, then
        /// added again), so stale timers and probe results are ignored.
        var generation: UInt64
        var timer: Scheduled<Void>?
        var probing = false
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var stopped = false
        var nextGeneration: UInt64 = 0
        /// Probes in flight by entry generation, including those of removed targets, so
        /// that `stop` can wait for all of them.
        var probes: [UInt64: EventLoopFuture<ProbeResult>] = [:]
    }

    public let eventLoop: any EventLoop
    public let config: HealthCheckConfig
    private let onChange: @Sendable (_ target: Target, _ healthy: Bool, _ reason: String) -> Void
    private let state: NIOLoopBoundBox<State>

    /// - Parameter onChange: called on `eventLoop` once per health transition of a target.
    public init(
        eventLoop: any EventLoop,
        config: HealthCheckConfig,
        onChange: @escaping @Sendable (_ target: Target, _ healthy: Bool, _ reason: String) -> Void
    ) {
        self.eventLoop = eventLoop
        self.config = config
        self.onChange = onChange
        self.state = NIOLoopBoundBox.makeBoxSendingValue(State(), eventLoop: eventLoop)
    }

    /// Starts probing `targets`, each starting as `config.startHealthy` says. Calling it
    /// again (or after `stop`) behaves like `update(targets:initialHealth: [:])` and
    /// resumes probing.
    public func start(targets: [Target]) {
        onLoop { checker in
            checker.state.value.stopped = false
            checker.apply(targets: targets, initialHealth: [:])
        }
    }

    /// Replaces the target set. Ids already present keep their state (and their probe
    /// schedule; a changed address or host header is used from the next probe on). New ids
    /// start as `initialHealth[id]` says, or `config.startHealthy` when absent, which lets a
    /// new checker (after a reload) carry over what an old one knew. Removed ids stop being
    /// probed; a probe of theirs still in flight is ignored.
    public func update(targets: [Target], initialHealth: [String: Bool]) {
        onLoop { checker in
            checker.apply(targets: targets, initialHealth: initialHealth)
        }
    }

    /// Stops all probing. The future completes once probes in flight have finished (each is
    /// bounded by `config.timeout`); their results are discarded and `onChange` is not
    /// called after `stop` was processed on the loop.
    public func stop() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { [self] in
            var inFlight: [EventLoopFuture<Void>] = []
            state.withValue { state in
                state.stopped = true
                for id in state.entries.keys {
                    state.entries[id]!.timer?.cancel()
                    state.entries[id]!.timer = nil
                }
                inFlight = state.probes.values.map { $0.map { _ in () } }
            }
            return EventLoopFuture.andAllComplete(inFlight, on: eventLoop)
        }
    }

    /// The current verdict for `id`, `nil` if it is not a target. Blocks until the loop
    /// answers when called off the loop (meant for tests and admin views; the data path
    /// receives transitions through `onChange`).
    public func isHealthy(_ id: String) -> Bool? {
        if eventLoop.inEventLoop { return state.value.entries[id]?.health.isHealthy }
        return try? health(of: id).wait()
    }

    /// The current verdict for `id`, `nil` if it is not a target.
    public func health(of id: String) -> EventLoopFuture<Bool?> {
        eventLoop.submit { [self] in state.value.entries[id]?.health.isHealthy }
    }

    /// The current verdict of every target, by id (e.g. to seed a new checker's
    /// `initialHealth` on reload).
    public func healthSnapshot() -> EventLoopFuture<[String: Bool]> {
        eventLoop.submit { [self] in state.value.entries.mapValues { $0.health.isHealthy } }
    }

    // MARK: - On the loop

    private func onLoop(_ body: @escaping @Sendable (ActiveHealthChecker) -> Void) {
        if eventLoop.inEventLoop {
            body(self)
        } else {
            eventLoop.execute { [self] in body(self) }
        }
    }

    private func apply(targets: [Target], initialHealth: [String: Bool]) {
        let wanted = Dictionary(targets.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        var added: [String] = []
        state.withValue { state in
            for id in Array(state.entries.keys) where wanted[id] == nil {
                state.entries[id]!.timer?.cancel()
                state.entries.removeValue(forKey: id)
            }
            for (id, target) in wanted {
                if state.entries[id] != nil {
                    state.entries[id]!.target = target
                    if state.entries[id]!.timer == nil, !state.entries[id]!.probing {
                        added.append(id)  // kept, but not scheduled (the checker was stopped)
                    }
                    continue
                }
                state.nextGeneration += 1
                state.entries[id] = Entry(
                    target: target,
                    health: ActiveHealthState(
                        startHealthy: initialHealth[id] ?? config.startHealthy,
                        healthyThreshold: config.healthyThreshold,
                        unhealthyThreshold: config.unhealthyThreshold
                    ),
                    generation: state.nextGeneration
                )
                added.append(id)
            }
        }
        guard !state.value.stopped else { return }
        let interval = TimeAmount(config.interval).nanoseconds
        let maxJitter = max(0, min(interval / 5, TimeAmount.seconds(1).nanoseconds))
        for id in added {
            schedule(id, in: .nanoseconds(Int64.random(in: 0...maxJitter)))
        }
    }

    private func schedule(_ id: String, in delay: TimeAmount) {
        guard let generation = state.value.entries[id]?.generation else { return }
        let task = eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            probe(id, generation: generation)
        }
        state.value.entries[id]?.timer = task
    }

    private func probe(_ id: String, generation: UInt64) {
        guard !state.value.stopped, let entry = state.value.entries[id], entry.generation == generation else { return }
        let startedAt = NIODeadline.now()
        let probe = HealthProbe.run(
            config: config, address: entry.target.address, hostHeader: entry.target.hostHeader,
            tls: entry.target.tls, on: eventLoop
        )
        state.withValue { state in
            state.entries[id]?.timer = nil
            state.entries[id]?.probing = true
            state.probes[generation] = probe
        }
        probe.assumeIsolated().whenSuccess { [self] result in
            completed(id, generation: generation, startedAt: startedAt, result: result)
        }
    }

    private func completed(_ id: String, generation: UInt64, startedAt: NIODeadline, result: ProbeResult) {
        state.value.probes.removeValue(forKey: generation)
        guard var entry = state.value.entries[id], entry.generation == generation else { return }
        entry.probing = false
        guard !state.value.stopped else {
            state.value.entries[id] = entry
            return
        }
        let transition = entry.health.record(passed: result.passed)
        state.value.entries[id] = entry
        let next = startedAt + TimeAmount(config.interval)
        schedule(id, in: max(.zero, next - NIODeadline.now()))
        switch transition {
        case .becameHealthy: onChange(entry.target, true, result.reason)
        case .becameUnhealthy: onChange(entry.target, false, result.reason)
        case nil: break
        }
    }
}
