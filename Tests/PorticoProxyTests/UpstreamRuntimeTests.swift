import Logging
import NIOCore
import PorticoCore
import Testing

@testable import PorticoProxy

/// The runtime side of load balancing without sockets: shared server state, passive
/// ejection caps, slow start, DNS membership changes and state carried across reloads.
@Suite struct UpstreamRuntimeTests {
    static let second: Int64 = 1_000_000_000
    static let logger = Logger(label: "test")

    static func group(
        _ addresses: [String],
        configure: (inout UpstreamGroupConfig) -> Void = { _ in }
    ) -> UpstreamGroupConfig {
        var config = UpstreamGroupConfig(
            name: "app",
            servers: addresses.map { text in
                let parts = text.split(separator: ":")
                return UpstreamServerConfig(address: HostPort(host: String(parts[0]), port: Int(parts[1])!))
            }
        )
        configure(&config)
        return config
    }

    @Test func slowStartRampsTheWeightAfterRecovery() {
        let state = ServerState(identity: "10.0.0.1:80", groupName: "app", startHealthy: true, logger: Self.logger)
        let period = 10 * Self.second
        // Present since start: full weight.
        #expect(state.effectiveWeight(configured: 2, slowStart: period, now: 5 * Self.second) == 200)
        state.setActiveHealth(false, now: 1 * Self.second, reason: "test")
        state.setActiveHealth(true, now: 100 * Self.second, reason: "test")
        #expect(state.effectiveWeight(configured: 2, slowStart: period, now: 100 * Self.second) == 2)  // 1% floor
        #expect(state.effectiveWeight(configured: 2, slowStart: period, now: 105 * Self.second) == 100)
        #expect(state.effectiveWeight(configured: 2, slowStart: period, now: 110 * Self.second) == 200)
        // Without slow_start the weight never ramps.
        #expect(state.effectiveWeight(configured: 2, slowStart: 0, now: 100 * Self.second) == 200)
    }

    @Test func ejectionEndsOnFirstLookAfterItsDeadline() {
        let state = ServerState(identity: "10.0.0.1:80", groupName: "app", startHealthy: true, logger: Self.logger)
        let config = OutlierDetectionConfig(consecutiveFailures: 2, baseEjectionTime: .seconds(30))
        #expect(!state.recordFailure(now: 0, config: config))
        #expect(state.recordFailure(now: 1, config: config))
        state.eject(now: 1, config: config, reason: "test")
        #expect(!state.isAvailable(now: 10 * Self.second))
        #expect(state.isAvailable(now: 31 * Self.second))
        #expect(!state.isEjected)
        // Slow start counts from the restore.
        let since = state.availableSince.load(ordering: .relaxed)
        #expect(since == 31 * Self.second)
    }

    @Test func maxEjectedPercentKeepsPartOfTheGroupInService() {
        let config = Self.group(["127.0.0.1:1001", "127.0.0.1:1002", "127.0.0.1:1003", "127.0.0.1:1004"]) {
            $0.outlierDetection = OutlierDetectionConfig(consecutiveFailures: 1, maxEjectedPercent: 50)
        }
        let group = UpstreamGroupRuntime(config: config, previous: nil, logger: Self.logger)
        for server in group.members.servers {
            group.attemptFailed(on: server, now: Self.second, reason: "test")
        }
        // 50% of 4: two ejected, two kept even though they failed too.
        #expect(group.members.ejectedCount() == 2)
    }

    @Test func successResetsTheFailureStreak() {
        let config = Self.group(["127.0.0.1:1001", "127.0.0.1:1002"]) {
            $0.outlierDetection = OutlierDetectionConfig(consecutiveFailures: 3)
        }
        let group = UpstreamGroupRuntime(config: config, previous: nil, logger: Self.logger)
        let server = group.members.servers[0]
        group.attemptFailed(on: server, now: 1, reason: "x")
        group.attemptFailed(on: server, now: 2, reason: "x")
        group.attemptSucceeded(on: server)
        group.attemptFailed(on: server, now: 3, reason: "x")
        group.attemptFailed(on: server, now: 4, reason: "x")
        #expect(group.members.ejectedCount() == 0)
        group.attemptFailed(on: server, now: 5, reason: "x")
        #expect(group.members.ejectedCount() == 1)
    }

    @Test func reloadCarriesServerStateByAddress() throws {
        let first = try RuntimeSnapshot(
            config: PorticoConfig(upstreams: [Self.group(["127.0.0.1:1001", "127.0.0.1:1002"])]),
            logger: Self.logger
        )
        let kept = first.groups[0].members.servers[1].state
        kept.setActiveHealth(false, now: 1, reason: "test")
        // The reload drops 1001, keeps 1002 and adds 1003.
        let second = try RuntimeSnapshot(
            config: PorticoConfig(upstreams: [Self.group(["127.0.0.1:1002", "127.0.0.1:1003"])]),
            previous: first,
            logger: Self.logger
        )
        let servers = second.groups[0].members.servers
        #expect(servers.map(\.identity) == ["127.0.0.1:1002", "127.0.0.1:1003"])
        #expect(servers[0].state === kept)
        let keptHealthy = servers[0].state.activeHealthy.load(ordering: .relaxed)
        let addedHealthy = servers[1].state.activeHealthy.load(ordering: .relaxed)
        #expect(!keptHealthy)
        #expect(addedHealthy)
        #expect(second.upstreamStatus().map(\.healthy) == [false, true])
    }

    @Test func dnsChangesReplaceMembersAndKeepStates() throws {
        let group = UpstreamGroupRuntime(
            config: Self.group(["127.0.0.1:1001"]),
            previous: nil,
            logger: Self.logger
        )
        let before = group.members
        let original = before.servers[0].state
        // The entry now resolves to two addresses (one of them the old one).
        let changed = group.applyResolution([
            0: [try SocketAddress(ipAddress: "127.0.0.1", port: 1001), try SocketAddress(ipAddress: "127.0.0.2", port: 1001)]
        ])
        #expect(changed)
        let after = group.members
        #expect(after.version > before.version)
        let version = group.membersVersion.load(ordering: .relaxed)
        #expect(version == after.version)
        #expect(after.servers.map(\.identity) == ["127.0.0.1:1001", "127.0.0.2:1001"])
        #expect(after.servers[0].state === original)
        // The same answer again changes nothing.
        #expect(!group.applyResolution([0: after.servers.map(\.socketAddress)]))
        // A failed lookup (entry missing) keeps the current addresses.
        #expect(!group.applyResolution([:]))
        #expect(group.members.servers.count == 2)
    }

    @Test func hostNamesResolveToEveryAddress() throws {
        let resolved = try DNSResolution.resolveAll(host: "localhost", port: 8080).get()
        #expect(!resolved.isEmpty)
        #expect(resolved.allSatisfy { $0.port == 8080 })
        #expect(resolved.first?.ipAddress == "127.0.0.1")
        #expect(throws: DNSResolution.DNSError.self) {
            try DNSResolution.resolveAll(host: "no-such-host.invalid", port: 80).get()
        }
    }

    @Test func workerStateFollowsMembershipChanges() throws {
        let group = UpstreamGroupRuntime(config: Self.group(["127.0.0.1:1001"]), previous: nil, logger: Self.logger)
        var state = WorkerGroupState(group: group)
        guard case .server(0) = state.select(request: BalanceRequest(), tried: ServerSet(), now: 0, checkLimits: false) else {
            Issue.record("expected server 0")
            return
        }
        group.applyResolution([0: [try SocketAddress(ipAddress: "127.0.0.9", port: 1001)]])
        state.refresh(from: group)
        #expect(state.members.servers.map(\.identity) == ["127.0.0.9:1001"])
        var tried = ServerSet()
        tried.insert(0)
        guard case .noneAvailable = state.select(request: BalanceRequest(), tried: tried, now: 0, checkLimits: false) else {
            Issue.record("expected none")
            return
        }
    }
}
