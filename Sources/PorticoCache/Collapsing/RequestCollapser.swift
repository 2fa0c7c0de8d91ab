/// Request collapsing (CONTRACT: signatures fixed; bodies are placeholders until the
/// storage work lands): concurrent cache misses for one key send one upstream
/// request; the others wait for it, then look in the cache again.
///
/// Shared by every worker; thread-safe. Callbacks run on the completing thread
/// (outside the lock): a caller on another event loop hops back itself.
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

    public init() {}

    /// Joins the fetch of `key`. `onDone` is kept only for a follower.
    public func join(key: String, onDone: @escaping @Sendable (Outcome) -> Void) -> Role {
        fatalError("placeholder")
    }

    /// The leader's request for `key` ended: every follower's `onDone` runs once, and
    /// the next `join` for `key` becomes a leader.
    public func complete(key: String, outcome: Outcome) {
        fatalError("placeholder")
    }

    /// A follower stops waiting (its wait timed out, its client left); its `onDone`
    /// will not run. Returns false when it already ran or is running.
    @discardableResult public func leave(key: String, id: UInt64) -> Bool {
        fatalError("placeholder")
    }

    /// Keys being fetched now (for the admin API and tests).
    public var inFlightKeys: Int {
        fatalError("placeholder")
    }
}
