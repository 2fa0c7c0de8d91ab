import PorticoCore
import Testing

private func identities(_ count: Int) -> [String] {
    (0..<count).map { "10.0.\($0 / 250).\($0 % 250 + 1):8080" }
}

/// 10,000 well-spread keys, as `BalanceKey` would produce them.
private let keys: [UInt64] = (0..<10_000).map { StableHash.hash("user-\($0)") }

/// The identity of the server each key goes to.
private func assignment(_ policy: inout ConsistentHashPolicy, names: [String], view: ArrayServerView) -> [String] {
    var random = SplitMix(seed: 1)
    return keys.map { key in
        names[policy.pick(view, request: BalanceRequest(hashKey: key), excluding: ServerSet(), random: &random)!]
    }
}

@Suite struct BalancingConsistentHashTests {
    @Test(arguments: [3, 5, 10])
    func removingAServerMovesOnlyItsKeys(count: Int) {
        let names = identities(count)
        var full = ConsistentHashPolicy(serverIdentities: names, weights: Array(repeating: 1, count: count))
        let before = assignment(&full, names: names, view: ArrayServerView(count: count))

        for removed in [0, count / 2, count - 1] {
            var remaining = names
            remaining.remove(at: removed)
            var smaller = ConsistentHashPolicy(serverIdentities: remaining, weights: Array(repeating: 1, count: count - 1))
            let after = assignment(&smaller, names: remaining, view: ArrayServerView(count: count - 1))

            var moved = 0
            for i in keys.indices where before[i] != after[i] {
                moved += 1
                #expect(before[i] == names[removed], "key \(i) moved from a server that stayed")
            }
            #expect(moved == before.filter { $0 == names[removed] }.count)
            #expect(Double(moved) <= 1.5 / Double(count) * Double(keys.count), "moved \(moved) of \(keys.count)")
        }
    }

    @Test(arguments: [3, 5, 10])
    func ineligibleServerMovesOnlyItsKeys(count: Int) {
        let names = identities(count)
        var policy = ConsistentHashPolicy(serverIdentities: names, weights: Array(repeating: 1, count: count))
        let before = assignment(&policy, names: names, view: ArrayServerView(count: count))
        let down = count / 2
        var view = ArrayServerView(count: count)
        view.eligible[down] = false
        let after = assignment(&policy, names: names, view: view)
        var moved = 0
        for i in keys.indices where before[i] != after[i] {
            moved += 1
            #expect(before[i] == names[down])
        }
        #expect(!after.contains(names[down]))
        #expect(moved == before.filter { $0 == names[down] }.count)
        #expect(Double(moved) <= 1.5 / Double(count) * Double(keys.count))
    }

    @Test(arguments: [3, 5, 10])
    func distributionIsRoughlyEven(count: Int) {
        let names = identities(count)
        var policy = ConsistentHashPolicy(serverIdentities: names, weights: Array(repeating: 1, count: count))
        let assigned = assignment(&policy, names: names, view: ArrayServerView(count: count))
        let expected = Double(keys.count) / Double(count)
        for name in names {
            let share = Double(assigned.filter { $0 == name }.count)
            #expect(abs(share - expected) <= 0.3 * expected, "\(name): \(share), expected \(expected)")
        }
    }

    @Test func weightsScaleShares() {
        let names = identities(2)
        var policy = ConsistentHashPolicy(serverIdentities: names, weights: [3, 1])
        #expect(policy.ring.points.count == 4 * HashRing.pointsPerWeight)
        let assigned = assignment(&policy, names: names, view: ArrayServerView(weights: [3, 1]))
        let heavy = assigned.filter { $0 == names[0] }.count
        #expect((6500...8500).contains(heavy), "\(heavy)")
    }

    @Test func stableAcrossIndependentRings() {
        let names = identities(5)
        var first = ConsistentHashPolicy(serverIdentities: names, weights: [1, 2, 1, 1, 3])
        var second = ConsistentHashPolicy(serverIdentities: names, weights: [1, 2, 1, 1, 3])
        #expect(first.ring == second.ring)
        let view = ArrayServerView(weights: [1, 2, 1, 1, 3])
        #expect(assignment(&first, names: names, view: view) == assignment(&second, names: names, view: view))

        // The server order does not matter, only the identities.
        let reversedNames = Array(names.reversed())
        var reversed = ConsistentHashPolicy(serverIdentities: reversedNames, weights: [3, 1, 1, 2, 1])
        #expect(
            assignment(&first, names: names, view: view)
                == assignment(&reversed, names: reversedNames, view: ArrayServerView(weights: [3, 1, 1, 2, 1]))
        )
    }

    @Test func ringPointsAreHashesOfIdentityAndIndex() {
        let ring = HashRing(serverIdentities: ["10.0.0.1:8080"], weights: [1])
        #expect(ring.points.count == 160)
        #expect(ring.points == ring.points.sorted())
        let expected = (0..<160).map { StableHash.hash("10.0.0.1:8080#\($0)") }.sorted()
        #expect(ring.points == expected)
        #expect(ring.points.contains(0x6528_3BF9_882A_6167))  // "10.0.0.1:8080#0", computed independently
        #expect(ring.owners.allSatisfy { $0 == 0 })
    }

    @Test func lookupWrapsAroundAndSkipsTried() {
        let names = identities(3)
        var policy = ConsistentHashPolicy(serverIdentities: names, weights: [1, 1, 1])
        var random = SplitMix(seed: 1)
        let view = ArrayServerView(count: 3)
        let ring = policy.ring
        // A key past the last point belongs to the first point's owner.
        let last = ring.points.last!
        if last < UInt64.max {
            #expect(policy.pick(view, request: BalanceRequest(hashKey: last + 1), excluding: ServerSet(), random: &random)
                == Int(ring.owners[0]))
        }
        #expect(policy.pick(view, request: BalanceRequest(hashKey: ring.points[5]), excluding: ServerSet(), random: &random)
            == Int(ring.owners[5]))
        // nil key = key 0.
        #expect(policy.pick(view, request: BalanceRequest(), excluding: ServerSet(), random: &random)
            == ring.owner(of: 0))
        // Retries walk on to other servers, then run out.
        let key = StableHash.hash("k")
        var tried = ServerSet()
        for _ in 0..<3 {
            let choice = policy.pick(view, request: BalanceRequest(hashKey: key), excluding: tried, random: &random)
            #expect(choice != nil && !tried.contains(choice!))
            tried.insert(choice!)
        }
        #expect(policy.pick(view, request: BalanceRequest(hashKey: key), excluding: tried, random: &random) == nil)
        let allDown = ArrayServerView(weights: [1, 1, 1], eligible: [false, false, false])
        #expect(policy.pick(allDown, request: BalanceRequest(hashKey: key), excluding: ServerSet(), random: &random) == nil)
    }

    @Test func emptyRing() {
        var policy = ConsistentHashPolicy(serverIdentities: [], weights: [])
        var random = SplitMix(seed: 1)
        #expect(policy.pick(ArrayServerView(count: 0), request: BalanceRequest(hashKey: 1), excluding: ServerSet(), random: &random) == nil)
    }
}
