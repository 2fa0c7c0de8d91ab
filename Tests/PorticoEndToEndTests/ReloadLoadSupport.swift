import NIOConcurrencyHelpers
import PorticoTesting

/// Requests sent and failed by `runClientLoad`, with the first few failures described.
final class ClientLoadTally: Sendable {
    private struct Counts {
        var succeeded = 0
        var failed = 0
        var failures: [String] = []
        var bodies: Set<String> = []
    }

    private let counts = NIOLockedValueBox(Counts())

    func succeed(body: String) {
        self.counts.withLockedValue {
            $0.succeeded += 1
            $0.bodies.insert(body)
        }
    }

    func fail(_ reason: String) {
        self.counts.withLockedValue {
            $0.failed += 1
            if $0.failures.count < 10 { $0.failures.append(reason) }
        }
    }

    var succeeded: Int { self.counts.withLockedValue { $0.succeeded } }
    var failed: Int { self.counts.withLockedValue { $0.failed } }
    var failures: [String] { self.counts.withLockedValue { $0.failures } }
    /// Distinct response bodies seen (which configuration generations answered).
    var bodies: Set<String> { self.counts.withLockedValue { $0.bodies } }
}

/// Continuous client load for reload and takeover tests: `clients` tasks each sending
/// `GET path` in a loop until `stop` is on. With `keepAlive`, each task reuses one
/// connection (opening a new one only after a response announcing `Connection: close`);
/// without, every request has its own connection. A non-2xx status, a timeout or a
/// connection error counts as a failure; a connection the server closes after saying
/// `Connection: close` does not.
func runClientLoad(port: Int, clients: Int, path: String, keepAlive: Bool, stop: Toggle, tally: ClientLoadTally) async {
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<clients {
            group.addTask {
                var connection: RawHTTPClient?
                while !stop.isOn {
                    do {
                        let client: RawHTTPClient
                        if let connection {
                            client = connection
                        } else {
                            client = try await RawHTTPClient.connect(port: port)
                            connection = client
                        }
                        let request = keepAlive ? get(path) : get(path, extra: "Connection: close\r\n")
                        let response = try await client.roundTrip(request)
                        if (200..<300).contains(response.status) {
                            tally.succeed(body: response.bodyString)
                        } else {
                            tally.fail("status \(response.status)")
                        }
                        if !keepAlive || response.closesConnection {
                            await client.close()
                            connection = nil
                        }
                    } catch {
                        tally.fail("\(error)")
                        await connection?.close()
                        connection = nil
                    }
                }
                await connection?.close()
            }
        }
    }
}
