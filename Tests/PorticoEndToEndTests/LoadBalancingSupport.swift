import NIOConcurrencyHelpers
import PorticoCore
import PorticoTesting

/// Three (or more) named origins that answer with their own name, for counting where
/// requests went.
struct NamedOrigins {
    let origins: [TestOrigin]
    let names: [String]

    static func start(
        _ names: [String],
        behavior: @escaping @Sendable (_ name: String, _ request: RecordedRequest) -> OriginResponse = { name, _ in
            .text(name)
        }
    ) async throws -> NamedOrigins {
        var origins: [TestOrigin] = []
        for name in names {
            origins.append(try await TestOrigin.start { request in behavior(name, request) })
        }
        return NamedOrigins(origins: origins, names: names)
    }

    func stop() async {
        for origin in self.origins {
            try? await origin.stop()
        }
    }

    func server(_ index: Int, weight: Int = 1, backup: Bool = false, maxConnections: Int? = nil) -> UpstreamServerConfig {
        UpstreamServerConfig(
            address: HostPort(host: "127.0.0.1", port: self.origins[index].port),
            weight: weight,
            maxConnections: maxConnections,
            backup: backup
        )
    }
}

/// Outcome counts of a load run: which origin answered, and how many requests failed.
struct LoadTally: Sendable {
    var byBody: [String: Int] = [:]
    var failures = 0
    var failureSamples: [String] = []

    var total: Int { self.byBody.values.reduce(0, +) + self.failures }

    mutating func merge(_ other: LoadTally) {
        for (key, count) in other.byBody { self.byBody[key, default: 0] += count }
        self.failures += other.failures
        self.failureSamples += other.failureSamples.prefix(5)
    }
}

/// Runs `clients` keep-alive connections, each sending `requestsPerClient` GETs in turn
/// (or until `until` says stop), and tallies the answers. A client whose connection
/// fails reconnects, and the failure is counted.
func runLoad(
    port: Int,
    clients: Int,
    requestsPerClient: Int,
    path: String = "/",
    headers: @escaping @Sendable (_ client: Int, _ request: Int) -> String = { _, _ in "" },
    between: @escaping @Sendable (_ request: Int) async -> Void = { _ in }
) async throws -> LoadTally {
    try await withThrowingTaskGroup(of: LoadTally.self) { group in
        for clientIndex in 0..<clients {
            group.addTask {
                var tally = LoadTally()
                var client = try await RawHTTPClient.connect(port: port)
                for requestIndex in 0..<requestsPerClient {
                    await between(requestIndex)
                    do {
                        let response = try await client.roundTrip(
                            get(path, extra: headers(clientIndex, requestIndex)), timeout: .seconds(10)
                        )
                        if response.status == 200 {
                            tally.byBody[response.bodyString, default: 0] += 1
                        } else {
                            tally.failures += 1
                            tally.failureSamples.append("\(response.status) \(response.bodyString)")
                        }
                        if response.closesConnection {
                            await client.close()
                            client = try await RawHTTPClient.connect(port: port)
                        }
                    } catch {
                        tally.failures += 1
                        tally.failureSamples.append("\(error)")
                        await client.close()
                        client = try await RawHTTPClient.connect(port: port)
                    }
                }
                await client.close()
                return tally
            }
        }
        var total = LoadTally()
        for try await tally in group {
            total.merge(tally)
        }
        return total
    }
}

/// A switch shared between a test and an origin's behavior closure.
final class Toggle: Sendable {
    private let value: NIOLockedValueBox<Bool>
    init(_ initial: Bool = false) { self.value = NIOLockedValueBox(initial) }
    var isOn: Bool { self.value.withLockedValue { $0 } }
    func set(_ on: Bool) { self.value.withLockedValue { $0 = on } }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
