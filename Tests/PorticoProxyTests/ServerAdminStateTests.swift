import Logging
import NIOCore
import PorticoCore
import Testing

@testable import PorticoProxy

/// Drain and disable at the balancing level, without sockets: who gets picked, what
/// sticky clients do, and that the state survives a reload.
@Suite struct ServerAdminStateTests {
    static let logger = Logger(label: "test")

    static func group(_ ports: [Int], balance: BalancePolicy = .roundRobin, backupPorts: [Int] = []) -> UpstreamGroupConfig {
        var config = UpstreamGroupConfig(
            name: "app",
            servers: ports.map { UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: $0)) }
                + backupPorts.map { UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: $0), backup: true) }
        )
        config.balance = balance
        return config
    }

    /// Picks `count` times and returns the chosen servers' identities (nil: none).
    static func picks(
        _ state: inout WorkerGroupState, count: Int, request: BalanceRequest = BalanceRequest()
    ) -> [String?] {
        (0..<count).map { _ in
            if case .server(let index) = state.select(request: request, tried: ServerSet(), now: 1, checkLimits: true) {
                return state.members.servers[index].identity
            }
            return nil
        }
    }

    @Test func stateDefaultsToEnabledAndRoundTrips() {
        let state = ServerState(identity: "10.0.0.1:80", groupName: "app", startHealthy: true, logger: Self.logger)
        #expect(state.adminState == .enabled)
        for target in ServerAdminState.allCases {
            state.setAdminState(target)
            #expect(state.adminState == target)
            #expect(ServerAdminState(code: target.code) == target)
        }
    }

    @Test(arguments: [ServerAdminState.draining, .disabled], [BalancePolicy.roundRobin, .leastRequests, .consistentHash, .sticky])
    func nonEnabledServerGetsNoNewRequests(_ adminState: ServerAdminState, _ policy: BalancePolicy) {
        let group = UpstreamGroupRuntime(config: Self.group([1001, 1002, 1003], balance: policy), previous: nil, logger: Self.logger)
        group.members.servers[1].state.setAdminState(adminState)
        var worker = WorkerGroupState(group: group)
        let chosen = (0..<60).map { key -> String? in
            let request = BalanceRequest(hashKey: UInt64(key) &* 0x9E37_79B9_7F4A_7C15)
            return Self.picks(&worker, count: 1, request: request)[0]
        }
        #expect(!chosen.contains(nil))
        #expect(!chosen.contains("127.0.0.1:1002"))
        #expect(Set(chosen.compactMap { $0 }) == ["127.0.0.1:1001", "127.0.0.1:1003"])
    }

    @Test func enablingPutsTheServerBackIntoRotation() {
        let group = UpstreamGroupRuntime(config: Self.group([1001, 1002]), previous: nil, logger: Self.logger)
        let server = group.members.servers[0].state
        server.setAdminState(.disabled)
        var worker = WorkerGroupState(group: group)
        #expect(Set(Self.picks(&worker, count: 10)) == ["127.0.0.1:1002"])
        server.setAdminState(.enabled)
        #expect(Set(Self.picks(&worker, count: 10)) == ["127.0.0.1:1001", "127.0.0.1:1002"])
    }

    @Test func stickyClientsKeepADrainingServerButLeaveADisabledOne() {
        let group = UpstreamGroupRuntime(config: Self.group([1001, 1002], balance: .sticky), previous: nil, logger: Self.logger)
        let pinned = BalanceRequest(stickyServer: 0)
        let state = group.members.servers[0].state
        var worker = WorkerGroupState(group: group)

        state.setAdminState(.draining)
        // Pinned requests still go to the draining server (HAProxy `drain`)…
        #expect(Set(Self.picks(&worker, count: 10, request: pinned)) == ["127.0.0.1:1001"])
        // …unpinned ones never do.
        #expect(Set(Self.picks(&worker, count: 10)) == ["127.0.0.1:1002"])

        state.setAdminState(.disabled)
        // Disabled (HAProxy `maint`): even pinned clients move on.
        #expect(Set(Self.picks(&worker, count: 10, request: pinned)) == ["127.0.0.1:1002"])
    }

    @Test func drainingServerThatIsDownLosesItsPinnedClients() {
        let group = UpstreamGroupRuntime(config: Self.group([1001, 1002], balance: .sticky), previous: nil, logger: Self.logger)
        let state = group.members.servers[0].state
        state.setAdminState(.draining)
        state.setActiveHealth(false, now: 1, reason: "test")
        var worker = WorkerGroupState(group: group)
        #expect(Set(Self.picks(&worker, count: 5, request: BalanceRequest(stickyServer: 0))) == ["127.0.0.1:1002"])
    }

    @Test func backupsTakeOverWhenEveryPrimaryIsDisabled() {
        let group = UpstreamGroupRuntime(config: Self.group([1001, 1002], backupPorts: [2001]), previous: nil, logger: Self.logger)
        for server in group.members.servers where !server.isBackup {
            server.state.setAdminState(.disabled)
        }
        var worker = WorkerGroupState(group: group)
        #expect(Set(Self.picks(&worker, count: 5)) == ["127.0.0.1:2001"])
        group.members.servers[2].state.setAdminState(.draining)
        #expect(Self.picks(&worker, count: 1) == [nil])
    }

    @Test func everyServerDisabledMeansNoneAvailableNotBusy() {
        var config = Self.group([1001])
        config.servers[0].maxConnections = 1
        let group = UpstreamGroupRuntime(config: config, previous: nil, logger: Self.logger)
        let state = group.members.servers[0].state
        state.inFlight.store(1, ordering: .relaxed)
        state.setAdminState(.draining)
        var worker = WorkerGroupState(group: group)
        // A full draining server is not worth queueing for.
        guard case .noneAvailable = worker.select(request: BalanceRequest(), tried: ServerSet(), now: 1, checkLimits: true) else {
            Issue.record("expected noneAvailable")
            return
        }
    }

    @Test func snapshotSetsStateByGroupAndAddressAndReloadKeepsIt() throws {
        let first = try RuntimeSnapshot(config: PorticoConfig(upstreams: [Self.group([1001, 1002])]), logger: Self.logger)
        #expect(first.setAdminState(.draining, group: "app", server: "127.0.0.1:1002"))
        #expect(!first.setAdminState(.draining, group: "app", server: "127.0.0.1:9999"))
        #expect(!first.setAdminState(.draining, group: "nope", server: "127.0.0.1:1002"))
        #expect(first.upstreamStatus().map(\.adminState) == [.enabled, .draining])

        let second = try RuntimeSnapshot(
            config: PorticoConfig(upstreams: [Self.group([1002, 1003])]), previous: first, logger: Self.logger
        )
        let status = second.upstreamStatus()
        #expect(status.map(\.server) == ["127.0.0.1:1002", "127.0.0.1:1003"])
        #expect(status.map(\.adminState) == [.draining, .enabled])
        #expect(status.map(\.weight) == [1, 1])
    }
}
