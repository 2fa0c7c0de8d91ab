import Dispatch
import Foundation
import Synchronization

/// A clock shared by test threads: every reader advances it, so the run's duration is
/// `reads × step` no matter how the threads interleave.
final class SharedManualClock: Sendable {
    private let nanos = Atomic<Int64>(0)

    /// Advances by `step` and returns the new time.
    func tick(_ step: Int64) -> Int64 {
        nanos.wrappingAdd(step, ordering: .relaxed).newValue
    }

    var now: Int64 { nanos.load(ordering: .relaxed) }
}

final class SharedCounter: Sendable {
    private let value = Atomic<Int>(0)
    func add(_ n: Int) { value.wrappingAdd(n, ordering: .relaxed) }
    /// Raises the stored value to `n` if it is larger (a high-water mark).
    func raise(to n: Int) {
        var current = value.load(ordering: .relaxed)
        while current < n {
            let (exchanged, original) = value.weakCompareExchange(expected: current, desired: n, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
    var current: Int { value.load(ordering: .relaxed) }
}

/// Runs `body(index)` on `count` new OS threads that start together, and waits for all:
/// real parallelism, unlike tasks on a cooperative pool as small as the core count.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    let waiting = SharedCounter()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            waiting.add(1)
            while waiting.current < count {}  // start barrier
            body(index)
            group.leave()
        }
        thread.start()
    }
    group.wait()
}
