import Synchronization

/// A single concurrency cap with no key: "at most N connections on this listener", "at
/// most N requests in flight on this route". One atomic, shared by every event loop.
///
/// `tryAcquire` is a compare-and-swap loop rather than add-then-undo, so that a burst of
/// losers at the limit cannot make a winner fail spuriously (with add-then-undo, the
/// transient over-count of failed attempts rejects acquisitions that would have fit).
public final class CountingLimiter: Sendable {
    /// Most in progress at once; 0 or less admits nothing.
    public let limit: Int
    private let inUse = Atomic<Int>(0)

    public init(limit: Int) {
        self.limit = limit
    }

    /// Takes one unit; false (and nothing taken) at the limit.
    public func tryAcquire() -> Bool {
        var current = inUse.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = inUse.weakCompareExchange(
                expected: current, desired: current + 1, ordering: .relaxed
            )
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Returns one unit. Returns false, and changes nothing, when none is held (an
    /// unmatched release must not push the count below zero and let the limit be exceeded).
    @discardableResult
    public func release() -> Bool {
        var current = inUse.load(ordering: .relaxed)
        while current > 0 {
            let (exchanged, original) = inUse.weakCompareExchange(
                expected: current, desired: current - 1, ordering: .relaxed
            )
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Units held now.
    public var current: Int { inUse.load(ordering: .relaxed) }
}
