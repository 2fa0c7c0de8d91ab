#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// One configuration reload attempt, as the admin API, the status page and the
/// `portico_config_reloads_total` metric report it.
public struct ReloadEvent: Sendable, Equatable {
    /// What asked for the reload.
    public enum Trigger: String, Sendable, Equatable {
        /// SIGHUP.
        case signal
        /// `POST /api/reload` on the admin listener.
        case admin
        /// The configuration file changed on disk (`portico run --watch`).
        case file
        /// A direct `ProxyServer.reload(config:)` call (embedding, tests).
        case api
    }

    /// Seconds since 1970-01-01 UTC.
    public var time: Double
    public var trigger: Trigger
    public var succeeded: Bool
    /// A one-line summary: what is now in force, or why the reload was refused.
    public var message: String
    /// Every diagnostic of a refused configuration (empty on success).
    public var diagnostics: [String]

    public init(time: Double, trigger: Trigger, succeeded: Bool, message: String, diagnostics: [String] = []) {
        self.time = time
        self.trigger = trigger
        self.succeeded = succeeded
        self.message = message
        self.diagnostics = diagnostics
    }
}

extension ReloadEvent {
    /// The wall-clock time now, as `time` stores it.
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// The recent reload attempts of one process and their running totals. Written by the
/// control plane only (a reload is rare), so a mutex is fine here.
public final class ReloadLog: Sendable {
    /// How many events `recent` keeps.
    public static let capacity = 50

    private struct State {
        var events: [ReloadEvent] = []
        var succeeded = 0
        var failed = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func record(_ event: ReloadEvent) {
        self.state.withLock { state in
            state.events.append(event)
            if state.events.count > Self.capacity {
                state.events.removeFirst(state.events.count - Self.capacity)
            }
            if event.succeeded {
                state.succeeded += 1
            } else {
                state.failed += 1
            }
        }
    }

    /// The last `capacity` events, oldest first.
    public var recent: [ReloadEvent] { self.state.withLock { $0.events } }

    /// Reloads that took effect since start.
    public var succeededCount: Int { self.state.withLock { $0.succeeded } }

    /// Reloads refused since start (the running configuration stayed).
    public var failedCount: Int { self.state.withLock { $0.failed } }
}
