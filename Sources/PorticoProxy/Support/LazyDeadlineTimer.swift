import NIOCore

/// A resettable timeout that costs nothing per reset.
///
/// Scheduling and cancelling a NIO task allocates and touches the event loop's timer
/// heap; doing that for every request (client idle, header, upstream header timeouts)
/// would show up in per-request CPU. Instead this keeps a single scheduled task per
/// connection and a `deadline` value: `arm(_:)` only stores the new deadline, and when
/// the task fires it either reports expiry or re-schedules itself for the current
/// deadline (the approach nginx takes with its timer tree, without allocations).
///
/// Confined to one event loop; not `Sendable`.
final class LazyDeadlineTimer {
    private let eventLoop: any EventLoop
    private var deadline: NIODeadline?
    private var scheduledFor: NIODeadline?
    private var task: Scheduled<Void>?
    private let onExpiry: () -> Void

    /// - Parameter onExpiry: called on the event loop when an armed deadline passes.
    init(eventLoop: any EventLoop, onExpiry: @escaping () -> Void) {
        self.eventLoop = eventLoop
        self.onExpiry = onExpiry
    }

    /// Arms (or re-arms) the timer to fire `timeout` from now.
    func arm(_ timeout: TimeAmount) {
        let newDeadline = self.eventLoop.now + timeout
        self.deadline = newDeadline
        // Only touch the loop's timer heap when the existing task would fire too late;
        // firing early is handled by re-scheduling in `fire()`.
        if let scheduledFor = self.scheduledFor, scheduledFor <= newDeadline {
            return
        }
        self.schedule(at: newDeadline)
    }

    /// Disarms the timer. The underlying task, if any, stays scheduled and is ignored
    /// when it fires, which is cheaper than cancelling it on every request.
    func disarm() {
        self.deadline = nil
    }

    /// Cancels everything; call when the connection closes.
    func cancel() {
        self.deadline = nil
        self.scheduledFor = nil
        self.task?.cancel()
        self.task = nil
    }

    var isArmed: Bool { self.deadline != nil }

    private func schedule(at deadline: NIODeadline) {
        self.task?.cancel()
        self.scheduledFor = deadline
        self.task = self.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) { [self] in
            self.fire()
        }
    }

    private func fire() {
        self.task = nil
        self.scheduledFor = nil
        guard let deadline = self.deadline else { return }
        if deadline <= self.eventLoop.now {
            self.deadline = nil
            self.onExpiry()
        } else {
            self.schedule(at: deadline)
        }
    }
}
