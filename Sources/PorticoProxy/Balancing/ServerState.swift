import Logging
import PorticoCore
import Synchronization

/// The live state of one upstream server, shared by every event loop.
///
/// The request path only reads and bumps atomics here (availability, in-flight count);
/// the mutex guards the passive-health bookkeeping and is taken only when a request
/// fails, or succeeds right after failures. States are keyed by group and resolved
/// address and carried from one `RuntimeSnapshot` to the next, so health, ejections and
/// counters survive a reload or a DNS refresh.
final class ServerState: Sendable {
    /// `ip:port` of the resolved address; the key that survives reloads.
    let identity: String
    let groupName: String
    /// Requests in flight (counted only for policies and limits that read it).
    let inFlight = Atomic<Int>(0)
    /// Verdict of the active health checks (true when there are none).
    let activeHealthy: Atomic<Bool>
    /// Passive-health ejection deadline in uptime nanoseconds; 0 when not ejected.
    let ejectedUntil = Atomic<Int64>(0)
    /// When the server last became available again (uptime nanoseconds), for
    /// `slow_start`; 0 means "since start", which ramps nothing.
    let availableSince = Atomic<Int64>(0)
    /// Requests sent and attempts failed, for status and metrics.
    let requestsTotal = Atomic<Int>(0)
    let failuresTotal = Atomic<Int>(0)
    /// `ServerAdminState.code`, set by the admin API. An atomic (one relaxed load per
    /// pick) because every worker reads it while the control plane writes it; it lives
    /// here, with health, so it survives reloads and DNS refreshes the same way.
    let adminCode = Atomic<UInt8>(ServerAdminState.enabled.code)
    /// Passive-health ejections since start (`portico_upstream_server_ejections_total`).
    let ejectionsTotal = Atomic<Int>(0)

    private let outlier = Mutex(OutlierState())
    /// Mirrors "the outlier state has a failure streak", so a success normally costs
    /// one atomic load instead of a lock.
    private let hasFailureStreak = Atomic<Bool>(false)
    private let logger: Logger

    init(identity: String, groupName: String, startHealthy: Bool, logger: Logger) {
        self.identity = identity
        self.groupName = groupName
        self.activeHealthy = Atomic(startHealthy)
        self.logger = logger
    }

    /// Healthy by the active checks and not ejected. An ejection that has run out is
    /// ended here, by whichever request sees it first (no timer per ejection).
    @inline(__always)
    func isAvailable(now: Int64) -> Bool {
        guard self.activeHealthy.load(ordering: .relaxed) else { return false }
        let until = self.ejectedUntil.load(ordering: .relaxed)
        if until == 0 { return true }
        if now < until { return false }
        self.endEjection(now: now, deadline: until)
        return true
    }

    var isEjected: Bool { self.ejectedUntil.load(ordering: .relaxed) != 0 }

    var adminState: ServerAdminState { ServerAdminState(code: self.adminCode.load(ordering: .relaxed)) }

    /// Whether the balancer may choose it for a request nothing pins (`enabled`).
    @inline(__always)
    var takesNewRequests: Bool { self.adminCode.load(ordering: .relaxed) == ServerAdminState.enabled.code }

    /// Whether the balancer may choose it for a request a sticky cookie pins to it
    /// (`enabled` or `draining`).
    @inline(__always)
    var takesPinnedRequests: Bool { self.adminCode.load(ordering: .relaxed) != ServerAdminState.disabled.code }

    /// Sets the operator state; logs a change once.
    func setAdminState(_ state: ServerAdminState) {
        let previous = ServerAdminState(code: self.adminCode.exchange(state.code, ordering: .relaxed))
        guard previous != state else { return }
        self.logger.notice(
            "upstream server admin state changed",
            metadata: [
                "upstream": "\(self.groupName)", "server": "\(self.identity)",
                "from": "\(previous.rawValue)", "to": "\(state.rawValue)",
            ]
        )
    }

    private func endEjection(now: Int64, deadline: Int64) {
        guard self.ejectedUntil.compareExchange(expected: deadline, desired: 0, ordering: .relaxed).exchanged else {
            return
        }
        _ = self.outlier.withLock { $0.restoreIfDue(now: now) }
        self.availableSince.store(now, ordering: .relaxed)
        self.logger.notice(
            "upstream server restored",
            metadata: ["upstream": "\(self.groupName)", "server": "\(self.identity)", "reason": "ejection period over"]
        )
    }

    /// A request to this server got a usable response.
    @inline(__always)
    func recordSuccess() {
        if self.hasFailureStreak.load(ordering: .relaxed) {
            self.hasFailureStreak.store(false, ordering: .relaxed)
            self.outlier.withLock { $0.recordSuccess() }
        }
    }

    /// Counts a failure; returns true when the server reached the ejection threshold
    /// (the group then decides whether its ejection cap allows it).
    func recordFailure(now: Int64, config: OutlierDetectionConfig) -> Bool {
        self.failuresTotal.wrappingAdd(1, ordering: .relaxed)
        guard config.enabled else { return false }
        self.hasFailureStreak.store(true, ordering: .relaxed)
        return self.outlier.withLock { $0.recordFailure(now: now, config: config) }
    }

    /// Ejects the server; logs once with the reason.
    func eject(now: Int64, config: OutlierDetectionConfig, reason: String) {
        let (deadline, count) = self.outlier.withLock { state in
            (state.eject(now: now, config: config), state.ejectionCount)
        }
        self.ejectedUntil.store(max(deadline, 1), ordering: .relaxed)
        self.ejectionsTotal.wrappingAdd(1, ordering: .relaxed)
        let seconds = Double(deadline - now) / 1e9
        self.logger.warning(
            "upstream server ejected",
            metadata: [
                "upstream": "\(self.groupName)", "server": "\(self.identity)", "reason": "\(reason)",
                "ejection": "\(count)", "seconds": "\(seconds)",
            ]
        )
    }

    /// The verdict of the active checks changed.
    func setActiveHealth(_ healthy: Bool, now: Int64, reason: String) {
        let was = self.activeHealthy.exchange(healthy, ordering: .relaxed)
        guard was != healthy else { return }
        if healthy {
            self.availableSince.store(now, ordering: .relaxed)
        }
        let message: Logger.Message = healthy ? "upstream server up" : "upstream server down"
        self.logger.log(
            level: healthy ? .notice : .warning,
            message,
            metadata: ["upstream": "\(self.groupName)", "server": "\(self.identity)", "reason": "\(reason)"]
        )
    }

    /// `weight` scaled by `slow_start`: from 1% up to 100% over the period after the
    /// server became available again (nginx Plus and Envoy ramp the same way).
    @inline(__always)
    func effectiveWeight(configured weight: Int, slowStart: Int64, now: Int64) -> Int {
        let scaled = weight * 100
        guard slowStart > 0 else { return scaled }
        let since = self.availableSince.load(ordering: .relaxed)
        guard since != 0, now - since < slowStart else { return scaled }
        let fraction = Double(max(now - since, 0)) / Double(slowStart)
        return max(Int(Double(scaled) * fraction), max(scaled / 100, 1))
    }
}
