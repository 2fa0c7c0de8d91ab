import Synchronization

/// Request collapsing: concurrent cache misses for one key send one upstream
/// request; the others wait for it, then look in the cache again (what nginx calls
/// `proxy_cache_lock` and Varnish "request coalescing"). RFC 9111 §4 allows a cache
/// to wait for a response it is already fetching instead of forwarding every miss.
///
/// Shared by every worker; thread-safe. One `Mutex` guards a dictionary of keys in
/// flight → waiting followers; it is held only for a dictionary update. Callbacks run
/// on the completing thread, *outside* the lock (so one may join again at once): a
/// caller on another event loop hops back itself.
public final class RequestCollapser: Sendable {
    public enum Role: Sendable, Equatable {
        /// Nobody fetches this key: the caller does, and must call `complete` once.
        case leader
        /// Somebody does: `onDone` will be called once (unless `leave` is called first).
        case follower(id: UInt64)
    }

    /// How the leader's request ended.
    public enum Outcome: Sendable, Equatable {
        /// A response was stored: followers look in the cache again.
        case stored
        /// Nothing usable was stored: followers forward on their own.
        case notStored
    }

    private struct Follower: Sendable {
        var id: UInt64
        var onDone: @Sendable (Outcome) -> Void
    }

    private struct State: Sendable {
        /// Keys being fetched → who waits for them (empty while only the leader is there).
        var flights: [String: [Follower]] = [:]
        var nextFollowerID: UInt64 = 1
    }

    private let state = Mutex(State())

    public init() {}

    /// Joins the fetch of `key`. `onDone` is kept only for a follower.
    public func join(key: String, onDone: @escaping @Sendable (Outcome) -> Void) -> Role {
        self.state.withLock { state in
            guard state.flights[key] != nil else {
                state.flights[key] = []
                return .leader
            }
            let id = state.nextFollowerID
            state.nextFollowerID &+= 1
            state.flights[key]!.append(Follower(id: id, onDone: onDone))
            return .follower(id: id)
        }
    }

    /// The leader's request for `key` ended: every follower's `onDone` runs once, and
    /// the next `join` for `key` becomes a leader. A `complete` for a key not in
    /// flight does nothing.
    public func complete(key: String, outcome: Outcome) {
        let followers = self.state.withLock { state in state.flights.removeValue(forKey: key) } ?? []
        for follower in followers { follower.onDone(outcome) }
    }

    /// A follower stops waiting (its wait timed out, its client left); its `onDone`
    /// will not run. Returns false when it already ran or is running.
    ///
    /// Linear in the key's followers: leaving is the exception (timeouts, resets).
    @discardableResult public func leave(key: String, id: UInt64) -> Bool {
        self.state.withLock { state in
            guard let index = state.flights[key]?.firstIndex(where: { $0.id == id }) else { return false }
            state.flights[key]!.remove(at: index)
            return true
        }
    }

    /// Keys being fetched now (for the admin API and tests).
    public var inFlightKeys: Int {
        self.state.withLock { state in state.flights.count }
    }
}
