import NIOConcurrencyHelpers

/// Runs async operations one after another, in call order (reloads must not interleave:
/// two overlapping reloads could both bind the same new listener). An actor alone does
/// not serialise, since it is re-entered at every `await`.
final class SerialRunner: Sendable {
    private let tail = NIOLockedValueBox<Task<Void, Never>?>(nil)

    func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let task: Task<T, any Error> = self.tail.withLockedValue { tail in
            let previous = tail
            let task = Task<T, any Error> {
                _ = await previous?.value
                return try await body()
            }
            tail = Task { _ = await task.result }
            return task
        }
        return try await task.value
    }
}
