import NIOCore
import Synchronization

/// Requests waiting for a slot because every eligible server of the group is at its
/// `max_connections` (HAProxy's server queue, nginx Plus's `queue`).
///
/// Waiters come from any event loop. A slot freed on one loop wakes the oldest waiter
/// on its own loop, where it tries to choose a server again. The lock is taken only on
/// this slow path; the fast path checks `count` with one atomic load.
final class GroupWaitQueue: Sendable {
    struct Waiter: Sendable {
        let id: UInt64
        let eventLoop: any EventLoop
        /// Runs on `eventLoop`.
        let wake: @Sendable () -> Void
    }

    let capacity: Int
    /// Waiters queued now (read without the lock on every freed slot).
    let count = Atomic<Int>(0)
    private let waiters = Mutex<[Waiter]>([])
    private let nextID = Atomic<UInt64>(1)

    init(capacity: Int) {
        self.capacity = capacity
    }

    func makeID() -> UInt64 {
        self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// Queues a waiter at the back, or returns false when the queue is full.
    func enqueue(_ waiter: Waiter) -> Bool {
        self.waiters.withLock { list in
            guard list.count < self.capacity else { return false }
            list.append(waiter)
            self.count.store(list.count, ordering: .relaxed)
            return true
        }
    }

    /// Removes a waiter that gave up (timed out or its client left). Returns whether it was queued.
    @discardableResult
    func remove(id: UInt64) -> Bool {
        self.waiters.withLock { list in
            guard let index = list.firstIndex(where: { $0.id == id }) else { return false }
            list.remove(at: index)
            self.count.store(list.count, ordering: .relaxed)
            return true
        }
    }

    /// A slot was freed: the oldest waiter tries again on its own loop.
    @inline(__always)
    func slotFreed() {
        guard self.count.load(ordering: .relaxed) > 0 else { return }
        let waiter: Waiter? = self.waiters.withLock { list in
            guard !list.isEmpty else { return nil }
            let first = list.removeFirst()
            self.count.store(list.count, ordering: .relaxed)
            return first
        }
        if let waiter {
            waiter.eventLoop.execute(waiter.wake)
        }
    }
}
