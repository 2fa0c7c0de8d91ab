import Dispatch
import PorticoCache
import Synchronization
import Testing

@Suite("RequestCollapser")
struct RequestCollapserTests {
    /// Counts `onDone` calls per follower id.
    final class Calls: Sendable {
        private let state = Mutex<[UInt64: [RequestCollapser.Outcome]]>([:])

        func record(_ id: UInt64, _ outcome: RequestCollapser.Outcome) {
            self.state.withLock { $0[id, default: []].append(outcome) }
        }

        var byID: [UInt64: [RequestCollapser.Outcome]] { self.state.withLock { $0 } }
    }

    /// Joins as a follower whose calls are recorded under its own id.
    private func join(_ collapser: RequestCollapser, _ key: String, _ calls: Calls) -> RequestCollapser.Role {
        let id = Locked<UInt64?>(nil)
        let role = collapser.join(key: key) { outcome in calls.record(id.withLock { $0 } ?? 0, outcome) }
        if case .follower(let followerID) = role { id.withLock { $0 = followerID } }
        return role
    }

    @Test("the first join is the leader; later joins are followers with distinct ids")
    func leaderThenFollowers() {
        let collapser = RequestCollapser()
        #expect(collapser.join(key: "k") { _ in } == .leader)
        let a = collapser.join(key: "k") { _ in }
        let b = collapser.join(key: "k") { _ in }
        guard case .follower(let idA) = a, case .follower(let idB) = b else {
            Issue.record("expected followers, got \(a), \(b)")
            return
        }
        #expect(idA != idB)
        #expect(collapser.join(key: "other") { _ in } == .leader)
        #expect(collapser.inFlightKeys == 2)
    }

    @Test("100 concurrent joins on one key: exactly one leader, 99 followers, each called once")
    func concurrentJoins() {
        let collapser = RequestCollapser()
        let calls = Calls()
        let roles = Locked<[RequestCollapser.Role]>([])
        DispatchQueue.concurrentPerform(iterations: 100) { _ in
            let role = collapser.join(key: "GET https://example.com/hot") { outcome in
                // The id is not known inside the callback: record under 0 and count.
                calls.record(0, outcome)
            }
            roles.withLock { $0.append(role) }
        }
        let all = roles.withLock { $0 }
        #expect(all.filter { $0 == .leader }.count == 1)
        let followerIDs = all.compactMap { role -> UInt64? in
            if case .follower(let id) = role { return id } else { return nil }
        }
        #expect(followerIDs.count == 99)
        #expect(Set(followerIDs).count == 99)
        #expect(collapser.inFlightKeys == 1)

        collapser.complete(key: "GET https://example.com/hot", outcome: .stored)
        #expect(calls.byID[0] == Array(repeating: .stored, count: 99))
        #expect(collapser.inFlightKeys == 0)
        // Completing twice calls nobody again.
        collapser.complete(key: "GET https://example.com/hot", outcome: .notStored)
        #expect(calls.byID[0]?.count == 99)
    }

    @Test("complete calls each follower once with the outcome")
    func completeCallsEachOnce() {
        let collapser = RequestCollapser()
        let calls = Calls()
        #expect(self.join(collapser, "k", calls) == .leader)
        var ids: [UInt64] = []
        for _ in 0..<3 {
            if case .follower(let id) = self.join(collapser, "k", calls) { ids.append(id) }
        }
        #expect(ids.count == 3)
        collapser.complete(key: "k", outcome: .notStored)
        #expect(calls.byID == Dictionary(uniqueKeysWithValues: ids.map { ($0, [RequestCollapser.Outcome.notStored]) }))
    }

    @Test("leave prevents the call; leaving twice or after completion returns false")
    func leave() {
        let collapser = RequestCollapser()
        let calls = Calls()
        _ = self.join(collapser, "k", calls)
        guard case .follower(let gone) = self.join(collapser, "k", calls),
            case .follower(let stays) = self.join(collapser, "k", calls)
        else {
            Issue.record("expected followers")
            return
        }
        #expect(collapser.leave(key: "k", id: gone))
        #expect(!collapser.leave(key: "k", id: gone))
        #expect(!collapser.leave(key: "other", id: stays))
        collapser.complete(key: "k", outcome: .stored)
        #expect(calls.byID == [stays: [.stored]])
        #expect(!collapser.leave(key: "k", id: stays))
    }

    @Test("the next join after complete is a leader again, even from inside a callback")
    func leaderAgainAfterComplete() {
        let collapser = RequestCollapser()
        let rejoined = Locked<RequestCollapser.Role?>(nil)
        #expect(collapser.join(key: "k") { _ in } == .leader)
        _ = collapser.join(key: "k") { _ in
            // Runs outside the lock: joining again here must not deadlock.
            rejoined.withLock { $0 = collapser.join(key: "k") { _ in } }
        }
        collapser.complete(key: "k", outcome: .notStored)
        #expect(rejoined.withLock { $0 } == .leader)
        #expect(collapser.inFlightKeys == 1)
        collapser.complete(key: "k", outcome: .stored)
        #expect(collapser.inFlightKeys == 0)
        #expect(collapser.join(key: "k") { _ in } == .leader)
    }
}

/// A `Mutex` in a class, so escaping closures can share it.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        self.mutex = Mutex(value)
    }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        self.mutex.withLock { body(&$0) }
    }
}
